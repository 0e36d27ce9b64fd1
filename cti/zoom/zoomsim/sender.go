package zoomsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom"
)

// Sender delivers webhook bodies the way Zoom does: a POST with Zoom's
// headers and an x-zm-signature over the exact bytes. `zoomcti simulate`
// uses it to play Zoom against a running server.
type Sender struct {
	URL      string // the event notification endpoint
	Secret   string // the app's Secret Token
	ClientID string // sent as the clientid header
	// Client sends the request; nil means a client with Zoom's 3 s
	// deadline for an answer.
	Client *http.Client
	// Clock gives x-zm-request-timestamp (time.Now).
	Clock func() time.Time
}

// Delivery is the endpoint's answer to one delivery.
type Delivery struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// OK reports whether Zoom would count the delivery as a success (any 2xx).
func (d *Delivery) OK() bool { return d != nil && d.StatusCode/100 == 2 }

// Send POSTs one body. It returns an error when the endpoint could not be
// reached or answered anything but 2xx; the Delivery is returned whenever
// there was an answer.
func (s *Sender) Send(ctx context.Context, body []byte) (*Delivery, error) {
	return s.send(ctx, body, strconv.FormatInt(s.now().Unix(), 10), "v=2.0;clid=us06;rid=WEBHOOK_"+randomHex(12))
}

func (s *Sender) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// send POSTs body signed for timestamp ts (Unix seconds).
func (s *Sender) send(ctx context.Context, body []byte, ts, trackingID string) (*Delivery, error) {
	hc := s.Client
	if hc == nil {
		hc = &http.Client{Timeout: 3 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("zoomsim: send: %w", err)
	}
	// Zoom sends the names lower-case; HTTP names are case-insensitive and
	// Go canonicalizes them, which also keeps Go's default User-Agent out.
	h := req.Header
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Zoom Marketplace/1.0a")
	h.Set(zoom.HeaderTimestamp, ts)
	h.Set(zoom.HeaderSignature, zoom.Sign(s.Secret, ts, body))
	h.Set(zoom.HeaderTrackingID, trackingID)
	if s.ClientID != "" {
		h.Set(zoom.HeaderClientID, s.ClientID)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("zoomsim: send: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	d := &Delivery{StatusCode: resp.StatusCode, Header: resp.Header, Body: b}
	if err != nil {
		return d, fmt.Errorf("zoomsim: send: read answer: %w", err)
	}
	if !d.OK() {
		return d, fmt.Errorf("zoomsim: endpoint answered %d", d.StatusCode)
	}
	return d, nil
}

// Sender returns a Sender configured like this emulator's deliveries.
func (z *Zoom) Sender() *Sender {
	o := z.Options()
	return &Sender{URL: o.WebhookURL, Secret: o.WebhookSecret, ClientID: o.ClientID, Client: o.HTTPClient, Clock: o.Clock}
}

// ErrNoWebhookURL is returned when there is nowhere to deliver events.
var ErrNoWebhookURL = errors.New("zoomsim: no webhook URL configured")

// Play delivers bodies in order to the webhook URL, PlayGap apart, and
// stops at the first failed delivery. Call-history events are recorded in
// the emulator's call history first, whatever happens to the delivery,
// since Zoom keeps its history even when a webhook is lost: that is what a
// catch-up job reads. An event whose scope the app lacks is not delivered
// (see subscribed).
func (z *Zoom) Play(ctx context.Context, bodies [][]byte) error {
	for _, b := range bodies {
		z.recordHistory(b)
	}
	s := z.Sender()
	if s.URL == "" {
		return ErrNoWebhookURL
	}
	sent := 0
	for i, b := range bodies {
		if !z.subscribed(b) {
			continue
		}
		sent++
		if sent > 1 && z.opts.PlayGap > 0 {
			t := time.NewTimer(z.opts.PlayGap)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if _, err := s.Send(ctx, b); err != nil {
			return fmt.Errorf("zoomsim: play event %d of %d: %w", i+1, len(bodies), err)
		}
	}
	return nil
}

// handleRecordHistory serves POST /_sim/history (the emulator's control
// surface, not Zoom's): a webhook body played by someone else, such as
// `zoomcti simulate`, whose call history this Zoom should then report.
func (z *Zoom) handleRecordHistory(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	z.recordHistory(body)
	w.WriteHeader(http.StatusNoContent)
}

// recordHistory keeps the call_logs of a call-history event for the REST
// call history. Other bodies are ignored.
func (z *Zoom) recordHistory(body []byte) {
	var env struct {
		Event   string `json:"event"`
		Payload struct {
			Object struct {
				UserID   string            `json:"user_id"`
				CallLogs []json.RawMessage `json:"call_logs"`
			} `json:"object"`
		} `json:"payload"`
	}
	if json.Unmarshal(body, &env) != nil || !strings.HasSuffix(env.Event, "_call_history_completed") {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	user := env.Payload.Object.UserID
	for _, raw := range env.Payload.Object.CallLogs {
		var rec struct {
			ID        string `json:"id"`
			StartTime string `json:"start_time"`
		}
		if json.Unmarshal(raw, &rec) != nil {
			continue
		}
		start, _ := time.Parse("2006-01-02T15:04:05Z", rec.StartTime)
		entries := z.history[user]
		dup := false
		for _, e := range entries {
			dup = dup || (e.id != "" && e.id == rec.ID)
		}
		if !dup {
			z.history[user] = append(entries, historyEntry{id: rec.ID, start: start, raw: raw})
		}
	}
}

// Deauthorize uninstalls the app for a user as if they removed it in the
// Zoom Marketplace: their tokens stop working and app_deauthorized is
// delivered.
func (z *Zoom) Deauthorize(ctx context.Context, userID string) error {
	z.mu.Lock()
	z.dropGrants(userID)
	z.mu.Unlock()
	return z.sendDeauthorized(ctx, userID)
}

func (z *Zoom) sendDeauthorized(ctx context.Context, userID string) error {
	s := z.Sender()
	if s.URL == "" {
		return ErrNoWebhookURL
	}
	now := z.now().UTC()
	// Zoom's own signature field; receivers verify x-zm-signature instead.
	mac := hmac.New(sha256.New, []byte(z.opts.ClientSecret))
	mac.Write([]byte(userID + ":" + now.Format(time.RFC3339)))
	type payload struct {
		AccountID           string `json:"account_id"`
		UserID              string `json:"user_id"`
		Signature           string `json:"signature"`
		DeauthorizationTime string `json:"deauthorization_time"`
		ClientID            string `json:"client_id"`
	}
	body, _ := json.Marshal(struct {
		Event   string  `json:"event"`
		EventTS int64   `json:"event_ts"`
		Payload payload `json:"payload"`
	}{"app_deauthorized", now.UnixMilli(), payload{
		AccountID, userID, hex.EncodeToString(mac.Sum(nil)), now.Format("2006-01-02T15:04:05.000Z"), z.opts.ClientID,
	}})
	_, err := s.Send(ctx, body)
	return err
}
