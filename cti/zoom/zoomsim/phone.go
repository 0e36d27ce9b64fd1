package zoomsim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// This file is the live call model behind the emulated Smart Embed
// (embed.go): calls that ring, are answered, held, muted, recorded and hung
// up one step at a time, each step delivering the signed webhook Zoom sends
// for it and, when the call ends, the call-history event (recorded in the
// emulator's call history, as Play does). Every step is also told to the
// embed pages of the user whose phone it is, as the zp-… messages of
// reference/zoom-smart-embed.md §6.2.

// Call actions a user takes in the embed.
const (
	ActionAnswer      = "answer"
	ActionDecline     = "decline"
	ActionHangup      = "hangup"
	ActionHold        = "hold"
	ActionUnhold      = "unhold"
	ActionMute        = "mute"
	ActionUnmute      = "unmute"
	ActionRecord      = "record"
	ActionStopRecord  = "stop_record"
	liveRinging       = "ringing"
	liveConnected     = "connected"
	liveHeld          = "held"
	liveEnded         = "ended"
	defaultRemoteRing = 2 * time.Second
	defaultRingTime   = 30 * time.Second
)

// ErrCallState is returned for an action the call's state does not allow
// (answering a call that is not ringing, holding one that is not
// connected…), as the embed's buttons do not exist then.
var ErrCallState = errors.New("zoomsim: not possible in the call's state")

// ErrNoCall is returned for a call id the user has no live call with.
var ErrNoCall = errors.New("zoomsim: no such call")

// liveCall is one call in progress on a user's phone.
type liveCall struct {
	c         call
	userID    string // whose phone (the embed's user)
	direction string // inbound | outbound
	state     string
	muted     bool
	recording bool
	recorded  bool
	callerID  string // the number an outbound call shows
	timer     *time.Timer
}

// phone is the call model's state, under its own lock: a step and its
// deliveries run under it, so a call's webhooks go out in order.
type phone struct {
	mu    sync.Mutex
	calls map[string]*liveCall

	subMu sync.Mutex
	subs  map[string]map[chan EmbedMessage]struct{} // by user id
}

func (p *phone) init() {
	p.calls = map[string]*liveCall{}
	p.subs = map[string]map[chan EmbedMessage]struct{}{}
}

