package salesforce

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// TokenSource supplies a user's access token and renews it when Salesforce
// refuses it.
//
// Salesforce sends no expires_in: a token lives as long as the org's session
// timeout, and the only sign of expiry is a 401 INVALID_SESSION_ID. So the
// Client never refreshes ahead of time; it calls Refresh with the token that
// was refused. Implementations must collapse concurrent Refresh calls for the
// same stale token into one exchange with Salesforce, and return the current
// token at once when stale has already been replaced.
type TokenSource interface {
	Token(ctx context.Context) (*oauth2.Token, error)
	Refresh(ctx context.Context, stale *oauth2.Token) (*oauth2.Token, error)
}

// refreshTimeout bounds one refresh exchange. The exchange outlives the
// request that started it (other requests may be waiting on it), so it does
// not stop when that request's context is cancelled.
const refreshTimeout = 30 * time.Second

// NewTokenSource returns an in-process TokenSource that starts from tok and
// refreshes through cfg's token endpoint. tok may carry only a refresh token,
// in which case the first Token call refreshes.
//
// After each refresh it calls save (when not nil) before handing out the new
// token, so a restart never goes back to a refresh token that Salesforce may
// have rotated. If save fails the new token is still used in memory and the
// refresh reports the error. A refresh response without a refresh token
// keeps the old one, and one without instance_url keeps the old instance.
//
// It coordinates refreshes within one process only; instances sharing a
// user's tokens need a TokenSource that locks across them.
func NewTokenSource(cfg *oauth2.Config, tok *oauth2.Token, save func(context.Context, *oauth2.Token) error) TokenSource {
	if tok == nil {
		tok = &oauth2.Token{}
	}
	return &tokenSource{cfg: cfg, save: save, tok: tok}
}

type tokenSource struct {
	cfg  *oauth2.Config
	save func(context.Context, *oauth2.Token) error

	mu     sync.Mutex
	tok    *oauth2.Token
	flight *refreshFlight // the refresh in progress, if any
}

// refreshFlight is one refresh exchange that any number of callers wait on.
type refreshFlight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

var _ TokenSource = (*tokenSource)(nil)

func (s *tokenSource) Token(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	tok := s.tok
	s.mu.Unlock()
	if tok.AccessToken != "" {
		return tok, nil
	}
	return s.Refresh(ctx, tok)
}

func (s *tokenSource) Refresh(ctx context.Context, stale *oauth2.Token) (*oauth2.Token, error) {
	staleAccess := ""
	if stale != nil {
		staleAccess = stale.AccessToken
	}
	s.mu.Lock()
	if s.tok.AccessToken != "" && s.tok.AccessToken != staleAccess {
		tok := s.tok // someone else already replaced the stale token
		s.mu.Unlock()
		return tok, nil
	}
	f := s.flight
	if f == nil {
		f = &refreshFlight{done: make(chan struct{})}
		s.flight = f
		go s.refresh(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// refresh runs one refresh exchange and settles f.
func (s *tokenSource) refresh(ctx context.Context, f *refreshFlight) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()

	s.mu.Lock()
	old := s.tok
	s.mu.Unlock()

	tok, err := s.exchange(ctx, old)
	if err == nil && s.save != nil {
		if serr := s.save(ctx, tok); serr != nil {
			err = fmt.Errorf("salesforce: save refreshed token: %w", serr)
		}
	}

	s.mu.Lock()
	if tok != nil {
		s.tok = tok
	}
	s.flight = nil
	s.mu.Unlock()
	f.tok, f.err = tok, err
	close(f.done)
}

// exchange trades old's refresh token for a new access token.
func (s *tokenSource) exchange(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error) {
	return Refresh(ctx, s.cfg, old)
}

// Refresh trades old's refresh token for a new access token at cfg's token
// endpoint (through the *http.Client in ctx under oauth2.HTTPClient, if
// any). The new token keeps old's refresh token and instance_url when the
// response leaves them out. A refusal is an *Error: invalid_grant when the
// refresh token was revoked or expired (see AsCTIError).
func Refresh(ctx context.Context, cfg *oauth2.Config, old *oauth2.Token) (*oauth2.Token, error) {
	if old.RefreshToken == "" {
		return nil, &Error{Status: 401, Code: "INVALID_SESSION_ID", Message: "access token refused and no refresh token to renew it"}
	}
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			e := &Error{Code: re.ErrorCode, Message: re.ErrorDescription}
			if re.Response != nil {
				e.Status = re.Response.StatusCode
			}
			if e.Message == "" {
				e.Message = "token refresh refused"
			}
			return nil, fmt.Errorf("salesforce: refresh token: %w", e)
		}
		return nil, fmt.Errorf("salesforce: refresh token: %w", transportError(err))
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = old.RefreshToken
	}
	if InstanceURL(tok) == "" {
		if u := InstanceURL(old); u != "" {
			tok = WithInstanceURL(tok, u)
		}
	}
	return tok, nil
}

// InstanceURL returns the instance_url a token response carried, if any:
// the host of the user's org, where its REST API answers.
func InstanceURL(tok *oauth2.Token) string {
	if tok == nil {
		return ""
	}
	s, _ := tok.Extra("instance_url").(string)
	return s
}

// WithInstanceURL returns a copy of tok that carries instanceURL as
// Salesforce's token responses do.
func WithInstanceURL(tok *oauth2.Token, instanceURL string) *oauth2.Token {
	return tok.WithExtra(map[string]any{"instance_url": instanceURL})
}
