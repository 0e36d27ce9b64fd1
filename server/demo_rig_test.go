package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
	"github.com/zoomcti/zoomcti/server/store"
)

// The browser tests of this package run what `zoomcti demo` runs (package
// demo, which imports this one and so cannot be imported here): zoomcti
// with an emulated org and Zoom on loopback, the demo agent signed in.

// DemoZoomUserID is the demo agent's Zoom user (Alice in the fixtures).
const DemoZoomUserID = zoomsim.AliceID

// demoWebhookSecret is the rig's Zoom Secret Token.
const demoWebhookSecret = "zoomcti-demo-webhook-secret"

// Demo is a running rig: the server, the org and Zoom, each on its own port.
type Demo struct {
	ServerURL     string // zoomcti itself
	ConsoleURL    string // the page to open: the emulated Lightning console
	SalesforceURL string
	ZoomURL       string
	Org           *sfsim.Org
	Zoom          *zoomsim.Zoom
	Server        *Server
	Store         store.Store
}

// startDemo runs the rig for one test; mods adjust the configuration.
func startDemo(t *testing.T, mods ...func(*Config)) *Demo {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var lns [3]net.Listener
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
	}
	serverURL, sfURL, zoomURL := "http://"+lns[0].Addr().String(), "http://"+lns[1].Addr().String(), "http://"+lns[2].Addr().String()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := Config{
		Addr: lns[0].Addr().String(), PublicURL: serverURL, ZoomWebhookSecret: demoWebhookSecret,
		ZoomClientID: "zoomsim-client-id", ZoomClientSecret: "zoomsim-client-secret", ZoomOAuthURL: zoomURL, ZoomAPIURL: zoomURL,
		SFClientID: "sfsim-client-id", SFClientSecret: "sfsim-client-secret", SFLoginURL: sfURL, SFAPIVersion: defaultSFAPIVersion,
		StorePath: filepath.Join(t.TempDir(), "demo.db"), EncryptionKey: key, FrameAncestors: []string{sfURL},
		OpsToken: "zoomcti-demo-ops-token", Demo: true,
		// The softphone frames the emulated Smart Embed, as in the demo.
		ZoomEmbedURL: zoomURL + zoomsim.EmbedPath,
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	zm := zoomsim.New(zoomsim.Options{
		ClientID: cfg.ZoomClientID, ClientSecret: cfg.ZoomClientSecret,
		WebhookSecret: demoWebhookSecret, WebhookURL: serverURL + "/webhooks/zoom", PlayGap: 3 * time.Second,
		ApprovedDomains: []string{serverURL}, EmbedUser: DemoZoomUserID, PublicURL: zoomURL,
	})
	org := sfsim.New(sfsim.Options{
		ClientID: cfg.SFClientID, ClientSecret: cfg.SFClientSecret, AdapterURL: serverURL + "/softphone",
		DemoCall: func(ctx context.Context, from string) error {
			bodies, err := zm.Inbound(zoomsim.CallSpec{From: from, To: DemoZoomUserID, Talk: 42 * time.Second})
			if err != nil {
				return err
			}
			go func() { _ = zm.Play(context.WithoutCancel(ctx), bodies) }()
			return nil
		},
	})
	st, err := OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, Deps{Store: st, Logger: log})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if err := s.linkDemoAgent(context.Background(), org, sfURL); err != nil {
		st.Close()
		t.Fatal(err)
	}
	linkDemoZoom(t, s, zm)
	sims := []*http.Server{{Handler: org}, {Handler: zm}}
	go sims[0].Serve(lns[1])
	go sims[1].Serve(lns[2])
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lns[0]) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo stopped with: %v", err)
		}
		for _, h := range sims {
			_ = h.Close()
		}
		zm.Close()
		st.Close()
	})
	return &Demo{ServerURL: serverURL, ConsoleURL: sfURL + "/lightning/page/home", SalesforceURL: sfURL, ZoomURL: zoomURL,
		Org: org, Zoom: zm, Server: s, Store: st}
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
	if err := s.Enroll(ctx, Enrollment{Agent: a, InstanceURL: instanceURL, Salesforce: tok}); err != nil {
		return fmt.Errorf("link demo agent: %w", err)
	}
	s.SetDemoAgent(a)
	return nil
}

// recordWithPhone finds a seeded record of the emulated org by phone.
func recordWithPhone(t *testing.T, d *Demo, sobject, phone string) string {
	t.Helper()
	for _, r := range d.Org.Records(sobject) {
		if r["Phone"] == phone {
			return r["Id"].(string)
		}
	}
	t.Fatalf("no seeded %s with Phone %s", sobject, phone)
	return ""
}

// demoEnv views a running demo through the env helpers.
func demoEnv(t *testing.T, d *Demo) *env {
	return &env{t: t, s: d.Server, st: d.Store, org: d.Org, zoom: d.Zoom, sfURL: d.SalesforceURL, url: d.ServerURL}
}

// tasksFor lists the Tasks in the emulated org logged for a Zoom call.
func tasksFor(d *Demo, callID string) []map[string]any {
	return (&env{org: d.Org}).tasks(callID)
}

// drain waits until the server has nothing left to do.
func drain(t *testing.T, d *Demo) {
	t.Helper()
	demoEnv(t, d).drain()
}

func send(t *testing.T, d *Demo, body []byte) {
	t.Helper()
	s := &zoomsim.Sender{URL: d.ServerURL + "/webhooks/zoom", Secret: demoWebhookSecret, Client: http.DefaultClient}
	d2, err := s.Send(context.Background(), body)
	if err != nil || d2.StatusCode != http.StatusOK {
		t.Fatalf("send webhook: %v, err %v", d2, err)
	}
}