// EmbedMessage is one message the embed posts to its host page:
// {type: "zp-…", data: {…}} (reference §6).
type EmbedMessage struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// EmbedParty is caller / callee of the embed's common call payload
// (reference §6.2).
type EmbedParty struct {
	ExtensionID     string `json:"extensionId,omitempty"`
	ExtensionType   string `json:"extensionType"`
	Name            string `json:"name,omitempty"`
	PhoneNumber     string `json:"phoneNumber"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
}

// EmbedCall is the embed's common call payload (reference §6.2), with the
// fields of the completion events.
type EmbedCall struct {
	CallID        string     `json:"callId"`
	Direction     string     `json:"direction"`
	Caller        EmbedParty `json:"caller"`
	Callee        EmbedParty `json:"callee"`
	DateTime      string     `json:"dateTime"`
	EnableAutoLog bool       `json:"enableAutoLog"`
	Result        string     `json:"result,omitempty"`
	CallLogID     string     `json:"callLogId,omitempty"`
	Duration      *int       `json:"duration,omitempty"`
	RecordingURL  string     `json:"recordingUrl,omitempty"`
}

// SubscribeEmbed returns the messages for userID's embed pages from now
// on; cancel stops them. A slow subscriber misses messages rather than
// holding the call model up.
func (z *Zoom) SubscribeEmbed(userID string) (<-chan EmbedMessage, func()) {
	ch := make(chan EmbedMessage, 64)
	p := &z.phone
	p.subMu.Lock()
	if p.subs[userID] == nil {
		p.subs[userID] = map[chan EmbedMessage]struct{}{}
	}
	p.subs[userID][ch] = struct{}{}
	p.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			p.subMu.Lock()
			delete(p.subs[userID], ch)
			p.subMu.Unlock()
		})
	}
}

func (z *Zoom) tellEmbed(userID string, m EmbedMessage) {
	p := &z.phone
	p.subMu.Lock()
	defer p.subMu.Unlock()
	for ch := range p.subs[userID] {
		select {
		case ch <- m:
		default:
		}
	}
}

// Ring starts an inbound call to the user spec.To from spec.From: the
// user's phone rings (phone.callee_ringing, zp-call-ringing-event) until
// they answer or decline it in the embed, or it is missed after
// Options.RingTime.
func (z *Zoom) Ring(ctx context.Context, spec CallSpec) (string, error) {
	c, err := z.prepare(spec, "callee", false)
	if err != nil {
		return "", err
	}
	c.start = z.now().UTC().Truncate(time.Second)
	lc := &liveCall{c: c, userID: c.callee.user.ID, direction: "inbound", state: liveRinging}
	p := &z.phone
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[c.id] = lc
	z.deliver(ctx, envelope("phone.callee_ringing", z.now(), c.live()))
	z.tellEmbed(lc.userID, EmbedMessage{"zp-call-ringing-event", lc.embed()})
	if d := z.ringTime(); d > 0 {
		lc.timer = time.AfterFunc(d, func() { z.miss(c.id) })
	}
	return c.id, nil
}

// Dial places an outbound call from the user to number, showing callerID
// (empty: the user's direct number): phone.caller_ringing at once, then the
// far end answers after Options.RemoteAnswer (phone.caller_connected).
func (z *Zoom) Dial(ctx context.Context, userID, number, callerID string) (string, error) {
	if !validDialString(number) {
		return "", fmt.Errorf("zoomsim: %q is not a number to dial", number)
	}
	u, ok := z.lookupUser(userID)
	if !ok {
		return "", fmt.Errorf("zoomsim: caller %q is not a user of the account", userID)
	}
	if callerID == u.Number {
		callerID = ""
	}
	if callerID != "" && !slices.Contains(callerIDs(u), callerID) {
		return "", fmt.Errorf("zoomsim: %q is not a caller id %s may use", callerID, u.Name())
	}
	c, err := z.prepare(CallSpec{From: u.ID, To: number}, "caller", true)
	if err != nil {
		return "", err
	}
	c.start = z.now().UTC().Truncate(time.Second)
	c.answer, c.end = time.Time{}, time.Time{}
	lc := &liveCall{c: c, userID: u.ID, direction: "outbound", state: liveRinging, callerID: callerID}
	p := &z.phone
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[c.id] = lc
	z.deliver(ctx, envelope("phone.caller_ringing", z.now(), c.live()))
	z.tellEmbed(lc.userID, EmbedMessage{"zp-call-ringing-event", lc.embed()})
	if d := z.remoteAnswer(); d >= 0 {
		lc.timer = time.AfterFunc(d, func() { z.remoteAnswered(c.id) })
	}
	return c.id, nil
}

// validDialString is what the keypad sends: an optional + and digits, or
// an extension.
func validDialString(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == '+' && i == 0) {
			return false
		}
	}
	return s != "+"
}

func (z *Zoom) ringTime() time.Duration {
	if z.opts.RingTime == 0 {
		return defaultRingTime
	}
	return z.opts.RingTime
}

func (z *Zoom) remoteAnswer() time.Duration {
	if z.opts.RemoteAnswer == 0 {
		return defaultRemoteRing
	}
	return z.opts.RemoteAnswer
}

// Act is a user's action on their live call, as the embed's buttons do it.
func (z *Zoom) Act(ctx context.Context, userID, callID, action string) error {
	p := &z.phone
	p.mu.Lock()
	defer p.mu.Unlock()
	lc := p.calls[callID]
	if lc == nil || lc.userID != userID {
		return ErrNoCall
	}
	fam := "callee"
	if lc.direction == "outbound" {
		fam = "caller"
	}
	now := z.now().UTC().Truncate(time.Second)
	switch action {
	case ActionAnswer:
		if lc.direction != "inbound" || lc.state != liveRinging {
			return ErrCallState
		}
		lc.stopTimer()
		lc.state = liveConnected
		lc.c.answer = now
		o := lc.c.live()
		o.AnswerStartTime = zt(now)
		z.deliver(ctx, envelope("phone.callee_answered", z.now(), o))
		z.tellEmbed(userID, EmbedMessage{"zp-call-connected-event", lc.embed()})
	case ActionDecline:
		if lc.direction != "inbound" || lc.state != liveRinging {
			return ErrCallState
		}
		z.end(ctx, lc, "rejected")
	case ActionHangup:
		if lc.state == liveEnded || (lc.direction == "inbound" && lc.state == liveRinging) {
			return ErrCallState // a ringing inbound call is declined, not hung up
		}
		z.end(ctx, lc, "ended")
	case ActionHold, ActionUnhold, ActionMute, ActionUnmute:
		want, to := liveConnected, liveHeld
		switch action {
		case ActionUnhold:
			want, to = liveHeld, liveConnected
		case ActionMute, ActionUnmute:
			if lc.state != liveConnected && lc.state != liveHeld || lc.muted == (action == ActionMute) {
				return ErrCallState
			}
			lc.muted = action == ActionMute
			want, to = lc.state, lc.state
		}
		if lc.state != want {
			return ErrCallState
		}
		lc.state = to
		o := lc.c.live()
		o.RingingStartTime = ""
		o.DateTime = zt(now)
		z.deliver(ctx, envelope("phone."+fam+"_"+action, z.now(), o))
	case ActionRecord, ActionStopRecord:
		if lc.state != liveConnected && lc.state != liveHeld || lc.recording == (action == ActionRecord) {
			return ErrCallState
		}
		lc.recording = action == ActionRecord
		lc.recorded = lc.recorded || lc.recording
		// phone.recording_started / _stopped exist (reference/zoom.md §2);
		// their bodies are UNCONFIRMED. Public receivers read call_id
		// directly on the object, with flat caller_number / callee_number
		// like one recording of phone.recording_completed: so this.
		ev := "phone.recording_started"
		if action == ActionStopRecord {
			ev = "phone.recording_stopped"
		}
		z.deliver(ctx, envelope(ev, z.now(), struct {
			CallID        string `json:"call_id"`
			UserID        string `json:"user_id"`
			CallerNumber  string `json:"caller_number"`
			CalleeNumber  string `json:"callee_number"`
			Direction     string `json:"direction"`
			DateTime      string `json:"date_time"`
			RecordingType string `json:"recording_type"`
		}{lc.c.id, userID, number(lc.c.caller), number(lc.c.callee), lc.direction, zt(now), "OnDemand"}))
	default:
		return fmt.Errorf("zoomsim: unknown call action %q", action)
	}
	return nil
}

func (lc *liveCall) stopTimer() {
	if lc.timer != nil {
		lc.timer.Stop()
		lc.timer = nil
	}
}

// miss ends an inbound call nobody answered.
func (z *Zoom) miss(callID string) {
	p := &z.phone
	p.mu.Lock()
	defer p.mu.Unlock()
	if lc := p.calls[callID]; lc != nil && lc.state == liveRinging {
		z.end(context.Background(), lc, "missed")
	}
}

// remoteAnswered connects an outbound call: the far end picked up.
func (z *Zoom) remoteAnswered(callID string) {
	p := &z.phone
	p.mu.Lock()
	defer p.mu.Unlock()
	lc := p.calls[callID]
	if lc == nil || lc.state != liveRinging {
		return
	}
	lc.timer = nil
	lc.state = liveConnected
	lc.c.answer = z.now().UTC().Truncate(time.Second)
	o := lc.c.live()
	o.ConnectedStartTime = zt(lc.c.answer)
	z.deliver(context.Background(), envelope("phone.caller_connected", z.now(), o))
	z.tellEmbed(lc.userID, EmbedMessage{"zp-call-connected-event", lc.embed()})
}

// end closes a call: the ended / rejected / missed webhook, the call
// history (recorded and delivered), a finished recording, and the embed's
// ended and log-completed events. The caller holds p.mu.
func (z *Zoom) end(ctx context.Context, lc *liveCall, result string) {
	lc.stopTimer()
	lc.state = liveEnded
	lc.recording = false
	c := &lc.c
	c.end = z.now().UTC().Truncate(time.Second)
	fam, dir := "callee", "inbound"
	if lc.direction == "outbound" {
		fam, dir = "caller", "outbound"
	}
	o := c.live().withoutNames()
	o.CallEndTime = zt(c.end)
	historyResult := "answered"
	switch result {
	case "ended":
		o.HandupResult = "Call connected"
		if !c.answer.IsZero() {
			o.AnswerStartTime = zt(c.answer)
		} else {
			o.HandupResult, historyResult = "Call Cancel", "canceled" // an outbound call hung up while ringing
		}
		z.deliver(ctx, envelope("phone."+fam+"_ended", z.now(), o))
	case "rejected":
		o.HandupResult, historyResult = "Rejected", "rejected"
		z.deliver(ctx, envelope("phone.callee_rejected", z.now(), o))
	case "missed":
		o.HandupResult, historyResult = "No Answer", "no_answer"
		z.deliver(ctx, envelope("phone.callee_missed", z.now(), o))
	}
	hist := c.historyEvent("phone."+fam+"_call_history_completed", lc.userID, dir, historyResult)
	z.recordHistory(hist)
	z.deliver(ctx, hist)
	if lc.recorded {
		z.deliver(ctx, z.recordingCompleted(lc))
	}
	delete(z.phone.calls, c.id)

	ended := lc.embed()
	ended.Result = result
	z.tellEmbed(lc.userID, EmbedMessage{"zp-call-ended-event", ended})
	done := lc.embed()
	done.CallLogID = uuid()
	secs := 0
	if !c.answer.IsZero() {
		secs = int(c.end.Sub(c.answer).Seconds())
	}
	done.Duration = &secs
	done.Result = map[string]string{"ended": "Call Connected", "rejected": "Rejected", "missed": "No Answer"}[result]
	if c.answer.IsZero() && result == "ended" {
		done.Result = "Call Cancel"
	}
	z.tellEmbed(lc.userID, EmbedMessage{"zp-call-log-completed-event", done})
	if lc.recorded {
		rec := lc.embed()
		rec.RecordingURL = z.embedBase() + "/integration/phone/embeddablephone/audio/play/0/" + uuid()
		z.tellEmbed(lc.userID, EmbedMessage{"zp-call-recording-completed-event", rec})
	}
}

// recordingCompleted is phone.recording_completed for a recorded call,
// shaped like the fixture (reference/zoom.md §2.6).
func (z *Zoom) recordingCompleted(lc *liveCall) []byte {
	c := lc.c
	u, _ := z.lookupUser(lc.userID)
	caller, callee := number(c.caller), number(c.callee)
	type rec struct {
		ID           string `json:"id"`
		CallerNumber string `json:"caller_number"`
		CalleeNumber string `json:"callee_number"`
		Duration     int    `json:"duration"`
		DownloadURL  string `json:"download_url"`
		DateTime     string `json:"date_time"`
		EndTime      string `json:"end_time"`
		UserID       string `json:"user_id"`
		CallID       string `json:"call_id"`
		RecordingTyp string `json:"recording_type"`
		Direction    string `json:"direction"`
		Owner        struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"owner"`
	}
	r := rec{ID: "FAKErecording" + randomHex(9), CallerNumber: caller, CalleeNumber: callee,
		Duration: int(c.end.Sub(c.answer).Seconds()), DownloadURL: z.embedBase() + "/v2/phone/recording/download/" + randomHex(10),
		DateTime: zt(c.answer), EndTime: zt(c.end), UserID: lc.userID, CallID: c.id, RecordingTyp: "OnDemand", Direction: lc.direction}
	r.Owner.Type, r.Owner.ID, r.Owner.Name = "user", u.ID, u.Name()
	return envelope("phone.recording_completed", z.now().Add(3*time.Second), struct {
		Recordings []rec `json:"recordings"`
	}{[]rec{r}})
}

