// Package demo is `zoomcti demo`: a zoomcti with an emulated Salesforce org
// (sfsim) and an emulated Zoom (zoomsim) beside it on loopback, the demo
// agent signed in and linked, so that anyone can try the softphone with no
// accounts and no network. It lives apart from package server so that
// `zoomcti serve` does not carry the emulators.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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
	"github.com/zoomcti/zoomcti/server"
	"github.com/zoomcti/zoomcti/server/store"
)

// WebhookSecret is the Zoom Secret Token of the demo; `zoomcti simulate`
// uses it when ZOOMCTI_ZOOM_WEBHOOK_SECRET is not set, so the two fit.
const WebhookSecret = "zoomcti-demo-webhook-secret"

// OpsToken is the demo's operator token; `zoomcti reconcile` uses it when
// ZOOMCTI_OPS_TOKEN is not set.
const OpsToken = "zoomcti-demo-ops-token"

// ZoomUserID is the demo agent's Zoom user (Alice in the fixtures).
const ZoomUserID = zoomsim.AliceID

// Demo is a running demo: the server with an emulated Salesforce org and an
// emulated Zoom, all on loopback, the demo agent signed in and linked.
type Demo struct {
	ServerURL     string // zoomcti itself
	ConsoleURL    string // the page to open: the emulated Lightning console
	SalesforceURL string
	ZoomURL       string
	Org           *sfsim.Org
	Zoom          *zoomsim.Zoom
	Server        *server.Server
	Store         store.Store
	Agent         cti.Agent // the demo agent, signed in and linked

	done chan error
}

// Wait blocks until the demo has stopped (its context was cancelled).
func (d *Demo) Wait() error { return <-d.done }

