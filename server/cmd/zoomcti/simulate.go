package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/demo"
)

const simulateHelp = `
Usage: zoomcti simulate inbound|outbound|missed|sms [flags]

Plays Zoom: sends the webhook events of one call (or one text message),
signed exactly as Zoom signs them, to a running zoomcti, and prints the call
or message id last. The defaults fit "zoomcti demo": a call from Ada
Lovelace's number to the demo agent. The signing secret is
ZOOMCTI_ZOOM_WEBHOOK_SECRET (the demo's when unset).

  inbound   ringing → answered → ended → call history
  outbound  the agent calls --to: ringing → connected → ended → call history
  missed    ringing → missed (No Answer) → call history
  sms       one text from --from to the agent (or from the agent with --outbound)
`

func cmdSimulate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stderr, strings.TrimLeft(simulateHelp, "\n"))
			return nil
		}
		return usageError{fmt.Errorf("which scenario? inbound, outbound, missed or sms")}
	}
	kind := args[0]
	fs := newFlagSet("simulate "+kind, simulateHelp, stderr)
	addr := getenv("ZOOMCTI_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := fs.String("server", "http://"+addr, "base URL of the running zoomcti")
	zoomURL := fs.String("zoom", "", "the emulated Zoom to record the call in, so its call history (and zoomcti reconcile) knows it (default: the demo's, two ports above --server; \"off\" to skip)")
	from := fs.String("from", "", "calling number, or the agent for outbound (default: Ada Lovelace's +12025550142; outbound: the demo agent)")
	to := fs.String("to", "", "the agent (Zoom user id, email or extension), or the number called for outbound (default: the demo agent; outbound: +12025550177)")
	talk := fs.Duration("talk", 30*time.Second, "talk time of an answered call")
	gap := fs.Duration("gap", 700*time.Millisecond, "pause between the events of the call")
	callID := fs.String("call-id", "", "Zoom call id (default: a new one)")
	text := fs.String("text", "Hello from zoomcti simulate", "sms: the message")
	outSMS := fs.Bool("outbound", false, "sms: the agent sends the message")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	agent, customer := demo.ZoomUserID, "+12025550142"
	// The emulated Zoom knows the demo's users, so --to can name the agent
	// by Zoom user id, email or extension.
	zm := zoomsim.New(zoomsim.Options{})
	var bodies [][]byte
	var id string
	var err error
	switch kind {
	case "inbound", "missed":
		spec := zoomsim.CallSpec{CallID: *callID, From: or(*from, customer), To: or(*to, agent), Talk: *talk}
		if kind == "inbound" {
			bodies, err = zm.Inbound(spec)
		} else {
			bodies, err = zm.Missed(spec)
		}
	case "outbound":
		bodies, err = zm.Outbound(zoomsim.CallSpec{CallID: *callID, From: or(*from, agent), To: or(*to, "+12025550177"), Talk: *talk})
	case "sms":
		spec := zoomsim.SMSSpec{From: or(*from, customer), To: or(*to, agent), Text: *text}
		if *outSMS {
			spec = zoomsim.SMSSpec{From: or(*from, agent), To: or(*to, customer), Text: *text}
		}
		bodies, err = zm.SMS(spec)
	default:
		return usageError{fmt.Errorf("unknown scenario %q: use inbound, outbound, missed or sms", kind)}
	}
	if err != nil {
		return usageError{err}
	}
	secret := getenv("ZOOMCTI_ZOOM_WEBHOOK_SECRET")
	if secret == "" {
		secret = demo.WebhookSecret
	}
	recordInZoom(ctx, *srv, *zoomURL, bodies, stderr)
	sender := &zoomsim.Sender{URL: strings.TrimRight(*srv, "/") + "/webhooks/zoom", Secret: secret, Client: &http.Client{Timeout: 10 * time.Second}}
	for i, b := range bodies {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(*gap):
			}
		}
		var env struct {
			Event   string `json:"event"`
			Payload struct {
				Object struct {
					CallID    string `json:"call_id"`
					MessageID string `json:"message_id"`
				} `json:"object"`
			} `json:"payload"`
		}
		_ = json.Unmarshal(b, &env)
		id = or(env.Payload.Object.CallID, env.Payload.Object.MessageID, id)
		d, err := sender.Send(ctx, b)
		if d == nil {
			return fmt.Errorf("%s: %w (is zoomcti running at %s?)", env.Event, err, *srv)
		}
		fmt.Fprintf(stdout, "%-40s %d\n", env.Event, d.StatusCode)
		if err != nil {
			return fmt.Errorf("%s: zoomcti answered %d: %s", env.Event, d.StatusCode, strings.TrimSpace(string(d.Body)))
		}
	}
	fmt.Fprintln(stdout, id)
	return nil
}

func or(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// recordInZoom tells the demo's emulated Zoom about a call played from
// here, as if it had placed it: its call history then has the call, as the
// real Zoom's would. Failing that only costs the history, so it warns.
func recordInZoom(ctx context.Context, serverURL, zoomURL string, bodies [][]byte, stderr io.Writer) {
	if zoomURL == "off" {
		return
	}
	if zoomURL == "" {
		u, err := url.Parse(serverURL)
		port, perr := strconv.Atoi(u.Port())
		if err != nil || perr != nil {
			return
		}
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port+2))
		zoomURL = u.String()
	}
	client := &http.Client{Timeout: 3 * time.Second}
	for _, b := range bodies {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(zoomURL, "/")+"/_sim/history", bytes.NewReader(b))
		if err != nil {
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintf(stderr, "note: no emulated Zoom at %s (%v); its call history will not show this call\n", zoomURL, err)
			return
		}
		resp.Body.Close()
	}
}
