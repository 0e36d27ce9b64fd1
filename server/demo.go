package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
)

// DemoWebhookSecret is the Zoom Secret Token of the demo; `zoomcti simulate`
// uses it when ZOOMCTI_ZOOM_WEBHOOK_SECRET is not set, so the two fit.
const DemoWebhookSecret = "zoomcti-demo-webhook-secret"

// DemoOpsToken is the demo's operator token; `zoomcti reconcile` uses it
// when ZOOMCTI_OPS_TOKEN is not set.
const DemoOpsToken = "zoomcti-demo-ops-token"

// DemoZoomUserID is the demo agent's Zoom user (Alice in the fixtures).
const DemoZoomUserID = "FAKEuserAlice00000001"

// Demo is a running demo: the server with an emulated Salesforce org and an
// emulated Zoom, all on loopback, the demo agent signed in and linked.
type Demo struct {
	ServerURL     string // zoomcti itself
	ConsoleURL    string // the page to open: the emulated Lightning console
	SalesforceURL string
	ZoomURL       string
	Org           *sfsim.Org
	Zoom          *zoomsim.Zoom
	Server        *Server
	Store         store.Store

	done chan error
}

// Wait blocks until the demo has stopped (its context was cancelled).
func (d *Demo) Wait() error { return <-d.done }

// StartDemo starts everything on loopback: zoomcti on addr (port 0 picks
// one), the emulated org and Zoom on the next two ports (or any free ones).
// storePath may be empty for a throwaway store. It returns once all three
// answer.
func StartDemo(ctx context.Context, addr, storePath string, log *slog.Logger, mods ...func(*Config)) (*Demo, error) {
	lnServer, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ZOOMCTI_ADDR: %w", err)
	}
	host, port, _ := net.SplitHostPort(lnServer.Addr().String())
	lnSF := listenNear(host, port, 1)
	lnZoom := listenNear(host, port, 2)
	if lnSF == nil || lnZoom == nil {
		lnServer.Close()
		return nil, errors.New("demo: no free port for the emulators")
	}
	serverURL := "http://" + lnServer.Addr().String()
	sfURL := "http://" + lnSF.Addr().String()
	zoomURL := "http://" + lnZoom.Addr().String()

	cleanup := func() {}
	if storePath == "" {
		dir, err := os.MkdirTemp("", "zoomcti-demo-")
		if err != nil {
			return nil, err
		}
		storePath = filepath.Join(dir, "demo.db")
		cleanup = func() { os.RemoveAll(dir) }
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := Config{
		Addr:              lnServer.Addr().String(),
		PublicURL:         serverURL,
		ZoomWebhookSecret: DemoWebhookSecret,
		ZoomClientID:      "zoomsim-client-id",
		ZoomClientSecret:  "zoomsim-client-secret",
		ZoomOAuthURL:      zoomURL,
		ZoomAPIURL:        zoomURL,
		SFClientID:        "sfsim-client-id",
		SFClientSecret:    "sfsim-client-secret",
		SFLoginURL:        sfURL,
		SFAPIVersion:      defaultSFAPIVersion,
		StorePath:         storePath,
		EncryptionKey:     key,
		FrameAncestors:    []string{sfURL},
		OpsToken:          DemoOpsToken,
		Demo:              true,
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	zm := zoomsim.New(zoomsim.Options{
		ClientID:      cfg.ZoomClientID,
		ClientSecret:  cfg.ZoomClientSecret,
		WebhookSecret: DemoWebhookSecret,
		WebhookURL:    serverURL + "/webhooks/zoom",
		// Paced like a real call, so the softphone visibly rings, connects
		// and hangs up.
		PlayGap: 3 * time.Second,
	})
	org := sfsim.New(sfsim.Options{
		ClientID:     cfg.SFClientID,
		ClientSecret: cfg.SFClientSecret,
		AdapterURL:   serverURL + "/softphone",
		DemoCall: func(ctx context.Context, from string) error {
			bodies, err := zm.Inbound(zoomsim.CallSpec{From: from, To: DemoZoomUserID, Talk: 42 * time.Second})
			if err != nil {
				return err
			}
			// The console waits for the answer; the call plays on.
			go func() {
				if err := zm.Play(context.WithoutCancel(ctx), bodies); err != nil {
					log.Warn("demo call failed", "err", err)
				}
			}()
			return nil
		},
	})

	st, err := OpenStore(ctx, cfg)
	if err != nil {
		cleanup()
		return nil, err
	}
	srv, err := New(cfg, Deps{Store: st, Logger: log})
	if err != nil {
		st.Close()
		cleanup()
		return nil, err
	}
	if err := srv.linkDemoAgent(ctx, org, sfURL); err != nil {
		st.Close()
		cleanup()
		return nil, err
	}
	// Alice has authorized the Zoom app too (as the popup would have it).
	access, refresh, expiry := zm.IssueToken(DemoZoomUserID)
	if err := srv.saveZoomToken(ctx, srv.demoAgent.OrgID, srv.demoAgent.UserID, &oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: expiry}); err != nil {
		st.Close()
		cleanup()
		return nil, err
	}

	d := &Demo{
		ServerURL: serverURL, ConsoleURL: sfURL + "/lightning/page/home",
		SalesforceURL: sfURL, ZoomURL: zoomURL,
		Org: org, Zoom: zm, Server: srv, Store: st, done: make(chan error, 1),
	}
	sims := []*http.Server{
		{Handler: org, ReadHeaderTimeout: 10 * time.Second},
		{Handler: zm, ReadHeaderTimeout: 10 * time.Second},
	}
	go sims[0].Serve(lnSF)
	go sims[1].Serve(lnZoom)
	go func() {
		err := srv.Serve(ctx, lnServer)
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for _, s := range sims {
			_ = s.Shutdown(shut)
		}
		cancel()
		st.Close()
		cleanup()
		d.done <- err
	}()
	return d, nil
}

// listenNear listens on port+delta of host, or on any free port.
func listenNear(host, port string, delta int) net.Listener {
	if p, err := strconv.Atoi(port); err == nil && p > 0 {
		if ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p+delta))); err == nil {
			return ln
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil
	}
	return ln
}

// linkDemoAgent signs the org's demo user in (as the OAuth flow would) and
// links Alice's Zoom account to them, so calls pop at once.
func (s *Server) linkDemoAgent(ctx context.Context, org *sfsim.Org, instanceURL string) error {
	u := org.DemoUser()
	access, refresh := org.IssueToken(u.ID)
	a := cti.Agent{
		OrgID: org.OrgID(), UserID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name,
		ZoomUserID: DemoZoomUserID, ZoomEmail: u.Email, TimeZone: "America/New_York",
	}
	tok := (&oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}).
		WithExtra(map[string]any{"instance_url": instanceURL})
	if err := s.SaveAgent(ctx, agentRecord{Agent: a, InstanceURL: instanceURL}, tok); err != nil {
		return err
	}
	if err := s.LinkZoom(ctx, a); err != nil {
		return err
	}
	s.demoAgent = &a
	return nil
}
