package salesforce

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

var usRules = cti.PhoneRules{DefaultRegion: "US"}

// An agent whose profile hides AssistantPhone still gets the caller looked
// up: the lookup names only the phone fields the agent's describe shows.
func TestFindByPhoneWithAHiddenPhoneField(t *testing.T) {
	e := newEnv(t)
	e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.AssistantPhone", false)
	kenji := findRecord(t, e.org, "Contact", "Name", "Kenji Sato") // Phone +81 3 1234 5670
	matches, err := FindByPhone(testContext(t), e.client, "+81 3 1234 5670", usRules)
	if err != nil || len(matches) != 1 || matches[0].ID != kenji {
		t.Fatalf("FindByPhone = %v, %v; want Kenji", matches, err)
	}
	if q := e.org.LastSearch(); strings.Contains(q, "AssistantPhone") || !strings.Contains(q, "MobilePhone") {
		t.Errorf("search %q names a hidden field or lost a visible one", q)
	}
}

// A custom phone field only describe tells of is searched and read back.
func TestFindByPhoneOnACustomPhoneField(t *testing.T) {
	e := newEnv(t)
	id := e.org.Insert("Contact", map[string]any{"FirstName": "Dora", "LastName": "Direct", "Direct_Line__c": "(202) 555-0177 x9"})
	e.org.CatchUpIndex() // searchable once Salesforce has indexed it
	matches, err := FindByPhone(testContext(t), e.client, "+1 202-555-0177", usRules)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, m := range matches {
		if m.ID == id {
			found = m.Phone == "(202) 555-0177 x9"
		}
	}
	if !found {
		t.Errorf("FindByPhone = %+v; want Dora Direct by Direct_Line__c", matches)
	}
}

// Access taken away after the describe was read: Salesforce refuses the
// search, the client describes again and searches once more.
func TestFindByPhoneRedescribesWhenAFieldIsRefused(t *testing.T) {
	e := newEnv(t)
	if err := e.client.LoadFields(testContext(t)); err != nil {
		t.Fatal(err)
	}
	e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.HomePhone", false)
	before := e.org.APIRequests()
	matches, err := FindByPhone(testContext(t), e.client, "+12025550142", usRules)
	if err != nil || len(matches) != 1 || matches[0].Name != "Ada Lovelace" {
		t.Fatalf("FindByPhone = %v, %v; want Ada", matches, err)
	}
	// The refused search, three describes, the search again.
	if n := e.org.APIRequests() - before; n != 5 {
		t.Errorf("API requests = %d, want 5", n)
	}
	// Steady again: one request.
	before = e.org.APIRequests()
	if _, err := FindByPhone(testContext(t), e.client, "+12025550142", usRules); err != nil || e.org.APIRequests()-before != 1 {
		t.Errorf("next lookup: %v, %d requests", err, e.org.APIRequests()-before)
	}
}

