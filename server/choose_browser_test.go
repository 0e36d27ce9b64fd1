package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/cti/zoom/zoomsim"
)

// Two Contacts share the caller's number; the agent picks the second in
// the chooser. The pick is marked, survives a reload of the softphone, and
// the call is logged on it (today's bug: the Task went to the first match).
func TestTheRecordPickedInTheChooserIsLogged(t *testing.T) {
	d := startDemo(t)
	augusta := d.Org.Insert("Contact", map[string]any{"FirstName": "Augusta", "LastName": "King", "Phone": adaPhone})
	d.Org.CatchUpIndex() // an existing record
	ctx := openSignedIn(t, d)

	const callID = "7400000000000010101"
	bodies, err := sim().Inbound(zoomsim.CallSpec{CallID: callID, From: adaPhone, To: DemoZoomUserID, Talk: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	send(t, d, bodies[0]) // ringing
	pick := fmt.Sprintf(`#call-matches button[data-record-id=%q]`, augusta)
	waitJS(t, ctx, fmt.Sprintf(`document.querySelectorAll('#call-matches button').length === 2 && !!document.querySelector('%s')`, pick), 15*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(pick))); err != nil {
		t.Fatal(err)
	}
	marked := fmt.Sprintf(`document.querySelector('%s').getAttribute('aria-pressed') === 'true' && document.querySelector('#call-matches button').dataset.recordId === %q`, pick, augusta)
	waitJS(t, ctx, marked, 10*time.Second)

	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.dataset.connected === "true"`, 15*time.Second)
	waitJS(t, ctx, marked, 10*time.Second)

	for _, b := range bodies[1:] {
		send(t, d, b)
	}
	drain(t, d)
	tasks := tasksFor(d, callID)
	if len(tasks) != 1 || tasks[0]["WhoId"] != augusta {
		t.Fatalf("Tasks %v, want one on Augusta %s", tasks, augusta)
	}
}
