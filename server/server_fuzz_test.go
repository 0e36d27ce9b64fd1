package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
)

// Fuzz targets for every input the server takes from the outside. They go
// through s.Handler() where they can, so a refactor of the handlers keeps
// them, and assert properties (no panic, the class of the status), not
// messages.

// addFixtures seeds f with every shared Zoom webhook body, compacted as
// Zoom sends them.
func addFixtures(f *testing.F, add func(body []byte)) {
	f.Helper()
	dir := filepath.Join("..", "..", "shared", "fixtures", "zoom")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatalf("fixtures: %v (is ../shared beside the checkout?)", err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil {
			add(buf.Bytes())
		}
	}
}

// serve runs one request through h and returns the response.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// FuzzWebhook posts arbitrary headers and bodies to the webhook: signed
// correctly (so the fuzzer reaches the decoder), with the fuzzer's own
// signature, or with none. Never a panic, never a 5xx (the store is a
// healthy local file), and a 2xx only for a valid signature on a fresh
// timestamp.
func FuzzWebhook(f *testing.F) {
	s, _ := newTestServer(f, nil)
	h := s.Handler()
	addFixtures(f, func(b []byte) {
		f.Add(b, int64(0), uint8(0), "", "application/json; charset=utf-8")
		f.Add(b, int64(-400), uint8(0), "", "application/json")
		f.Add(b, int64(0), uint8(1), "v0=00", "application/json")
	})
	f.Add([]byte(`{"event":"endpoint.url_validation","payload":{"plainToken":"abc"}}`), int64(0), uint8(0), "", "")
	f.Add([]byte(`{"event":`), int64(0), uint8(0), "", "text/plain")
	f.Add([]byte(`[]`), int64(0), uint8(2), "", "application/json")
	f.Fuzz(func(t *testing.T, body []byte, skew int64, mode uint8, sig, ctype string) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/zoom", bytes.NewReader(body))
		stamp := strconv.FormatInt(time.Now().Unix()+skew, 10)
		if mode%4 == 3 {
			stamp = sig // a malformed timestamp
		}
		r.Header.Set("x-zm-request-timestamp", stamp)
		if ctype != "" && !strings.ContainsAny(ctype, "\r\n") {
			r.Header.Set("Content-Type", ctype)
		}
		switch mode % 4 {
		case 0:
			sig = zoom.Sign(testSecret, stamp, body)
		case 2:
			sig = ""
		}
		if sig != "" && !strings.ContainsAny(sig, "\r\n") {
			r.Header.Set("x-zm-signature", sig)
		}
		w := serve(h, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
		if w.Code/100 == 2 {
			fresh := zoom.CheckTimestamp(stamp, time.Now(), zoom.MaxWebhookAge, zoom.MaxClockSkew) == nil || zoom.CheckTimestamp(stamp, time.Now().Add(-2*time.Second), zoom.MaxWebhookAge, zoom.MaxClockSkew) == nil
			// Compared with Sign, not Verify, so a broken Verify shows.
			if r.Header.Get("x-zm-signature") != zoom.Sign(testSecret, stamp, body) || !fresh {
				t.Fatalf("status %d without a valid signature on a fresh timestamp", w.Code)
			}
		}
	})
}

// FuzzSealer holds the token sealer to open(seal(x)) == x under the same
// store key only, and to failing (never panicking) on anything else.
func FuzzSealer(f *testing.F) {
	sl, err := newSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("sftoken:00D000000000001:005000000000001", []byte(`{"access_token":"00D!x","refresh_token":"5Aep"}`), []byte{1, 2, 3})
	f.Add("", []byte{}, []byte{})
	f.Add("k", []byte("x"), append([]byte{sealVersion}, make([]byte, 40)...))
	f.Fuzz(func(t *testing.T, key string, plain, junk []byte) {
		sealed := sl.seal(key, plain)
		got, err := sl.open(key, sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("open(seal(%q)) = %q, %v", plain, got, err)
		}
		if _, err := sl.open(key+"x", sealed); err == nil {
			t.Fatal("a sealed value opened under another store key")
		}
		if _, err := sl.open(key, junk); err == nil {
			t.Fatalf("random bytes %x opened", junk)
		}
		flipped := bytes.Clone(sealed)
		flipped[len(flipped)-1] ^= 1
		if _, err := sl.open(key, flipped); err == nil {
			t.Fatal("a tampered value opened")
		}
	})
}

