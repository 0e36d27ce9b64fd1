package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The sign-in and Zoom popups share one pattern. Their first request on
// our origin sets an HttpOnly cookie and files a hash of it in the OAuth
// state; the callback only proceeds in the browser holding that cookie and
// files the outcome under it; the callback's page, when it has an opener,
// fetches the outcome with the cookie and posts it to window.opener with
// targetOrigin = our origin. So a link sent to someone else's browser, or
// a popup without a softphone behind it, never delivers anything.

// popupFlow names one popup flow: its cookie, the message type it posts
// and where its outcome is picked up.
type popupFlow string

const (
	popupSignin popupFlow = "signin"
	popupZoom   popupFlow = "zoom"

	popupResultTTL = 60 * time.Second // from callback to the page's fetch
)

func (f popupFlow) cookie() string {
	if f == popupZoom {
		return "zoomcti_zoom"
	}
	return signinCookie
}

func (f popupFlow) path() string {
	if f == popupZoom {
		return "/oauth/zoom/"
	}
	return "/oauth/salesforce/"
}

func (f popupFlow) resultURL() string { return f.path() + "result" }

func (f popupFlow) messageType() string { return "zoomcti:" + string(f) }

// publicOrigin is scheme://host of the public URL.
func (s *Server) publicOrigin() string {
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return s.cfg.PublicURL
}

// setPopupCookie binds this browser to a flow. Lax, so that it comes back
// on the top-level redirect from Salesforce or Zoom.
func (s *Server) setPopupCookie(w http.ResponseWriter, f popupFlow, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: f.cookie(), Value: value, Path: f.path(), MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearPopupCookie(w http.ResponseWriter, f popupFlow) {
	s.setPopupCookie(w, f, "", -time.Second)
}

// popupBinding returns the browser's cookie when it is the one whose hash
// the state holds.
func (s *Server) popupBinding(r *http.Request, f popupFlow, wantHash string) (string, bool) {
	c, err := r.Cookie(f.cookie())
	if err != nil || c.Value == "" || len(c.Value) > 200 || wantHash == "" {
		return "", false
	}
	return c.Value, subtle.ConstantTimeCompare([]byte(hashKey(c.Value)), []byte(wantHash)) == 1
}

func popupResultKey(f popupFlow, bind string) string {
	return "popupresult:" + string(f) + ":" + hashKey(bind)
}

func (s *Server) storePopupResult(ctx context.Context, f popupFlow, bind string, out any) error {
	b, _ := json.Marshal(out)
	return s.store.Set(ctx, popupResultKey(f, bind), b, popupResultTTL)
}

// takePopupResult answers the popup page's POST for its outcome: only our
// own pages may ask, only with the cookie, and only once.
func (s *Server) takePopupResult(w http.ResponseWriter, r *http.Request, f popupFlow, out any) bool {
	if r.Header.Get("Origin") != s.publicOrigin() {
		s.writeError(w, r, errorf(KindForbidden, "origin not allowed", nil))
		return false
	}
	c, err := r.Cookie(f.cookie())
	if err != nil || c.Value == "" || len(c.Value) > 200 {
		s.writeError(w, r, errorf(KindNotFound, "nothing to pick up", nil))
		return false
	}
	raw, ok := s.takeOnce(r.Context(), popupResultKey(f, c.Value))
	if !ok {
		s.writeError(w, r, errorf(KindNotFound, "nothing to pick up; it expired or was already taken", nil))
		return false
	}
	s.clearPopupCookie(w, f)
	w.Header().Set("Cache-Control", "no-store")
	if err := json.Unmarshal(raw, out); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}

var popupPage = template.Must(template.New("popup").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zoomcti</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/softphone.css"></head>
<body><header class="bar"><span class="title">Zoom Phone for Salesforce</span></header>
<main><p id="popup-result" role="status">{{if .Message}}{{.Message}}{{else}}Finishing…{{end}}</p>
<p class="muted">This window closes by itself.</p></main>
<script nonce="{{.Nonce}}">
(function () {
  var type = {{.Type}}, origin = {{.Origin}}, result = {{.Result}}, message = {{.Message}};
  var el = document.getElementById("popup-result");
  function show(text, isError) {
    el.textContent = text;
    el.className = isError ? "error" : "";
    el.setAttribute("role", isError ? "alert" : "status");
  }
  function finish(data, text, isError) {
    data.type = type;
    // Addressed to our own origin: a page elsewhere that opened this
    // window gets nothing.
    try { window.opener.postMessage(data, origin); } catch (e) {}
    show(text, isError);
    setTimeout(function () { window.close(); }, isError ? 6000 : 800);
  }
  if (!window.opener) {
    show("This window was not opened by the softphone, so it cannot finish here. Close it and use the button in the softphone.", true);
    return;
  }
  if (!result) { finish({status: "error", message: message}, message, true); return; }
  fetch(result, {method: "POST", credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (b) {
    if (b.status === "done") { finish(b, b.done || "Done.", false); return; }
    var m = b.message || b.error || "zoomcti could not finish. Close this window and try again.";
    finish({status: "error", message: m}, m, true);
  }).catch(function () { show("zoomcti could not finish. Close this window and try again.", true); });
})();
</script></body></html>`))

// renderPopup shows a popup's last page. With a message, that message is
// the outcome; without, the page picks the outcome up from the flow's
// result endpoint (only when it has an opener to hand it to).
func (s *Server) renderPopup(w http.ResponseWriter, status int, f popupFlow, message string) {
	nonce := randomToken()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+nonce+"'; connect-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	w.WriteHeader(status)
	result := ""
	if message == "" {
		result = f.resultURL()
	}
	_ = popupPage.Execute(w, map[string]string{
		"Type": f.messageType(), "Origin": s.publicOrigin(), "Result": result, "Message": message, "Nonce": nonce,
	})
}