func TestCreateTaskLeavesOutFieldsTheUserCannotWrite(t *testing.T) {
	e := newEnv(t)
	owner := e.org.DemoUser().ID
	task := cti.Task{Subject: "Call", Status: "Completed", CallType: "Inbound", CallObject: "call-fls-1", ActivityDate: "2026-03-12",
		Description: "notes", Fields: map[string]string{"Call_Outcome__c": "Left Voicemail"}}

	t.Run("hidden before the describe", func(t *testing.T) {
		e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Task.Description", false)
		t.Cleanup(func() { e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Task.Description", true) })
		id, err := e.client.CreateTask(testContext(t), owner, task)
		if err != nil {
			t.Fatalf("CreateTask: %v", err)
		}
		rec := findByID(t, e.org, "Task", id)
		if rec["Description"] != nil || rec["CallObject"] != "call-fls-1" || rec["Call_Outcome__c"] != "Left Voicemail" {
			t.Errorf("Task = %v", rec)
		}
	})
	t.Run("hidden after the describe", func(t *testing.T) {
		if err := e.client.LoadFields(testContext(t)); err != nil {
			t.Fatal(err)
		}
		e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Task.Call_Outcome__c", false)
		task.CallObject = "call-fls-2"
		id, err := e.client.CreateTask(testContext(t), owner, task)
		if err != nil {
			t.Fatalf("CreateTask: %v", err)
		}
		rec := findByID(t, e.org, "Task", id)
		if rec["Call_Outcome__c"] != nil || rec["Description"] != "notes" || rec["CallObject"] != "call-fls-2" {
			t.Errorf("Task = %v", rec)
		}
		if err := e.client.UpdateTask(testContext(t), id, cti.Task{Description: "more notes"}); err != nil {
			t.Errorf("UpdateTask: %v", err)
		}
	})
}

func findByID(t *testing.T, org *sfsim.Org, sobject, id string) map[string]any {
	t.Helper()
	for _, r := range org.Records(sobject) {
		if r["Id"] == id {
			return r
		}
	}
	t.Fatalf("no %s %s", sobject, id)
	return nil
}

// The wrap-up's Name search works for an agent who may not see a Contact's
// Account: the names come back without it.
func TestSearchWhoWithTheAccountHidden(t *testing.T) {
	e := newEnv(t)
	e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.AccountId", false)
	found, err := e.client.SearchWho(testContext(t), "Lovelace")
	if err != nil || len(found) != 1 || found[0].Name != "Ada Lovelace" || found[0].Detail != "" {
		t.Fatalf("SearchWho = %+v, %v; want Ada without her Account", found, err)
	}
}

// A describe older than describeTTL is still used by the lookup, which does
// not wait, while it is read again in the background; the next lookup
// searches what the new describe shows.
func TestExpiredDescribeIsRefreshedInTheBackground(t *testing.T) {
	e := newEnv(t)
	clock := &handClock{t: time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)}
	e.client.versions = NewVersions(clock.Now)
	ctx := testContext(t)
	if err := e.client.LoadFields(ctx); err != nil {
		t.Fatal(err)
	}
	e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.AssistantPhone", false)
	clock.Advance(describeTTL)
	before := e.org.APIRequests()
	// The old describe names AssistantPhone: Salesforce refuses it, the
	// client describes again and searches once more, as when access is
	// taken away within the hour.
	if matches, err := FindByPhone(ctx, e.client, "+12025550142", usRules); err != nil || len(matches) != 1 {
		t.Fatalf("FindByPhone = %v, %v", matches, err)
	}
	// Every describe is fresh now, and the background reads are done.
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.client.fields.mu.Lock()
		busy := len(e.client.fields.refreshing)
		fresh := true
		for _, obj := range phoneObjects {
			if d := e.client.fields.objs[obj]; d == nil || clock.Now().Sub(d.at) >= describeTTL {
				fresh = false
			}
		}
		e.client.fields.mu.Unlock()
		if busy == 0 && fresh {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("describes not refreshed: %d still being read, fresh %v", busy, fresh)
		}
		time.Sleep(time.Millisecond) // polling a condition
	}
	if n := e.org.APIRequests() - before; n < 2 {
		t.Errorf("%d API requests: the expired describes were not read again", n)
	}
	before = e.org.APIRequests()
	if _, err := FindByPhone(ctx, e.client, "+12025550142", usRules); err != nil || e.org.APIRequests()-before != 1 {
		t.Errorf("next lookup: %v, %d requests, want 1", err, e.org.APIRequests()-before)
	}
}

// Users who see the same fields share one copy of them (every connected
// agent keeps its describes); a user who sees other fields has their own.
func TestDescribesOfTheSameAccessAreShared(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	clientFor := func(userID string) *Client {
		access, _ := e.org.IssueToken(userID)
		return New(Config{InstanceURL: e.srv.URL, HTTPClient: e.srv.Client(), Versions: e.client.versions,
			Tokens: NewTokenSource(&oauth2.Config{}, &oauth2.Token{AccessToken: access, TokenType: "Bearer"}, nil)})
	}
	admin := clientFor(e.org.AdminUser().ID)
	for _, c := range []*Client{e.client, admin} {
		if err := c.LoadFields(ctx); err != nil {
			t.Fatal(err)
		}
	}
	alice, _ := e.client.describe(ctx, "Contact", false)
	avery, _ := admin.describe(ctx, "Contact", false)
	if alice.fieldSet != avery.fieldSet {
		t.Error("two users who see the same Contact fields hold two copies of them")
	}
	e.org.SetFieldAccess(sfsim.ProfileStandardUser, "Contact.AssistantPhone", false)
	alice, _ = e.client.describe(ctx, "Contact", true)
	if alice.fieldSet == avery.fieldSet || alice.has("AssistantPhone") || !avery.has("AssistantPhone") {
		t.Error("a user who sees fewer fields shares the other's describe")
	}
}
