package scenes

import (
	"context"
	"net/http"
	"time"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// The demo org's callers.
const (
	adaPhone = "+12025550142" // Ada Lovelace, a Contact of Analytical Engines Ltd
	stranger = "+12025550100" // nobody in the org
)

// Softphone is the softphone's states, each at 400 × 640 as Salesforce's
// utility bar shows it, signed in as the demo agent.
func Softphone() []Scene {
	return []Scene{
		{Name: "idle", About: "signed in, Zoom linked, waiting for calls", Take: softphoneScene(func(ctx context.Context, st *Stage) error {
			return nil
		})},
		{Name: "ringing-chooser", About: "a call rings; two Contacts share the number and the agent picks one", Take: softphoneScene(func(ctx context.Context, st *Stage) error {
			st.Demo.Org.Insert("Contact", map[string]any{"FirstName": "Augusta", "LastName": "King", "Phone": adaPhone})
			st.Demo.Org.CatchUpIndex() // an existing record, searchable
			bodies, err := st.Inbound(zoomsim.CallSpec{From: adaPhone, FromName: "LOVELACE ADA"})
			if err != nil {
				return err
			}
			if err := st.Send(ctx, bodies[0]); err != nil {
				return err
			}
			return st.Wait(ctx, `document.querySelectorAll("#call-matches button").length === 2`)
		})},
		{Name: "in-call", About: "on a call with Ada Lovelace, popped in the console", Take: softphoneScene(func(ctx context.Context, st *Stage) error {
			bodies, err := st.Inbound(zoomsim.CallSpec{From: adaPhone, Talk: 5 * time.Minute})
			if err != nil {
				return err
			}
			if err := st.Send(ctx, bodies[:2]...); err != nil {
				return err
			}
			return st.Wait(ctx, `document.getElementById("call").dataset.state === "answered" && document.querySelectorAll("#call-matches button").length === 1`)
		})},
		{Name: "wrap-up", About: "Auto Save Call Logs off: the call ended and its wrap-up form waits", Take: func(ctx context.Context, st *Stage, path string) error {
			if err := st.Settings(ctx, map[string]any{"auto_save_call_logs": false, "sales_engagement": true}); err != nil {
				return err
			}
			return softphoneScene(func(ctx context.Context, st *Stage) error {
				bodies, err := st.Inbound(zoomsim.CallSpec{From: adaPhone, Talk: 95 * time.Second})
				if err != nil {
					return err
				}
				if err := st.Send(ctx, bodies...); err != nil {
					return err
				}
				return st.Wait(ctx, `!document.getElementById("wrapup").hidden && document.getElementById("wu-who").value !== ""`)
			})(ctx, st, path)
		}},
		{Name: "unlinked-logs", About: "Auto Save Call Logs off: calls that ended while the softphone was closed wait to be logged", Take: func(ctx context.Context, st *Stage, path string) error {
			if err := st.Settings(ctx, map[string]any{"auto_save_call_logs": false}); err != nil {
				return err
			}
			for _, from := range []string{adaPhone, stranger} {
				bodies, err := st.Inbound(zoomsim.CallSpec{From: from, Talk: time.Minute})
				if err != nil {
					return err
				}
				if err := st.Send(ctx, bodies...); err != nil {
					return err
				}
			}
			return softphoneScene(func(ctx context.Context, st *Stage) error {
				return st.Wait(ctx, `document.querySelectorAll("#unlinked-list [data-call-id]").length === 2`)
			})(ctx, st, path)
		}},
		{Name: "signed-out", About: "signed out: Sign in with Salesforce", Take: softphoneScene(func(ctx context.Context, st *Stage) error {
			if err := st.Click(ctx, "signout-btn"); err != nil {
				return err
			}
			return st.Wait(ctx, `!document.getElementById("signin").hidden && document.getElementById("signin-msg").textContent.includes("signed out")`)
		})},
		{Name: "salesforce-down", About: "Salesforce does not answer: the call shows at once and the lookup waits", Take: softphoneScene(func(ctx context.Context, st *Stage) error {
			st.Demo.Org.InjectFaults(http.StatusServiceUnavailable, 1_000_000)
			bodies, err := st.Inbound(zoomsim.CallSpec{From: adaPhone, FromName: "LOVELACE ADA"})
			if err != nil {
				return err
			}
			if err := st.Send(ctx, bodies[0]); err != nil {
				return err
			}
			return st.Wait(ctx, `document.getElementById("call").dataset.lookup === "waiting"`)
		})},
		{Name: "embed-not-responding", About: "Zoom's Smart Embed stays silent (zoomcti's domain not approved): what to check", Take: func(ctx context.Context, st *Stage, path string) error {
			st.Demo.Zoom.SetApprovedDomains([]string{"https://crm.example.com"})
			return softphoneScene(func(ctx context.Context, st *Stage) error {
				bodies, err := st.Inbound(zoomsim.CallSpec{From: adaPhone})
				if err != nil {
					return err
				}
				if err := st.Send(ctx, bodies[0]); err != nil {
					return err
				}
				if err := st.Wait(ctx, `document.body.dataset.embed === "silent"`); err != nil {
					return err
				}
				if err := st.Click(ctx, "tab-phone"); err != nil {
					return err
				}
				return st.Wait(ctx, `!document.getElementById("embed-down").hidden && document.body.dataset.tab === "phone"`)
			})(ctx, st, path)
		}},
	}
}

// softphoneScene opens the softphone, brings it to a state with set, and
// photographs it.
func softphoneScene(set func(ctx context.Context, st *Stage) error) func(ctx context.Context, st *Stage, path string) error {
	return func(ctx context.Context, st *Stage, path string) error {
		if err := st.OpenSoftphone(ctx); err != nil {
			return err
		}
		if err := set(ctx, st); err != nil {
			return err
		}
		return st.Shoot(ctx, path)
	}
}
