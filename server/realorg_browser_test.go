package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

// Issue 10's day one in a real org, in the browser: an agent whose profile
// has none of the setup permissions and who cannot see AssistantPhone signs
// in, gets the pop of a Contact whose number was typed with an
// international access prefix, and the call's Task carries the org's own
// (renamed) closed status.
func TestAgentOfARealOrgSignsInPopsAndLogs(t *testing.T) {
	d := startDemo(t)
	alice := d.Org.DemoUser()
	if p := d.Org.Profile(alice.ID); p != sfsim.ProfileStandardUser {
		t.Fatalf("Alice's profile is %q, want one without setup permissions", p)
	}
	d.Org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.AssistantPhone", false)
	d.Org.SetTaskStatuses(doneStatuses)
	berlin := d.Org.Insert("Contact", map[string]any{"FirstName": "Bettina", "LastName": "Berlin", "Phone": "0049 30 901821"})
	d.Org.CatchUpIndex() // an existing record, indexed long ago

	ctx := openSoftphone(t, d) // signed out
	popup := signinPopup(t, ctx)
	if err := chromedp.Do(popup, chromedp.Click(chromedp.ID("oaapprove"))); err != nil {
		t.Fatalf("approve at Salesforce: %v", err)
	}
	waitJS(t, ctx, `!document.getElementById("agent").hidden && document.body.dataset.connected === "true"`, 15*time.Second)
	if a, err := d.Server.agent(context.Background(), d.Org.OrgID(), alice.ID); err != nil || a == nil || a.Admin {
		t.Fatalf("Alice after sign-in: %+v %v, want an agent, not an admin", a, err)
	}

	const callID = "7400000000000010001"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: "+49 30 901821", To: DemoZoomUserID, Talk: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0]) // ringing
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector('#call-matches button[data-record-id=%q]')`, berlin), 15*time.Second)
	for _, b := range bodies[1:] {
		send(t, d, b)
	}
	drain(t, d)
	tasks := tasksFor(d, callID)
	if len(tasks) != 1 {
		t.Fatalf("%d Tasks, want 1", len(tasks))
	}
	if task := tasks[0]; task["WhoId"] != berlin || task["Status"] != "Done" || task["OwnerId"] != alice.ID {
		t.Fatalf("Task = %v, want one on %s, Status Done, owned by Alice", task, berlin)
	}
}
