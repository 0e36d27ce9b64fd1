package zoomsim

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The emulated Zoom Phone Smart Embed (reference/zoom-smart-embed.md): the
// page a host frames at EmbedPath, speaking the reference's postMessage
// contract (§6) with its parent, and the emulator-only API behind it that
// drives the live call model (phone.go). The real embed's backend is
// Zoom's and unknown; this one is under EmbedPath + "/api/".
//
// Strictness, as the reference asks of a host and as Zoom's approved-domain
// list implies (§4): the embed takes messages only from its parent window
// and only from an approved origin, posts only to the approved origin that
// sent zp-init-config, and says nothing before that — so a host on a domain
// that is not approved, or one that never sends zp-init-config, hears only
// silence. Whether Zoom checks the direct parent or the top window is
// UNCONFIRMED; the emulator checks the direct parent.

// EmbedPath is the Smart Embed's iframe src path (reference §2).
const EmbedPath = "/integration/phone/embeddablephone/home"

const embedBase = "/integration/phone/embeddablephone"

//go:embed embed/*
var embedFiles embed.FS

func (z *Zoom) embedRoutes() {
	z.mux.HandleFunc("GET "+EmbedPath, z.handleEmbedPage)
	static, _ := fs.Sub(embedFiles, "embed")
	z.mux.Handle("GET "+embedBase+"/static/", http.StripPrefix(embedBase+"/static/", http.FileServerFS(static)))
	z.mux.HandleFunc("POST "+embedBase+"/api/session", z.handleEmbedSession)
	z.mux.HandleFunc("GET "+embedBase+"/api/me", z.embedAPI(z.handleEmbedMe))
	z.mux.HandleFunc("GET "+embedBase+"/api/events", z.handleEmbedEvents)
	z.mux.HandleFunc("POST "+embedBase+"/api/calls", z.embedAPI(z.handleEmbedDial))
	z.mux.HandleFunc("POST "+embedBase+"/api/calls/{callId}/{action}", z.embedAPI(z.handleEmbedAct))
	z.mux.HandleFunc("POST "+embedBase+"/api/sms", z.embedAPI(z.handleEmbedSMS))
}

// embedPageConfig is handed to the embed page.
type embedPageConfig struct {
	ApprovedDomains []string `json:"approvedDomains"`
	SignedIn        bool     `json:"signedIn"` // EmbedUser is set: no sign-in form
}

