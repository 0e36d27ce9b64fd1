package scenes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/demo"
)

// Stage is a scene's running demo, with what scenes do to it: what Zoom
// and Salesforce would do (calls by signed webhooks, the org's settings,
// faults) and what the agent would (open the softphone, press buttons).
type Stage struct {
	Demo  *demo.Demo
	calls *zoomsim.Zoom // builds Zoom's webhooks for calls (sent with Send)
}

// waitFor is how long a page may take to show a state.
const waitFor = 20 * time.Second

// Wait waits until expr is true in the tab's page.
func (st *Stage) Wait(ctx context.Context, expr string) error {
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(waitFor))); err != nil {
		return fmt.Errorf("waiting for %s: %w", expr, err)
	}
	return nil
}

// Click presses the element with id.
func (st *Stage) Click(ctx context.Context, id string) error {
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(id))); err != nil {
		return fmt.Errorf("click #%s: %w", id, err)
	}
	return nil
}

// OpenSoftphone opens the softphone as Salesforce's utility bar shows it,
// 400 × 640, signed in as the demo agent, and waits until it is connected
// and Zoom linked.
func (st *Stage) OpenSoftphone(ctx context.Context) error {
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(400, 640),
		chromedp.Navigate(st.Demo.ServerURL+"/softphone?sfdcIframeOrigin="+st.Demo.SalesforceURL))
	if err != nil {
		return err
	}
	return st.Wait(ctx, `document.body.dataset.connected === "true" && document.getElementById("zoom").dataset.status === "linked"`)
}

// Shoot writes the tab's 400 × 640 panel to path.
func (st *Stage) Shoot(ctx context.Context, path string) error {
	// Fonts and images drawn, no transition half way.
	if err := st.Wait(ctx, `document.fonts.status === "loaded" && [...document.images].every((i) => i.complete)`); err != nil {
		return err
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// Inbound is an inbound call's webhooks: ringing, answered, ended, call
// history completed.
func (st *Stage) Inbound(spec zoomsim.CallSpec) ([][]byte, error) {
	if spec.To == "" {
		spec.To = demo.ZoomUserID
	}
	return st.calls.Inbound(spec)
}

// Send delivers webhooks to the demo's zoomcti, signed as Zoom signs them.
func (st *Stage) Send(ctx context.Context, bodies ...[]byte) error {
	s := &zoomsim.Sender{URL: st.Demo.ServerURL + "/webhooks/zoom", Secret: demo.WebhookSecret, Client: http.DefaultClient}
	for _, b := range bodies {
		d, err := s.Send(ctx, b)
		if err != nil {
			return err
		}
		if d.StatusCode != http.StatusOK {
			return fmt.Errorf("webhook answered %d", d.StatusCode)
		}
	}
	return nil
}

// Settings changes the org's settings as its admin would on the settings
// cards: fields is the part of PUT /api/settings's body that changes.
func (st *Stage) Settings(ctx context.Context, fields map[string]any) error {
	admin := st.Demo.Org.AdminUser()
	token, err := st.Demo.Server.NewSession(ctx, cti.Agent{OrgID: st.Demo.Org.OrgID(), UserID: admin.ID})
	if err != nil {
		return err
	}
	body, _ := json.Marshal(fields)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, st.Demo.ServerURL+"/api/settings", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT /api/settings: %s", res.Status)
	}
	return nil
}

// WaitHealth waits until the admin's health for the org counts at least
// pops screen pops in the last hour: the instance adds its figures to the
// store every few seconds, and the admin page shows what the store holds.
func (st *Stage) WaitHealth(ctx context.Context, pops int) error {
	admin := st.Demo.Org.AdminUser()
	token, err := st.Demo.Server.NewSession(ctx, cti.Agent{OrgID: st.Demo.Org.OrgID(), UserID: admin.ID})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(waitFor)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.Demo.ServerURL+"/api/admin/health?range=hour", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		var got struct {
			Totals map[string]any `json:"totals"`
		}
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = json.NewDecoder(res.Body).Decode(&got)
			res.Body.Close()
		}
		if n, _ := got.Totals["pops"].(float64); n >= float64(pops) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the admin's health never counted %d pops (it says %v)", pops, got.Totals["pops"])
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
