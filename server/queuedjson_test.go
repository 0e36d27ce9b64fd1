package server

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The intake's job is what json.Marshal makes of queuedEvent, byte for
// byte, whether it was written by hand or marshalled, so that a worker
// reads the same event either way.
func TestQueuedEventsAreWhatJSONMarshalMakes(t *testing.T) {
	zm := zoomsim.New(zoomsim.Options{})
	start := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	var bodies [][]byte
	for _, spec := range []struct {
		out  bool
		spec zoomsim.CallSpec
	}{
		{spec: zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID, Start: start}},
		{spec: zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID, Start: start, Queue: zoomsim.SalesQueue(), FromName: "EXAMPLE CUSTOMER"}},
		{spec: zoomsim.CallSpec{From: zoomsim.BobID, To: zoomsim.AliceID, Start: start}},
		{out: true, spec: zoomsim.CallSpec{From: zoomsim.AliceID, To: "+12025550142", Start: start}},
	} {
		call := zm.Inbound
		if spec.out {
			call = zm.Outbound
		}
		b, err := call(spec.spec)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b...)
	}
	received := time.Date(2026, 12, 6, 9, 30, 1, 123456789, time.UTC)
	fast := 0
	for _, body := range bodies {
		ev, err := zoom.Decode(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		want, err := json.Marshal(queuedEvent{Event: &ev, Received: received})
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeQueued(&ev, received)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s event:\n got %s\nwant %s", ev.Type, got, want)
		}
		if _, ok := appendQueuedLive(nil, &ev, received); ok {
			fast++
		} else if ev.IsCall() {
			t.Errorf("%s: a live-call event was marshalled, not written", ev.Type)
		}
	}
	// Each call's ringing, answered and ended events at least.
	if fast < 12 {
		t.Errorf("%d events written by hand, want at least 12", fast)
	}
}

// Whatever a live-call event holds, the hand-written job is json.Marshal's,
// or json.Marshal writes it.
func FuzzQueuedEventsAreWhatJSONMarshalMakes(f *testing.F) {
	f.Add("zoom:phone.callee_ringing:1:7400000000000000001:u", "Alice Example", "+12025550142", "Call connected", "callQueue", int64(1796557380300), int64(0))
	f.Add("id", "O'Brien <sales> & \"support\"", "+1 202\t555", "a\\b", "", int64(-62135596800000), int64(1))
	f.Add("id", "Zoë \u2028 日本", "\x00\x7f", "", "user", int64(253402300800000), int64(-1))
	f.Add("", "", "", "", "", int64(0), int64(253402300799999))
	// Years json.Marshal refuses to write.
	f.Add("id", "Alice", "+12025550142", "", "", int64(253402300800000), int64(0))
	f.Add("id", "Alice", "+12025550142", "", "", int64(0), int64(-62167219200001))
	// Each byte JSON escapes, alone in an otherwise plain event.
	for _, c := range []string{"<", ">", "&", `"`, `\`, "\n", "\x1f", "\x7f", "é", "\u2028", "\xff"} {
		f.Add("id", "Alice "+c, "+12025550142", "", "", int64(1796557380300), int64(1796557380300))
	}
	f.Fuzz(func(t *testing.T, id, name, number, result, extType string, atMS, receivedMS int64) {
		at := time.UnixMilli(atMS).UTC()
		ev := cti.Event{ID: id, Source: "zoom", Type: "phone.callee_ringing", Kind: cti.KindRinging, AccountID: "acct",
			At: at, CallID: number, UserID: id, Direction: cti.Inbound,
			Caller:  cti.Party{Name: name, Number: number, ExtensionType: extType},
			Callee:  cti.Party{UserID: id, Email: result},
			Ringing: at, Result: result}
		if extType != "" {
			ev.Queue = &cti.Routing{Name: name, ExtensionType: extType}
		}
		received := time.UnixMilli(receivedMS).In(time.FixedZone("", -5*3600))
		want, wantErr := json.Marshal(queuedEvent{Event: &ev, Received: received})
		got, err := encodeQueued(&ev, received)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("got %s (%v)\nwant %s (%v)", got, err, want, wantErr)
		}
	})
}

// BenchmarkQueuedEvent compares the intake's job for a ringing event
// written by hand with json.Marshal's.
func BenchmarkQueuedEvent(b *testing.B) {
	body, err := zoomsim.New(zoomsim.Options{}).Inbound(zoomsim.CallSpec{From: "+12025550142", To: zoomsim.AliceID})
	if err != nil {
		b.Fatal(err)
	}
	ev, err := zoom.Decode(body[0])
	if err != nil {
		b.Fatal(err)
	}
	received := time.Now()
	b.Run("written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeQueued(&ev, received); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshalled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(queuedEvent{Event: &ev, Received: received}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