// handleEmbedPage serves GET /integration/phone/embeddablephone/home.
func (z *Zoom) handleEmbedPage(w http.ResponseWriter, r *http.Request) {
	page, err := embedFiles.ReadFile("embed/home.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	tmpl, err := template.New("embed").Parse(string(page))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	o := z.Options()
	cfg, _ := json.Marshal(embedPageConfig{ApprovedDomains: normalizeOrigins(o.ApprovedDomains), SignedIn: o.EmbedUser != ""})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")
	_ = tmpl.Execute(w, template.JS(cfg))
}

// SetApprovedDomains replaces the Smart Embed's approved domains, for a
// demo or test that knows its host's origin only after the emulator.
func (z *Zoom) SetApprovedDomains(origins []string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.opts.ApprovedDomains = slices.Clone(origins)
}

// normalizeOrigins keeps the scheme://host[:port] of each approved domain.
func normalizeOrigins(in []string) []string {
	out := []string{}
	for _, s := range in {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Scheme == "" || u.Host == "" {
			continue
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out
}

// handleEmbedSession serves POST …/api/session: signs in to the embed. With
// Options.EmbedUser set, that user (no body); otherwise the body
// {"email": …} names a user of the account (the emulator asks no password).
func (z *Zoom) handleEmbedSession(w http.ResponseWriter, r *http.Request) {
	key := z.Options().EmbedUser
	if key == "" {
		var body struct {
			Email string `json:"email"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil || body.Email == "" {
			writeJSON(w, http.StatusBadRequest, apiError{300, "Enter the email of your Zoom account."})
			return
		}
		key = body.Email
	}
	u, ok := z.lookupUser(key)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, apiError{1001, "No Zoom Phone user " + key + "."})
		return
	}
	tok := randomHex(24)
	z.mu.Lock()
	z.sessions[tok] = u.ID
	z.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"session": tok})
}

func (z *Zoom) sessionUser(tok string) (User, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	id, ok := z.sessions[tok]
	if !ok || tok == "" {
		return User{}, false
	}
	return z.findUser(id)
}

// embedAPI checks the embed session (Authorization: Bearer).
func (z *Zoom) embedAPI(h func(http.ResponseWriter, *http.Request, User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		u, ok := z.sessionUser(tok)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, apiError{124, "Sign in to Zoom."})
			return
		}
		h(w, r, u)
	}
}

// callerIDs are the numbers a user may show on an outbound call: their
// direct number and their queue's.
func callerIDs(u User) []string {
	ids := []string{}
	if u.Number != "" {
		ids = append(ids, u.Number)
	}
	return append(ids, SalesQueue().Number)
}

// handleEmbedMe serves GET …/api/me: the signed-in user and caller ids.
func (z *Zoom) handleEmbedMe(w http.ResponseWriter, r *http.Request, u User) {
	writeJSON(w, http.StatusOK, map[string]any{
		"userId": u.ID, "name": u.Name(), "email": u.Email, "extension": u.Extension, "number": u.Number,
		"callerIds": callerIDs(u),
	})
}

// handleEmbedEvents serves GET …/api/events?session=…: the user's call
// events as a text/event-stream, each data line an EmbedMessage. (An
// EventSource cannot send headers, hence the query parameter.)
func (z *Zoom) handleEmbedEvents(w http.ResponseWriter, r *http.Request) {
	u, ok := z.sessionUser(r.URL.Query().Get("session"))
	if !ok {
		writeJSON(w, http.StatusUnauthorized, apiError{124, "Sign in to Zoom."})
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, cancel := z.SubscribeEmbed(u.ID)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(": ready\n\n"))
	fl.Flush()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-z.stop:
			return
		case <-ping.C:
			_, _ = w.Write([]byte(": ping\n\n"))
		case m := <-ch:
			b, _ := json.Marshal(m)
			_, _ = w.Write([]byte("data: " + string(b) + "\n\n"))
		}
		fl.Flush()
	}
}

// handleEmbedDial serves POST …/api/calls {"number", "callerId"}.
func (z *Zoom) handleEmbedDial(w http.ResponseWriter, r *http.Request, u User) {
	var body struct {
		Number   string `json:"number"`
		CallerID string `json:"callerId"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{300, "Malformed request."})
		return
	}
	id, err := z.Dial(r.Context(), u.ID, body.Number, body.CallerID)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{300, err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"callId": id})
}

// handleEmbedAct serves POST …/api/calls/{callId}/{action}.
func (z *Zoom) handleEmbedAct(w http.ResponseWriter, r *http.Request, u User) {
	if err := z.Act(r.Context(), u.ID, r.PathValue("callId"), r.PathValue("action")); err != nil {
		writeJSON(w, statusFor(err), apiError{300, err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleEmbedSMS serves POST …/api/sms {"number", "message", "callerId"}.
func (z *Zoom) handleEmbedSMS(w http.ResponseWriter, r *http.Request, u User) {
	var body struct {
		Number   string `json:"number"`
		Message  string `json:"message"`
		CallerID string `json:"callerId"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8192)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{300, "Malformed request."})
		return
	}
	if err := z.SendSMS(r.Context(), u.ID, body.Number, body.Message); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{300, err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// SendSMS sends a text from the user to number: phone.sms_sent, and the
// embed's zp-sms-log-event (shape UNCONFIRMED, reference §6.2).
func (z *Zoom) SendSMS(ctx context.Context, userID, number, text string) error {
	if !validDialString(number) || !strings.HasPrefix(number, "+") {
		return errors.New("zoomsim: an SMS goes to an E.164 number")
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("zoomsim: an SMS needs a message")
	}
	u, ok := z.lookupUser(userID)
	if !ok {
		return errors.New("zoomsim: no such user")
	}
	bodies, err := z.SMS(SMSSpec{From: u.ID, To: number, Text: text})
	if err != nil {
		return err
	}
	for _, b := range bodies {
		z.deliver(ctx, b)
	}
	z.tellEmbed(u.ID, EmbedMessage{"zp-sms-log-event", map[string]any{
		"direction": "outbound", "from": map[string]string{"phoneNumber": u.Number},
		"to": []map[string]string{{"phoneNumber": number}}, "message": text, "dateTime": zt(z.now()),
	}})
	return nil
}