// Start starts everything on loopback: zoomcti on addr (port 0 picks one),
// the emulated org and Zoom on the next two ports (or any free ones).
// storePath may be empty for a throwaway store. It returns once all three
// answer, and everything stops when ctx is done (Wait waits for that).
func Start(ctx context.Context, addr, storePath string, log *slog.Logger) (*Demo, error) {
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
	// Configured as `zoomcti serve` would be, its defaults included.
	env := map[string]string{
		"ZOOMCTI_ADDR":                lnServer.Addr().String(),
		"ZOOMCTI_PUBLIC_URL":          serverURL,
		"ZOOMCTI_ZOOM_WEBHOOK_SECRET": WebhookSecret,
		"ZOOMCTI_ZOOM_CLIENT_ID":      "zoomsim-client-id",
		"ZOOMCTI_ZOOM_CLIENT_SECRET":  "zoomsim-client-secret",
		"ZOOMCTI_ZOOM_OAUTH_URL":      zoomURL,
		"ZOOMCTI_ZOOM_API_URL":        zoomURL,
		"ZOOMCTI_ZOOM_EMBED_URL":      zoomURL + zoomsim.EmbedPath,
		"ZOOMCTI_SF_CLIENT_ID":        "sfsim-client-id",
		"ZOOMCTI_SF_CLIENT_SECRET":    "sfsim-client-secret",
		"ZOOMCTI_SF_LOGIN_URL":        sfURL,
		"ZOOMCTI_STORE_PATH":          storePath,
		"ZOOMCTI_ENCRYPTION_KEY":      base64.StdEncoding.EncodeToString(key),
		"ZOOMCTI_FRAME_ANCESTORS":     sfURL,
		"ZOOMCTI_OPS_TOKEN":           OpsToken,
		"ZOOMCTI_RECONCILE_EVERY":     "0", // the demo's calls all reach it
	}
	cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("demo: %w", err)
	}
	cfg.Demo = true
	if err := cfg.Validate(); err != nil {
		cleanup()
		return nil, fmt.Errorf("demo: %w", err)
	}

	zm := zoomsim.New(zoomsim.Options{
		ClientID:      cfg.ZoomClientID,
		ClientSecret:  cfg.ZoomClientSecret,
		WebhookSecret: WebhookSecret,
		WebhookURL:    serverURL + "/webhooks/zoom",
		// Paced like a real call, so the softphone visibly rings, connects
		// and hangs up (`zoomcti simulate`).
		PlayGap: 3 * time.Second,
		// The emulated Smart Embed in the softphone: the agent is signed in
		// to Zoom, and zoomcti's origin is the approved domain.
		ApprovedDomains: []string{serverURL},
		EmbedUser:       ZoomUserID,
		PublicURL:       zoomURL,
	})
	org := sfsim.New(sfsim.Options{
		ClientID:     cfg.SFClientID,
		ClientSecret: cfg.SFClientSecret,
		AdapterURL:   serverURL + "/softphone",
		// The call rings in the softphone's Zoom panel (the emulated Smart
		// Embed) until the agent answers or declines it there, or for 30 s.
		DemoCall: func(ctx context.Context, from string) error {
			// The console waits for the answer; the call rings on.
			go func() {
				if _, err := zm.Ring(context.WithoutCancel(ctx), zoomsim.CallSpec{From: from, To: ZoomUserID}); err != nil {
					log.Warn("demo call failed", "err", err)
				}
			}()
			return nil
		},
	})

	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		cleanup()
		return nil, err
	}
	srv, err := server.New(cfg, server.Deps{Store: st, Logger: log})
	if err != nil {
		st.Close()
		cleanup()
		return nil, err
	}
	agent, err := enrollDemoAgent(ctx, srv, org, zm, sfURL)
	if err != nil {
		st.Close()
		cleanup()
		return nil, err
	}

	d := &Demo{
		ServerURL: serverURL, ConsoleURL: sfURL + "/lightning/page/home",
		SalesforceURL: sfURL, ZoomURL: zoomURL,
		Org: org, Zoom: zm, Server: srv, Store: st, Agent: agent, done: make(chan error, 1),
	}
	sims := []*http.Server{
		{Handler: org, ReadHeaderTimeout: 10 * time.Second},
		{Handler: zm, ReadHeaderTimeout: 10 * time.Second},
	}
	go sims[0].Serve(lnSF)
	go sims[1].Serve(lnZoom)
	go func() {
		err := srv.Serve(ctx, lnServer)
		zm.Close() // ends the embed pages' event streams, which Shutdown would wait for
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

// enrollDemoAgent signs the org's demo user in (as the OAuth flow would),
// links Alice's Zoom account to them with a Zoom grant (as the Zoom popup
// would), and makes them the agent of POST /api/demo/session.
func enrollDemoAgent(ctx context.Context, srv *server.Server, org *sfsim.Org, zm *zoomsim.Zoom, instanceURL string) (cti.Agent, error) {
	u := org.DemoUser()
	access, refresh := org.IssueToken(u.ID)
	a := cti.Agent{
		OrgID: org.OrgID(), UserID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name,
		ZoomUserID: ZoomUserID, ZoomEmail: u.Email, TimeZone: "America/New_York",
	}
	sf := (&oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}).
		WithExtra(map[string]any{"instance_url": instanceURL})
	za, zr, exp := zm.IssueToken(ZoomUserID)
	err := srv.Enroll(ctx, server.Enrollment{Agent: a, InstanceURL: instanceURL, Salesforce: sf,
		Zoom: &oauth2.Token{AccessToken: za, RefreshToken: zr, Expiry: exp}})
	if err != nil {
		return cti.Agent{}, err
	}
	srv.SetDemoAgent(a)
	// The org's admin is signed in too (no softphone, no Zoom link), so
	// that zoomcti doctor checks the demo as an admin would, and the admin
	// page (/admin) opens signed in as them.
	admin := org.AdminUser()
	aa, ar := org.IssueToken(admin.ID)
	adminAgent := cti.Agent{OrgID: org.OrgID(), UserID: admin.ID, Username: admin.Username, Email: admin.Email, Name: admin.Name, TimeZone: "America/New_York"}
	err = srv.Enroll(ctx, server.Enrollment{
		Agent: adminAgent, InstanceURL: instanceURL, Admin: true,
		Salesforce: (&oauth2.Token{AccessToken: aa, RefreshToken: ar, TokenType: "Bearer"}).WithExtra(map[string]any{"instance_url": instanceURL}),
	})
	if err != nil {
		return cti.Agent{}, err
	}
	srv.SetDemoAdmin(adminAgent)
	return a, nil
}
