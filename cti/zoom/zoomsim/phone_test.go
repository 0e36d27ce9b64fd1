package zoomsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The live call model behind the emulated Smart Embed: each step a user
// takes in the embed delivers the webhook Zoom sends for it (signed, and
// decodable by zoomcti's decoder), tells the user's embed pages the zp-…
// event of reference/zoom-smart-embed.md §6.2, and the call lands in the
// call history when it ends.

// phoneSim is an emulator delivering to a checking receiver.
func phoneSim(t *testing.T, opts zoomsim.Options) (*sim, *receiver) {
	t.Helper()
	clock := newClock()
	opts.Clock = clock.Now
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, clock.Now)
	opts.WebhookURL = rc.URL
	s := newSim(t, opts)
	s.clock = clock
	return s, rc
}

// eventNames lists the event names received so far.
func eventNames(t *testing.T, rc *receiver) []string {
	t.Helper()
	var out []string
	for _, b := range rc.received() {
		var env struct {
			Event string `json:"event"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatalf("undecodable delivery %s", b)
		}
		out = append(out, env.Event)
	}
	return out
}

// waitEvents waits until n deliveries arrived.
func waitEvents(t *testing.T, rc *receiver, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(rc.received()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d deliveries, got %v", n, eventNames(t, rc))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return eventNames(t, rc)
}

// nextEmbed reads the next embed message.
func nextEmbed(t *testing.T, ch <-chan zoomsim.EmbedMessage) zoomsim.EmbedMessage {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no embed message")
		return zoomsim.EmbedMessage{}
	}
}

func TestPhoneInboundAnsweredHeldMutedRecordedHungUp(t *testing.T) {
	s, rc := phoneSim(t, zoomsim.Options{RingTime: time.Hour})
	embed, cancel := s.SubscribeEmbed(zoomsim.AliceID)
	defer cancel()
	ctx := context.Background()

	id, err := s.Ring(ctx, zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID})
	if err != nil {
		t.Fatal(err)
	}
	m := nextEmbed(t, embed)
	ring := m.Data.(zoomsim.EmbedCall)
	if m.Type != "zp-call-ringing-event" || ring.CallID != id || ring.Direction != "inbound" ||
		ring.Caller.PhoneNumber != "+12025550142" || ring.Callee.PhoneNumber != "+12025550101" || ring.Callee.ExtensionNumber != "1001" {
		t.Errorf("ringing message = %+v", m)
	}
	s.clock.Advance(5 * time.Second)
	for _, a := range []string{zoomsim.ActionAnswer, zoomsim.ActionHold, zoomsim.ActionUnhold, zoomsim.ActionMute, zoomsim.ActionRecord} {
		if err := s.Act(ctx, zoomsim.AliceID, id, a); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	if m := nextEmbed(t, embed); m.Type != "zp-call-connected-event" || m.Data.(zoomsim.EmbedCall).CallID != id {
		t.Errorf("after answer: %+v", m)
	}
	s.clock.Advance(61 * time.Second)
	if err := s.Act(ctx, zoomsim.AliceID, id, zoomsim.ActionHangup); err != nil {
		t.Fatal(err)
	}
	want := []string{"phone.callee_ringing", "phone.callee_answered", "phone.callee_hold", "phone.callee_unhold",
		"phone.callee_mute", "phone.recording_started", "phone.callee_ended", "phone.callee_call_history_completed",
		"phone.recording_completed"}
	if got := waitEvents(t, rc, len(want)); !slices.Equal(got, want) {
		t.Errorf("webhooks = %v\nwant      %v", got, want)
	}
	// zoomcti's decoder reads every call event as the step it is, for
	// this call.
	kinds := map[string]cti.EventKind{}
	for _, b := range rc.received() {
		ev, err := zoom.Decode(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		kinds[ev.Type] = ev.Kind
		if ev.Kind != cti.KindUnknown && ev.Kind != cti.KindRecording && ev.Kind != cti.KindCallRecord && ev.CallID != id {
			t.Errorf("%s is for call %q, want %s", ev.Type, ev.CallID, id)
		}
	}
	for ev, k := range map[string]cti.EventKind{"phone.callee_answered": cti.KindAnswered, "phone.callee_hold": cti.KindHold,
		"phone.callee_ended": cti.KindEnded, "phone.callee_call_history_completed": cti.KindCallRecord, "phone.recording_completed": cti.KindRecording} {
		if kinds[ev] != k {
			t.Errorf("%s decodes as %q, want %q", ev, kinds[ev], k)
		}
	}
	ended := nextEmbed(t, embed)
	if ended.Type != "zp-call-ended-event" || ended.Data.(zoomsim.EmbedCall).Result != "ended" {
		t.Errorf("ended message = %+v", ended)
	}
	logged := nextEmbed(t, embed).Data.(zoomsim.EmbedCall)
	if logged.CallLogID == "" || logged.Duration == nil || *logged.Duration != 61 || logged.Result != "Call Connected" {
		t.Errorf("log-completed = %+v", logged)
	}
	if m := nextEmbed(t, embed); m.Type != "zp-call-recording-completed-event" || m.Data.(zoomsim.EmbedCall).RecordingURL == "" {
		t.Errorf("recording message = %+v", m)
	}
	// The call is in Alice's call history, answered, as a catch-up reads it.
	tok := s.authorize(t, zoomsim.AliceID)
	recs, err := s.client(tok).CallHistory(ctx, "me", s.clock.Now().Add(-time.Hour), s.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].CallID != id || recs[0].Direction != "inbound" {
		t.Errorf("call history = %+v", recs)
	}
	// The call is over: nothing more can be done with it.
	if err := s.Act(ctx, zoomsim.AliceID, id, zoomsim.ActionHangup); !errors.Is(err, zoomsim.ErrNoCall) {
		t.Errorf("hang up an ended call: %v, want ErrNoCall", err)
	}
}

func TestPhoneRefusesWhatTheCallStateDoesNotAllow(t *testing.T) {
	s, rc := phoneSim(t, zoomsim.Options{RingTime: time.Hour})
	ctx := context.Background()
	id, err := s.Ring(ctx, zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, action string
		want               error
	}{
		{"hold a ringing call", zoomsim.AliceID, zoomsim.ActionHold, zoomsim.ErrCallState},
		{"mute a ringing call", zoomsim.AliceID, zoomsim.ActionMute, zoomsim.ErrCallState},
		{"record a ringing call", zoomsim.AliceID, zoomsim.ActionRecord, zoomsim.ErrCallState},
		{"hang up a ringing inbound call", zoomsim.AliceID, zoomsim.ActionHangup, zoomsim.ErrCallState},
		{"someone else's call", zoomsim.BobID, zoomsim.ActionAnswer, zoomsim.ErrNoCall},
		{"unhold a call not on hold", zoomsim.AliceID, zoomsim.ActionUnhold, zoomsim.ErrCallState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Act(ctx, tt.user, id, tt.action); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if err := s.Act(ctx, zoomsim.AliceID, id, zoomsim.ActionDecline); err != nil {
		t.Fatal(err)
	}
	if err := s.Act(ctx, zoomsim.AliceID, id, zoomsim.ActionAnswer); !errors.Is(err, zoomsim.ErrNoCall) {
		t.Errorf("answer a declined call: %v", err)
	}
	want := []string{"phone.callee_ringing", "phone.callee_rejected", "phone.callee_call_history_completed"}
	if got := waitEvents(t, rc, 3); !slices.Equal(got, want) {
		t.Errorf("webhooks = %v, want %v", got, want)
	}
	ev, _ := zoom.Decode(rc.received()[1])
	if ev.Kind != cti.KindRejected {
		t.Errorf("decline decodes as %s", ev.Kind)
	}
}

func TestPhoneUnansweredCallIsMissed(t *testing.T) {
	s, rc := phoneSim(t, zoomsim.Options{RingTime: time.Millisecond})
	embed, cancel := s.SubscribeEmbed(zoomsim.AliceID)
	defer cancel()
	if _, err := s.Ring(context.Background(), zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID}); err != nil {
		t.Fatal(err)
	}
	want := []string{"phone.callee_ringing", "phone.callee_missed", "phone.callee_call_history_completed"}
	if got := waitEvents(t, rc, 3); !slices.Equal(got, want) {
		t.Errorf("webhooks = %v, want %v", got, want)
	}
	nextEmbed(t, embed)
	if m := nextEmbed(t, embed); m.Type != "zp-call-ended-event" || m.Data.(zoomsim.EmbedCall).Result != "missed" {
		t.Errorf("ended message = %+v", m)
	}
}

func TestPhoneOutboundCallFromTheKeypad(t *testing.T) {
	s, rc := phoneSim(t, zoomsim.Options{RemoteAnswer: time.Millisecond})
	embed, cancel := s.SubscribeEmbed(zoomsim.AliceID)
	defer cancel()
	ctx := context.Background()
	for _, bad := range []struct{ number, callerID string }{
		{"", ""}, {"+1 202 555", ""}, {"12a4", ""}, {"+12025550177", "+19995550000"},
	} {
		if _, err := s.Dial(ctx, zoomsim.AliceID, bad.number, bad.callerID); err == nil {
			t.Errorf("Dial(%q, caller id %q) placed a call", bad.number, bad.callerID)
		}
	}
	id, err := s.Dial(ctx, zoomsim.AliceID, "+12025550177", zoomsim.SalesQueue().Number)
	if err != nil {
		t.Fatal(err)
	}
	ring := nextEmbed(t, embed)
	if d := ring.Data.(zoomsim.EmbedCall); ring.Type != "zp-call-ringing-event" || d.Direction != "outbound" ||
		d.Callee.PhoneNumber != "+12025550177" || d.Caller.PhoneNumber != zoomsim.SalesQueue().Number {
		t.Errorf("ringing = %+v", ring)
	}
	if m := nextEmbed(t, embed); m.Type != "zp-call-connected-event" {
		t.Errorf("after the far end answered: %+v", m)
	}
	if err := s.Act(ctx, zoomsim.AliceID, id, zoomsim.ActionHangup); err != nil {
		t.Fatal(err)
	}
	want := []string{"phone.caller_ringing", "phone.caller_connected", "phone.caller_ended", "phone.caller_call_history_completed"}
	if got := waitEvents(t, rc, 4); !slices.Equal(got, want) {
		t.Errorf("webhooks = %v, want %v", got, want)
	}
	ev, err := zoom.Decode(rc.received()[3])
	if err != nil || len(ev.Records) != 1 || ev.Records[0].Direction != "outbound" || ev.Records[0].CallID != id {
		t.Errorf("history event = %+v, %v", ev, err)
	}
}
