package server

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/server/store"
)

// A softphone that stopped reading (its send buffer is full) never holds up
// the hub: it is dropped, and the agent's other tabs and other agents still
// get their messages.
func TestHubDropsASlowSoftphoneAndDeliversToTheOthers(t *testing.T) {
	h := newHub(nil, testLogger(), nil)
	alice := cti.Agent{OrgID: "00DORG", UserID: "005ALICE"}
	bob := cti.Agent{OrgID: "00DORG", UserID: "005BOB"}
	conn := func(a cti.Agent, buffer int) *wsConn {
		return &wsConn{agent: a, send: make(chan []byte, buffer), done: make(chan struct{}), close: make(chan int, 1)}
	}
	slow := conn(alice, 1)
	slow.send <- []byte(`{"n":0}`) // unread: the buffer is full
	tab, other := conn(alice, 4), conn(bob, 4)
	for _, c := range []*wsConn{slow, tab, other} {
		h.add(c)
	}

	delivered := make(chan struct{})
	go func() {
		h.deliver(alice.Key(), []byte(`{"n":1}`))
		h.deliver(bob.Key(), []byte(`{"n":2}`))
		close(delivered)
	}()
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatal("deliver blocked on a softphone whose send buffer is full")
	}

	select {
	case <-slow.done:
	default:
		t.Error("the slow softphone was kept")
	}
	tests := []struct {
		name string
		c    *wsConn
		want string
	}{
		{"the agent's other tab", tab, `{"n":1}`},
		{"another agent", other, `{"n":2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			select {
			case got := <-tc.c.send:
				if string(got) != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			default:
				t.Error("no message")
			}
		})
	}
}

// gapPubSub is a push channel whose messages the test sends.
type gapPubSub struct{ ch chan store.Message }

func (p *gapPubSub) Publish(context.Context, string, []byte) error { return nil }
func (p *gapPubSub) Subscribe(context.Context, ...string) (store.Subscription, error) {
	return p, nil
}
func (p *gapPubSub) C() <-chan store.Message { return p.ch }
func (p *gapPubSub) Close() error            { return nil }

// When the push channel says messages were lost (Redis restarted under a
// running instance), every softphone here is sent its agent's call in
// progress again, as a reconnecting one is: a pop among the lost messages
// still reaches the agent, even when the store refuses the first read.
func TestHubResendsCallsInProgressAfterAGap(t *testing.T) {
	ps := &gapPubSub{ch: make(chan store.Message, 4)}
	alice := cti.Agent{OrgID: "00DORG", UserID: "005ALICE"}
	bob := cti.Agent{OrgID: "00DORG", UserID: "005BOB"}
	var asked, refused atomic.Int64
	active := func(_ context.Context, a cti.Agent) ([]byte, error) {
		asked.Add(1)
		if a == alice {
			// The store just back refuses the first read.
			if refused.Add(1) == 1 {
				return nil, errors.New("redis: get: dial tcp: connection refused")
			}
			return []byte(`{"type":"call","resent":true}`), nil
		}
		return nil, nil // bob has no call in progress
	}
	h := newHub(ps, testLogger(), active)
	conn := func(a cti.Agent) *wsConn {
		return &wsConn{agent: a, send: make(chan []byte, 4), done: make(chan struct{}), close: make(chan int, 1)}
	}
	tab1, tab2, other := conn(alice), conn(alice), conn(bob)
	for _, c := range []*wsConn{tab1, tab2, other} {
		h.add(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := h.start(ctx); err != nil {
		t.Fatal(err)
	}

	// An ordinary push is delivered, and nobody's call is read again.
	ps.ch <- store.Message{Payload: []byte(`{"agent":"` + bob.Key() + `","payload":{"n":1}}`)}
	select {
	case got := <-other.send:
		if string(got) != `{"n":1}` {
			t.Fatalf("bob got %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("push not delivered")
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("%d calls read again without a gap", n)
	}

	ps.ch <- store.Message{Gap: true}
	for _, tab := range []*wsConn{tab1, tab2} {
		select {
		case got := <-tab.send:
			if string(got) != `{"type":"call","resent":true}` {
				t.Fatalf("alice's tab got %s, want her call resent", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("alice's call was not resent after the gap")
		}
	}
	if n := asked.Load(); n != 3 {
		t.Fatalf("%d calls read, want 3 (bob's once, alice's again after the store refused)", n)
	}
	select {
	case got := <-other.send:
		t.Fatalf("bob, with no call in progress, got %s", got)
	default:
	}
}

// echoPubSub delivers what is published to its subscriber, as Redis does to
// every instance, the publisher included; it can be told to lose it.
type echoPubSub struct {
	ch   chan store.Message
	lose bool
}

func (p *echoPubSub) Publish(_ context.Context, _ string, b []byte) error {
	if !p.lose {
		p.ch <- store.Message{Payload: b}
	}
	return nil
}
func (p *echoPubSub) Subscribe(context.Context, ...string) (store.Subscription, error) {
	return p, nil
}
func (p *echoPubSub) C() <-chan store.Message { return p.ch }
func (p *echoPubSub) Close() error            { return nil }

// A push to an agent whose softphone this instance holds reaches it without
// waiting for the store to carry it back, and only once when the store does;
// a push another instance published is delivered here.
func TestHubDeliversItsOwnPushesAtOnceAndOnce(t *testing.T) {
	ps := &echoPubSub{ch: make(chan store.Message, 8), lose: true}
	alice := cti.Agent{OrgID: "00DORG", UserID: "005ALICE"}
	h := newHub(ps, testLogger(), nil)
	tab := &wsConn{agent: alice, send: make(chan []byte, 8), done: make(chan struct{}), close: make(chan int, 1)}
	h.add(tab)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := h.start(ctx); err != nil {
		t.Fatal(err)
	}
	next := func(what string) string {
		t.Helper()
		select {
		case got := <-tab.send:
			return string(got)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: nothing delivered", what)
			return ""
		}
	}

	// The store loses the push: the softphone here has it all the same.
	if err := h.Notify(ctx, alice.Key(), map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if got := next("a push the store lost"); got != `{"n":1}` {
		t.Fatalf("got %s, want {\"n\":1}", got)
	}

	// The store carries the next one back: it is not delivered again. Then
	// another instance's push, published after it, is the next thing the
	// softphone gets.
	ps.lose = false
	if err := h.Notify(ctx, alice.Key(), map[string]int{"n": 2}); err != nil {
		t.Fatal(err)
	}
	if got := next("a push the store carried back"); got != `{"n":2}` {
		t.Fatalf("got %s, want {\"n\":2}", got)
	}
	ps.ch <- store.Message{Payload: []byte(`{"agent":"` + alice.Key() + `","payload":{"n":3},"from":"another-instance"}`)}
	if got := next("another instance's push"); got != `{"n":3}` {
		t.Fatalf("got %s after the echo of this instance's own push, want {\"n\":3}", got)
	}
}