// embedBase is where recordings are said to play; the emulator does not
// serve audio.
func (z *Zoom) embedBase() string {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.opts.PublicURL != "" {
		return z.opts.PublicURL
	}
	return "https://applications.zoom.us"
}

// deliver sends one webhook now; a failed delivery is lost as it would be
// after Zoom's retries (the call history still has the call).
func (z *Zoom) deliver(ctx context.Context, body []byte) {
	s := z.Sender()
	if s.URL == "" {
		return
	}
	if _, err := s.Send(context.WithoutCancel(ctx), body); err != nil {
		z.mu.Lock()
		z.lastDeliveryErr = err
		z.mu.Unlock()
	}
}

// embed renders the call as the embed's common payload, from the user's
// point of view.
func (lc *liveCall) embed() EmbedCall {
	c := lc.c
	party := func(e endpoint) EmbedParty {
		if e.user == nil {
			return EmbedParty{ExtensionType: "pstn", PhoneNumber: e.number}
		}
		return EmbedParty{ExtensionID: e.user.ExtensionID, ExtensionType: "user", Name: e.user.Name(),
			PhoneNumber: e.user.Number, ExtensionNumber: e.user.Extension}
	}
	out := EmbedCall{CallID: c.id, Direction: lc.direction, Caller: party(c.caller), Callee: party(c.callee), DateTime: zt(c.start)}
	if lc.callerID != "" {
		out.Caller.PhoneNumber = lc.callerID
	}
	return out
}

// statusFor maps the call model's errors to HTTP statuses.
func statusFor(err error) int {
	switch {
	case errors.Is(err, ErrNoCall):
		return http.StatusNotFound
	case errors.Is(err, ErrCallState):
		return http.StatusConflict
	}
	return http.StatusBadRequest
}
