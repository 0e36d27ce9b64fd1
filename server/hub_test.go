package server

import (
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// A softphone that stopped reading (its send buffer is full) never holds up
// the hub: it is dropped, and the agent's other tabs and other agents still
// get their messages.
func TestHubDropsASlowSoftphoneAndDeliversToTheOthers(t *testing.T) {
	h := newHub(nil, testLogger())
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
