package server

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialAs opens a softphone socket on e with token and waits for hello.
func (e *env) dialAs(token string) *websocket.Conn {
	e.t.Helper()
	ws, _, err := e.dial(testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		e.t.Fatal(err)
	}
	readMsg(e.t, ws, "hello", 5*time.Second)
	return ws
}

// signOut signs token's session out, as the softphone's button does.
func (e *env) signOut(token string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/signout", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("sign-out: %d", resp.StatusCode)
	}
}

// closedWith reads ws until it closes and returns the close code.
func closedWith(t *testing.T, ws *websocket.Conn, within time.Duration) int {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(within))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			t.Fatalf("socket not closed by the server: %v", err)
		}
	}
}

// meStatus is GET /api/me's status for token on e.
func (e *env) meStatus(token string) int {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Signing out in one softphone, or Salesforce revoking the agent's token,
// ends every session of the agent and closes every socket of it, on both
// instances sharing Redis.
func TestSignoutEndsEverySessionOnTwoInstances(t *testing.T) {
	tests := []struct {
		name string
		end  func(t *testing.T, a *env, token string)
	}{
		{"the agent signs out in one softphone", func(t *testing.T, a *env, token string) {
			a.signOut(token)
		}},
		{"Salesforce revokes the agent's token", func(t *testing.T, a *env, _ string) {
			ag := a.s.demoAgent
			a.s.signedOut(context.Background(), ag.OrgID, ag.UserID, "Salesforce revoked your session.")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 2)
			a, b := c.env(t, 0), c.env(t, 1)
			signingOut, other1, other2 := a.session(), a.session(), b.session()
			sockets := []*websocket.Conn{a.dialAs(other1), b.dialAs(other1), b.dialAs(other2), a.dialAs(other2)}

			began := time.Now()
			tc.end(t, a, signingOut)
			for i, ws := range sockets {
				if code := closedWith(t, ws, 10*time.Second); code != closeAuthFail {
					t.Errorf("socket %d closed with %d, want %d", i, code, closeAuthFail)
				}
			}
			t.Logf("every socket of the agent closed %v after the sign-out", time.Since(began))
			for _, e := range []*env{a, b} {
				for _, tok := range []string{signingOut, other1, other2} {
					if got := e.meStatus(tok); got != http.StatusUnauthorized {
						t.Errorf("a session of the signed-out agent gets %d on %s, want 401", got, e.url)
					}
				}
			}
			// Signing in again works, on either instance.
			if got := b.meStatus(a.session()); got != http.StatusOK {
				t.Errorf("a new session after sign-out gets %d", got)
			}
		})
	}
}

// Every console tab loads its own softphone: past the cap the oldest
// socket is closed, and the newest works.
func TestWebsocketCapClosesTheOldest(t *testing.T) {
	e := newEnv(t)
	token := e.session()
	var sockets []*websocket.Conn
	for range wsMaxPerAgent + 1 {
		sockets = append(sockets, e.dialAs(token))
	}
	if code := closedWith(t, sockets[0], 5*time.Second); code != closeTooMany {
		t.Fatalf("the oldest socket closed with %d, want %d", code, closeTooMany)
	}
	if err := e.s.hub.Notify(context.Background(), e.s.demoAgent.Key(), map[string]string{"type": "presence"}); err != nil {
		t.Fatal(err)
	}
	for i, ws := range sockets[1:] {
		if m := readMsg(t, ws, "presence", 5*time.Second); m == nil {
			t.Fatalf("socket %d got nothing", i+1)
		}
	}
	if n := e.s.hub.count(); n != wsMaxPerAgent {
		t.Fatalf("the hub holds %d sockets of the agent, want %d", n, wsMaxPerAgent)
	}
}
