package zoomsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Zoom apps built since granular scopes arrived (2024) carry granular
// scopes only: the app's Scopes page in the Marketplace fixes them, the
// authorize URL asks for none, and every token issued carries the scopes the
// app had when the user authorized it (existing tokens keep the old set
// after the app's scopes change, reference/zoom-setup.md §1.4; the user must
// authorize again). The emulator models such an app; classic scopes
// (phone:read, user:read) are not modelled.

// DefaultScopes are the granular scopes the emulated app is configured with
// when Options.Scopes is empty: exactly what zoomcti needs as a
// user-managed app (the README's setup guide lists the same): who the agent
// is, their call history for the catch-up, and the webhook events it
// subscribes to (live calls, call-history records, SMS, recordings and
// voicemails; reference/zoom.md
// §2.2). Presence events need no scope the emulator can check (UNCONFIRMED
// which one Zoom wants), so none is listed for them. GET /phone/users/{id}
// (phone:read:user), which zoomcti does not call, is refused under them.
func DefaultScopes() []string {
	return []string{
		"user:read:user",
		"phone:read:list_call_logs",
		"phone:read:call",
		"phone:read:call_log",
		"phone:read:sms_message",
		// The recording and voicemail links zoomcti adds to a call's Task.
		"phone:read:call_recording",
		"phone:read:voicemail",
	}
}

// missingScopeCode is Zoom's error code for a token without the scope an
// endpoint requires, answered with HTTP 400 (not 401: the token is valid).
// Body as captured from Zoom in public reports, e.g.
// {"code":4711,"message":"Invalid access token, does not contain scopes:[user:read:list_users:admin]."}
// (github.com/JubaerHossain/zoom-laravel/issues/15) and, with alternatives,
// "...does not contain scopes:[cloud_recording:read:list_user_recordings, cloud_recording:read:list_user_recordings:admin]."
// (github.com/lanec/zoom-batch-downloader/issues/34; also
// devforum.zoom.us/t/granular-scopes-specification-change-of-scope-setting-for-creating-oauth-apps-on-the-developer-site/108207).
const missingScopeCode = 4711

// missingScope is the body Zoom sends when a token holds none of want.
func missingScope(want []string) apiError {
	return apiError{missingScopeCode, "Invalid access token, does not contain scopes:[" + strings.Join(want, ", ") + "]."}
}

// eventScopes are the granular scopes an app needs to subscribe to event,
// any one of them, from the Zoom Phone webhooks spec's per-event "Granular
// Scopes" (reference/zoom.md §2.2, reference/zoom-setup.md §2.2). Events
// not listed there (user.*, app_deauthorized, endpoint.url_validation) need
// none the emulator checks.
func eventScopes(event string) []string {
	pair := func(s string) []string { return []string{s, s + ":admin"} }
	switch {
	case !strings.HasPrefix(event, "phone."):
		return nil
	case event == "phone.callee_call_element_completed":
		return pair("phone:read:call") // sic, per the spec; the caller event wants call_log
	case strings.HasSuffix(event, "_call_history_completed"), strings.HasSuffix(event, "_call_log_completed"),
		strings.HasSuffix(event, "_call_element_completed"), event == "phone.ai_call_summary_changed":
		return pair("phone:read:call_log")
	case strings.HasPrefix(event, "phone.recording_transcript"):
		return pair("phone:read:recording_transcript")
	case strings.HasPrefix(event, "phone.recording_"):
		return pair("phone:read:call_recording")
	case strings.HasPrefix(event, "phone.voicemail_"):
		return pair("phone:read:voicemail")
	case event == "phone.sms_sent", event == "phone.sms_received":
		return pair("phone:read:sms_message")
	case strings.HasPrefix(event, "phone.caller_"), strings.HasPrefix(event, "phone.callee_"),
		strings.Contains(event, "transfer"), event == "phone.conference_started":
		return pair("phone:read:call")
	}
	return nil
}

// subscribed reports whether the app, with its scopes as they are now, can
// subscribe to the event of body: Zoom's build flow offers an event only
// once its scope is on the app (reference/zoom-setup.md §1.5). Whether Zoom
// stops delivering an event already subscribed when its scope is removed
// later is UNCONFIRMED; the emulator assumes it does.
func (z *Zoom) subscribed(body []byte) bool {
	var env struct {
		Event string `json:"event"`
	}
	if json.Unmarshal(body, &env) != nil {
		return true // not an event the emulator can judge: delivered as it is
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	return hasAny(z.scopes, eventScopes(env.Event))
}

// sameScopes reports whether a and b hold the same scopes in any order.
func sameScopes(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// hasAny reports whether granted holds one of want; no want needs nothing.
func hasAny(granted, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		if slices.Contains(granted, w) {
			return true
		}
	}
	return false
}

// SetScopes changes the app's scopes, as an admin editing the Scopes page
// does. Access tokens already issued keep the scopes they were issued with;
// their refresh tokens are refused from then on (Zoom's OAuth error 4711,
// "Refresh token invalid": the token's scopes no longer match the app's),
// and users get the new set when they authorize again.
func (z *Zoom) SetScopes(scopes ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.scopes = slices.Clone(scopes)
}

// Scopes returns the app's scopes as configured now.
func (z *Zoom) Scopes() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.scopes)
}

// RotateClientSecret gives the app a new client secret, as "Regenerate" on
// the app's credentials page does: the old one is refused from then on.
func (z *Zoom) RotateClientSecret(secret string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.opts.ClientSecret = secret
}

// ClientRefusals reports how many requests to /oauth/token and
// /oauth/revoke Zoom refused for a wrong client id or secret.
func (z *Zoom) ClientRefusals() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.clientRefusals
}

// refuseClient answers a request whose client credentials Zoom does not
// accept: 400 {"reason":"Invalid client_id or client_secret","error":"invalid_client"}
// as captured from POST https://zoom.us/oauth/token
// (github.com/JubaerHossain/zoom-laravel/issues/3). Zoom's OAuth error table
// (developers.zoom.us/docs/integrations/oauth-error-messages/) files the
// same failure under codes 4702 / 4704. That /oauth/revoke answers the same
// way is UNCONFIRMED; the emulator assumes it does.
func (z *Zoom) refuseClient(w http.ResponseWriter) {
	z.mu.Lock()
	z.clientRefusals++
	z.mu.Unlock()
	writeJSON(w, http.StatusBadRequest, oauthError{"Invalid client_id or client_secret", "invalid_client"})
}
