package zoomsim_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

func TestSenderHeaders(t *testing.T) {
	now := time.Unix(1741000300, 0)
	clock := func() time.Time { return now }
	rc := newReceiver(t, "s3cret", clock)
	s := &zoomsim.Sender{URL: rc.URL, Secret: "s3cret", ClientID: "cid", Clock: clock}
	body := []byte(`{"payload":{"plainToken":"FAKEplainToken-000001"},"event_ts":1741000300000,"event":"endpoint.url_validation"}`)
	d, err := s.Send(context.Background(), body)
	if err != nil || !d.OK() {
		t.Fatalf("Send = %+v, %v", d, err)
	}
	r := rc.request(0)
	want := map[string]string{
		"Content-Type":           "application/json; charset=utf-8",
		"User-Agent":             "Zoom Marketplace/1.0a",
		"X-Zm-Request-Timestamp": strconv.FormatInt(now.Unix(), 10),
		"Clientid":               "cid",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r.Header.Get(zoom.HeaderTrackingID) == "" {
		t.Error("no x-zm-trackingid")
	}
	if string(rc.received()[0]) != string(body) {
		t.Error("body changed in transit")
	}
}

func TestSenderVectorC(t *testing.T) {
	clock := func() time.Time { return time.Unix(1741000300, 0) }
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, clock)
	s := &zoomsim.Sender{URL: rc.URL, Secret: zoomsim.DefaultWebhookSecret, Clock: clock}
	body := []byte(`{"payload":{"plainToken":"FAKEplainToken-000001"},"event_ts":1741000300000,"event":"endpoint.url_validation"}`)
	if _, err := s.Send(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	const want = "v0=5081db4e7838861085ff0a8b6f0d586a31b03939db6319fd30b91c06d71f6519"
	if got := rc.request(0).Header.Get(zoom.HeaderSignature); got != want {
		t.Errorf("signature %s, want vector C %s", got, want)
	}
}

func TestSenderFailure(t *testing.T) {
	rc := newReceiver(t, "k", time.Now)
	rc.setStatus(http.StatusServiceUnavailable)
	s := &zoomsim.Sender{URL: rc.URL, Secret: "k"}
	d, err := s.Send(context.Background(), []byte(`{"event":"x"}`))
	if err == nil || d == nil || d.StatusCode != http.StatusServiceUnavailable || d.OK() {
		t.Errorf("Send = %+v, %v", d, err)
	}
	s.URL = "http://127.0.0.1:1/unreachable"
	if _, err := s.Send(context.Background(), []byte(`{}`)); err == nil {
		t.Error("Send to a closed port succeeded")
	}
}

func TestPlayDeliversInOrder(t *testing.T) {
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, time.Now)
	z := zoomsim.New(zoomsim.Options{WebhookURL: rc.URL, PlayGap: 5 * time.Millisecond})
	bodies, err := z.Inbound(zoomsim.CallSpec{From: customer, To: zoomsim.AliceID})
	if err != nil {
		t.Fatal(err)
	}
	if err := z.Play(context.Background(), bodies); err != nil {
		t.Fatal(err)
	}
	got := rc.received()
	if len(got) != len(bodies) {
		t.Fatalf("delivered %d of %d", len(got), len(bodies))
	}
	for i := range got {
		if string(got[i]) != string(bodies[i]) {
			t.Errorf("delivery %d out of order or changed", i)
		}
	}
}

func TestPlayStopsOnFailureButKeepsHistory(t *testing.T) {
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, time.Now)
	rc.setStatus(http.StatusInternalServerError)
	s := newSim(t, zoomsim.Options{WebhookURL: rc.URL, Clock: time.Now})
	bodies, _ := s.Inbound(zoomsim.CallSpec{From: customer, To: zoomsim.AliceID})
	if err := s.Play(context.Background(), bodies); err == nil {
		t.Fatal("Play succeeded against a failing endpoint")
	}
	if n := len(rc.received()); n != 1 {
		t.Errorf("deliveries after the first failure: %d, want 1", n)
	}
	// Zoom keeps the call in its history even though the webhook was lost.
	tok := s.authorize(t, zoomsim.AliceID)
	recs, err := s.client(tok).CallHistory(context.Background(), "me", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(recs) != 1 {
		t.Errorf("history = %v, %v", recs, err)
	}
}

func TestPlayWithoutWebhookURL(t *testing.T) {
	z := zoomsim.New(zoomsim.Options{})
	if err := z.Play(context.Background(), [][]byte{[]byte(`{}`)}); !errors.Is(err, zoomsim.ErrNoWebhookURL) {
		t.Errorf("Play = %v", err)
	}
	z.SetWebhookURL("http://127.0.0.1:1/")
	if z.Options().WebhookURL != "http://127.0.0.1:1/" {
		t.Error("SetWebhookURL not applied")
	}
}

func TestDeauthorize(t *testing.T) {
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, time.Now)
	s := newSim(t, zoomsim.Options{WebhookURL: rc.URL, Clock: time.Now})
	tok := s.authorize(t, zoomsim.BobID)
	if err := s.Deauthorize(context.Background(), zoomsim.BobID); err != nil {
		t.Fatal(err)
	}
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("deliveries = %d", len(got))
	}
	ev, err := zoom.Decode(got[0])
	if err != nil || ev.Kind != cti.KindDeauthorize || ev.UserID != zoomsim.BobID || ev.AccountID != zoomsim.AccountID {
		t.Errorf("event %+v, %v", ev, err)
	}
	if _, err := s.client(tok).Me(context.Background()); !errors.Is(err, zoom.ErrUnauthorized) {
		t.Errorf("token still works after deauthorization: %v", err)
	}
}