// FuzzProcessEvent feeds queued jobs to the events worker: garbage is
// ErrBadJob (set aside, never retried), and nothing panics.
func FuzzProcessEvent(f *testing.F) {
	s, _ := newTestServer(f, nil)
	addFixtures(f, func(b []byte) {
		job, _ := json.Marshal(queuedEvent{Body: b})
		f.Add(job)
	})
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	f.Add([]byte(`{"body":"e30="}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		if ev, derr := decodeQueued(payload); derr != nil {
			err = derr
		} else {
			_, err = s.processEvent(ctx, ev, cti.JobRef{})
		}
		var q queuedEvent
		if json.Unmarshal(payload, &q) != nil && !errors.Is(err, cti.ErrBadJob) {
			t.Fatalf("undecodable job %q: %v, want ErrBadJob", payload, err)
		}
		if json.Unmarshal(payload, &q) == nil && q.Event == nil {
			if _, derr := zoom.Decode(q.Body); derr != nil && !errors.Is(err, cti.ErrBadJob) {
				t.Fatalf("undecodable event %q: %v, want ErrBadJob", q.Body, err)
			}
		}
	})
}

// FuzzOAuthCallback sends random query strings to both OAuth callbacks:
// never a panic, never a 5xx.
func FuzzOAuthCallback(f *testing.F) {
	s, _ := newTestServer(f, nil)
	h := s.Handler()
	for _, q := range []string{
		"code=abc&state=xyz", "error=access_denied&error_description=The+user+denied", "state=", "",
		"code=" + strings.Repeat("a", 2000), "error=%ff%fe", "state=a&state=b&code=c", "%zz", "code=x;state=y",
	} {
		f.Add(uint8(0), q)
		f.Add(uint8(1), q)
	}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		path := "/oauth/salesforce/callback"
		if which%2 == 1 {
			path = "/oauth/zoom/callback"
		}
		u := &url.URL{Path: path, RawQuery: query}
		r, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return // not a request a client can send
		}
		r.RemoteAddr = "192.0.2.1:1234"
		if w := serve(h, r); w.Code >= 500 {
			t.Fatalf("GET %s: status %d", u, w.Code)
		}
	})
}

// FuzzReconcile posts arbitrary bodies to the operator's reconcile endpoint:
// with the operator token, a bad body is a 4xx and a good one starts a run;
// without it, always 401. Never a panic.
func FuzzReconcile(f *testing.F) {
	s, _ := newTestServer(f, nil)
	h := s.Handler()
	for _, b := range []string{
		`{"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}`, `{"from":"2026-01-02T00:00:00Z","to":"2026-01-01T00:00:00Z"}`,
		`{}`, `[]`, `{"from":"yesterday"}`, `{"from":"0001-01-01T00:00:00Z","to":"9999-12-31T23:59:59Z"}`, strings.Repeat("{", 5000),
	} {
		f.Add([]byte(b), true)
		f.Add([]byte(b), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, operator bool) {
		// The server has no linked agents, so a valid range runs to the
		// end at once without calling Zoom.
		r := httptest.NewRequest(http.MethodPost, "/api/ops/reconcile", bytes.NewReader(body))
		if operator {
			r.Header.Set("Authorization", "Bearer "+testOpsToken)
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		w := serve(h, r.WithContext(ctx))
		if w.Code >= 500 {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if !operator && w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d without the operator token", w.Code)
		}
	})
}

// FuzzSignedInAPIs sends arbitrary bodies and parameters to the endpoints a
// signed-in softphone uses: PUT /api/settings (as the admin), POST
// /api/calllogs/{call} (wrap-up) and GET /api/records. Never a panic and
// never a 500; invalid input is a 4xx.
func FuzzSignedInAPIs(f *testing.F) {
	e := newEnv(f)
	h := e.s.Handler()
	admin := e.adminSession()
	agent := e.session()
	def, _ := json.Marshal(cti.DefaultSettings())
	for _, b := range [][]byte{
		def, []byte(`{"pop_on":"sometimes"}`), []byte(`{"nope":1}`), []byte(`{"call_log_fields":[{"name":"OwnerId","type":"text"}]}`),
		[]byte(`{"subject":"Call","who_id":"003000000000001","disposition":"Done","fields":{"Call_Outcome__c":"x"}}`),
		[]byte(`{"who_id":"none"}`), []byte(`[]`), []byte(`{"who_id":"' OR 1=1"}`),
	} {
		f.Add(uint8(0), "7400000000000000001", "who", "Ada", b)
		f.Add(uint8(1), "7400000000000000001", "what", "Acme", b)
		f.Add(uint8(2), "../x", "who", "} OR {*", b)
	}
	f.Fuzz(func(t *testing.T, which uint8, call, scope, q string, body []byte) {
		var r *http.Request
		switch which % 3 {
		case 0:
			r = httptest.NewRequest(http.MethodPut, "/api/settings", bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+admin)
		case 1:
			r = httptest.NewRequest(http.MethodPost, "/api/calllogs/"+url.PathEscape(call), bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+agent)
		default:
			v := url.Values{"for": {scope}, "q": {q}}
			r = httptest.NewRequest(http.MethodGet, "/api/records?"+v.Encode(), nil)
			r.Header.Set("Authorization", "Bearer "+agent)
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if w := serve(h, r.WithContext(ctx)); w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %s: status %d: %s", r.Method, r.URL, w.Code, w.Body)
		}
	})
}

// FuzzWebsocketMessages sends arbitrary messages over a real softphone
// socket: as the first (auth) message, where anything but a valid auth closes
// the socket with 1008 or 4401, and after authenticating, where the socket
// either still answers a ping or has been closed (a message over the read
// limit). Never a panic in the reader.
func FuzzWebsocketMessages(f *testing.F) {
	e := newEnv(f)
	token := e.session()
	for _, m := range []string{
		`{"type":"ping"}`, `{"type":"dial","number":"+12025550142","record_id":"003000000000001"}`,
		`{"type":"auth","token":"forged"}`, `{"type":"dial","number":{"a":1}}`, `[]`, `null`, `{"type":`, "\xff",
		`{"type":"dial","number":"` + strings.Repeat("9", 9000) + `"}`,
	} {
		f.Add(false, []byte(m))
		f.Add(true, []byte(m))
	}
	f.Fuzz(func(t *testing.T, first bool, msg []byte) {
		ws, _, err := e.dial(testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if first {
			if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				// Past the read limit the server may close (and reset) the
				// connection before the client has finished writing.
				if len(msg) > wsReadLimit {
					return
				}
				t.Fatal(err)
			}
			for {
				_, b, err := ws.ReadMessage()
				if err == nil {
					if bytes.Contains(b, []byte(`"hello"`)) && !bytes.Contains(msg, []byte(token)) {
						t.Fatalf("greeted after %q", msg)
					}
					continue
				}
				var ce *websocket.CloseError
				if errors.As(err, &ce) && ce.Code != websocket.ClosePolicyViolation && ce.Code != closeAuthFail && ce.Code != websocket.CloseMessageTooBig {
					t.Fatalf("auth message %q: close %d", msg, ce.Code)
				}
				if !errors.As(err, &ce) && strings.Contains(err.Error(), "timeout") {
					t.Fatalf("auth message %q: socket left open", msg)
				}
				return
			}
		}
		if err := ws.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
			t.Fatal(err)
		}
		if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			return
		}
		if err := ws.WriteJSON(map[string]string{"type": "ping"}); err != nil {
			return
		}
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				if strings.Contains(err.Error(), "timeout") {
					t.Fatalf("after %q: no pong and no close", msg)
				}
				return // closed: allowed
			}
			if bytes.Contains(b, []byte(`"pong"`)) {
				return
			}
		}
	})
}
