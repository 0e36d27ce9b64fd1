package zoom_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/zoomcti/zoomcti/cti/zoom"
)

// Zoom's 4711 answers as public reports captured them (see refusals.go),
// read into the scopes to add.
func TestMissingScopeBodies(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		scopes []string // as Zoom named them
		needed []string // what a user-managed app adds
	}{
		{"one admin scope", `{"code":4711,"message":"Invalid access token, does not contain scopes:[user:read:list_users:admin]."}`,
			[]string{"user:read:list_users:admin"}, []string{"user:read:list_users:admin"}},
		{"user and admin alternatives", `{"code":4711,"message":"Invalid access token, does not contain scopes:[cloud_recording:read:list_user_recordings, cloud_recording:read:list_user_recordings:admin]."}`,
			[]string{"cloud_recording:read:list_user_recordings", "cloud_recording:read:list_user_recordings:admin"}, []string{"cloud_recording:read:list_user_recordings"}},
		{"classic scopes, a space after the colon", `{"code":4711,"message":"Invalid access token, does not contain scopes: [user:write:admin, user:read:admin, user:read, user:write]."}`,
			[]string{"user:write:admin", "user:read:admin", "user:read", "user:write"}, []string{"user:read", "user:write"}},
		{"no list", `{"code":4711,"message":"Invalid access token, does not contain scopes."}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := zoom.NewClient(srv.URL, srv.Client()).Me(context.Background())
			var se *zoom.ScopeError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a ScopeError", err)
			}
			if !slices.Equal(se.Scopes, tt.scopes) || !slices.Equal(se.Needed(), tt.needed) {
				t.Errorf("scopes %q needed %q, want %q %q", se.Scopes, se.Needed(), tt.scopes, tt.needed)
			}
			if !errors.Is(err, zoom.ErrForbidden) || errors.Is(err, zoom.ErrUnauthorized) {
				t.Errorf("kind of %v: want forbidden only", err)
			}
			for _, s := range tt.needed {
				if !strings.Contains(se.Advice(), s) {
					t.Errorf("advice %q does not name %s", se.Advice(), s)
				}
			}
		})
	}
}

// Another 400 is not a missing scope.
func TestOtherBadRequestIsNoScopeError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":300,"message":"Invalid parameter: page_size."}`))
	}))
	defer srv.Close()
	_, err := zoom.NewClient(srv.URL, srv.Client()).Me(context.Background())
	var se *zoom.ScopeError
	if err == nil || errors.As(err, &se) || errors.Is(err, zoom.ErrForbidden) {
		t.Errorf("err = %v: a 300 is no missing scope", err)
	}
}

// A user-managed Zoom app's scopes are set on the app, not asked for at
// authorization (reference/zoom.md §4.1): the authorize URL has no scope.
func TestAuthorizeURLAsksForNoScope(t *testing.T) {
	u, err := url.Parse(zoom.OAuthConfig("id", "secret", "", redirect).AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Has("scope") {
		t.Errorf("authorize URL %s asks for scopes", u)
	}
}
