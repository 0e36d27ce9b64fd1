package sfsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zoomcti/zoomcti/internal/browsertest"
)

// adapterPage is a minimal Open CTI adapter: it loads the console's Open CTI
// library, listens to navigation and pops the no-match new-Contact modal,
// as a softphone does for a caller Salesforce does not know.
const adapterPage = `<!doctype html><title>adapter</title><script>
const origin = new URLSearchParams(location.search).get("sfdcIframeOrigin");
const s = document.createElement("script");
s.src = origin + "/support/api/66.0/lightning/opencti_min.js";
s.onload = () => {
  const cti = window.sforce.opencti;
  cti.onNavigationChange({ listener: () => {} });
  cti.screenPop({ type: cti.SCREENPOP_TYPE.NEW_RECORD_MODAL, params: { entityName: "Contact", defaultFieldValues: { Phone: "+12025550100" } } });
};
document.head.appendChild(s);
</script>`

// Lightning reports the navigation to a record the agent creates from the
// softphone's new-record pop: the modal's save opens the record, and
// onNavigationChange fires with its id, name and type (reference §1.3:
// "internal navigation such as a screenPop new-record modal"). zoomcti
// gives the call to that record.
func TestConsoleReportsNavigationToARecordCreatedFromThePop(t *testing.T) {
	adapter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, adapterPage)
	}))
	t.Cleanup(adapter.Close)
	o := New(Options{AdapterURL: adapter.URL + "/softphone"})
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/lightning/page/home")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, `window.consoleState.view === "newRecord" && !!document.querySelector("#new-record-form input[name=LastName]")`, 10*time.Second)
	// The modal opening is a navigation too, to no record yet.
	browsertest.WaitJS(t, ctx, `window.openctiEvents.some((e) => e.event === "navigationChange" && e.payload.objectType === "Contact" && e.payload.recordId === null)`, 5*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#new-record-form input[name=LastName]"), "Newcaller"),
		chromedp.Click(chromedp.ID("new-record-save"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, `window.consoleState.view === "record"`, 10*time.Second)
	var id string
	for _, c := range o.Records("Contact") {
		if c["LastName"] == "Newcaller" {
			id = c["Id"].(string)
		}
	}
	if id == "" {
		t.Fatal("the modal's save created no Contact")
	}
	browsertest.WaitJS(t, ctx, fmt.Sprintf(`window.openctiEvents.some((e) => e.event === "navigationChange" && e.payload.recordId === %q)`, id), 5*time.Second)
	nav, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](fmt.Sprintf(`window.openctiEvents.filter((e) => e.event === "navigationChange" && e.payload.recordId === %q).pop().payload`, id)))
	if err != nil {
		t.Fatal(err)
	}
	if nav["objectType"] != "Contact" || nav["recordName"] != "Newcaller" || nav["url"] != srv.URL+"/lightning/r/Contact/"+id+"/view" {
		t.Errorf("navigation reported %v, want the new Contact's id, name, type and URL", nav)
	}
}
