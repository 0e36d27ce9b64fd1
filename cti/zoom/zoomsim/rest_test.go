package zoomsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// apiGet calls the emulator's REST API with a bearer token and returns the
// status and the decoded body.
func apiGet(t *testing.T, s *sim, token, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s: body %s: %v", path, raw, err)
	}
	return resp.StatusCode, body
}

func TestUsers(t *testing.T) {
	s := newSim(t, zoomsim.Options{Scopes: append(zoomsim.DefaultScopes(), "phone:read:user")})
	s.AddUser(zoomsim.User{ID: "FAKEuserCarol00000003", Email: "carol@example.com", FirstName: "Carol", LastName: "Example", Extension: "1003", Number: "+12025550103"})
	if n := len(s.Users()); n != 3 {
		t.Fatalf("users = %d", n)
	}
	tok := s.authorize(t, "FAKEuserCarol00000003")
	c := s.client(tok)
	ctx := context.Background()

	for _, key := range []string{"me", "FAKEuserCarol00000003", "CAROL@example.com"} {
		u, err := c.User(ctx, key)
		if err != nil || u.ID != "FAKEuserCarol00000003" || u.Email != "carol@example.com" || u.FirstName != "Carol" {
			t.Errorf("User(%q) = %+v, %v", key, u, err)
		}
	}
	u, err := c.User(ctx, "bob@example.com")
	if err != nil || u.ID != zoomsim.BobID {
		t.Errorf("User(bob) = %+v, %v", u, err)
	}

	_, err = c.User(ctx, "nobody@example.com")
	var ae *zoom.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != 1001 || ae.Message != "User does not exist: nobody@example.com." || !errors.Is(err, zoom.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}

	status, body := apiGet(t, s, tok.AccessToken, "/v2/phone/users/me")
	if status != 200 || body["extension_number"] != float64(1003) || body["email"] != "carol@example.com" {
		t.Errorf("phone user: %d %v", status, body)
	}
}

func TestRESTNeedsValidToken(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	for _, tok := range []string{"", "made-up"} {
		status, body := apiGet(t, s, tok, "/v2/users/me")
		if status != 401 || body["code"] != float64(124) || body["message"] != "Invalid access token." {
			t.Errorf("token %q: %d %v", tok, status, body)
		}
	}
}

func TestCallHistoryPaging(t *testing.T) {
	rc := newReceiver(t, zoomsim.DefaultWebhookSecret, time.Now)
	s := newSim(t, zoomsim.Options{WebhookURL: rc.URL, Clock: time.Now})
	ctx := context.Background()
	day := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	var callIDs []string
	for i := range 5 {
		bodies, err := s.Inbound(zoomsim.CallSpec{From: customer, To: zoomsim.AliceID, Start: day.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Play(ctx, bodies); err != nil {
			t.Fatal(err)
		}
		ev, _ := zoom.Decode(bodies[0])
		callIDs = append(callIDs, ev.CallID)
	}
	// A call of Bob's stays out of Alice's history.
	bob, _ := s.Outbound(zoomsim.CallSpec{From: zoomsim.BobID, To: customer, Start: day})
	if err := s.Play(ctx, bob); err != nil {
		t.Fatal(err)
	}
	tok := s.authorize(t, zoomsim.AliceID)

	// Raw paging as Zoom documents it.
	q := url.Values{"from": {"2025-03-04"}, "to": {"2025-03-04"}, "page_size": {"2"}}
	status, page := apiGet(t, s, tok.AccessToken, "/v2/phone/users/me/call_history?"+q.Encode())
	if status != 200 || len(page["call_logs"].([]any)) != 2 || page["total_records"] != float64(5) || page["next_page_token"] == "" {
		t.Fatalf("first page: %d %v", status, page)
	}
	first := page["call_logs"].([]any)[0].(map[string]any)
	if first["call_id"] != callIDs[4] || first["direction"] != "inbound" || first["talk_time"] != float64(90) {
		t.Errorf("newest first, v2 fields: %v", first)
	}
	q.Set("next_page_token", page["next_page_token"].(string))
	if status, _ := apiGet(t, s, tok.AccessToken, "/v2/phone/users/me/call_history?"+q.Encode()); status != 200 {
		t.Errorf("second page: %d", status)
	}
	// A next_page_token is single use here; a replay is refused.
	if status, body := apiGet(t, s, tok.AccessToken, "/v2/phone/users/me/call_history?"+q.Encode()); status != 400 || body["code"] != float64(300) {
		t.Errorf("replayed token: %d %v", status, body)
	}

	// The client follows next_page_token to the end.
	c := s.client(tok)
	c.PageSize = 2
	recs, err := c.CallHistory(ctx, zoomsim.AliceID, day.Add(-time.Hour), day.Add(6*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("records = %d, want 5", len(recs))
	}
	for _, r := range recs {
		if r.UserID != zoomsim.AliceID || r.Callee.UserID != zoomsim.AliceID || r.Caller.Number != customer || r.DurationSeconds != 90 {
			t.Errorf("record %+v", r)
		}
	}
	// A narrower range returns only the calls that started in it.
	recs, err = c.CallHistory(ctx, "me", day.Add(90*time.Minute), day.Add(3*time.Hour))
	if err != nil || len(recs) != 2 || recs[0].CallID != callIDs[3] || recs[1].CallID != callIDs[2] {
		t.Errorf("range: %+v, %v", recs, err)
	}
}

func TestCallHistoryBadQuery(t *testing.T) {
	s := newSim(t, zoomsim.Options{})
	tok := s.authorize(t, zoomsim.AliceID)
	for _, q := range []string{"from=2025-03-04", "from=2025-01-01&to=2025-03-04", "from=04/03/2025&to=2025-03-04", "page_size=x", "next_page_token=nope"} {
		status, body := apiGet(t, s, tok.AccessToken, "/v2/phone/users/me/call_history?"+q)
		if status != 400 || body["code"] != float64(300) {
			t.Errorf("%s: %d %v", q, status, body)
		}
	}
	if status, body := apiGet(t, s, tok.AccessToken, "/v2/phone/users/nobody/call_history"); status != 404 || body["code"] != float64(1001) {
		t.Errorf("unknown user: %d %v", status, body)
	}
}
