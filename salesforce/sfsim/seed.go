package sfsim

import "time"

// seed fills a new org with deterministic users and records. Phones are stored
// as entered, in the mix of formats a real org accumulates (see reference §6).
func (o *Org) seed() {
	o.mu.Lock()
	defer o.mu.Unlock()
	// The org's existing records are in the search index already.
	o.seeding = true
	defer func() { o.seeding = false }()
	o.setTaskStatusesLocked(o.opts.TaskStatuses)

	user := func(first, last, username, email, phone, ext, title string) User {
		rec := map[string]any{"FirstName": first, "LastName": last, "Username": username, "Email": email, "Title": title}
		if phone != "" {
			rec["Phone"] = phone
		}
		if ext != "" {
			rec["Extension"] = ext
		}
		o.insertLocked(o.schema["User"], rec, "")
		return o.userLocked(rec)
	}
	o.adminUser = user("Avery", "Admin", "admin@example.com", "admin@example.com", "+12025550102", "", "Salesforce Administrator")
	o.demoUser = user("Alice", "Example", "alice@example.com", "alice@example.com", "+12025550101", "1001", "Sales Agent")
	o.integrationUser = user("Zoom", "Integration", "integration@sfsim.example.com", "integration@example.com", "", "", "Integration User")
	// Bob is Zoom's second fixture user (bob@example.com, extension 1002) on
	// a profile without "API Enabled": he can sign in, but the softphone
	// cannot work for him, which the sign-in flow must say.
	bob := user("Bob", "Builder", "bob@example.com", "bob@example.com", "", "1002", "Sales Agent")
	o.noAPI[bob.ID] = true
	// Agents get a profile without View Setup and Configuration, Assign
	// Permission Sets or Manage Users, as agents in real orgs do; only the
	// admin (and the integration user) can read PermissionSetAssignment.
	o.seedAccessLocked()
	o.userProfile[o.adminUser.ID] = ProfileSystemAdministrator
	o.userProfile[o.integrationUser.ID] = ProfileSystemAdministrator
	o.userProfile[o.demoUser.ID] = ProfileStandardUser
	o.userProfile[bob.ID] = ProfileStandardUser
	for _, id := range o.data["User"].order {
		rec := o.data["User"].byID[id]
		rec["CreatedById"], rec["LastModifiedById"] = o.adminUser.ID, o.adminUser.ID
	}

	// The org's records predate today: a record created during a call
	// (the no-match pop's new Contact) is told apart by its CreatedDate.
	seeded := sfTime(o.opts.Clock().Add(-90 * 24 * time.Hour))
	ins := func(sobject string, rec map[string]any) string {
		rec["CreatedDate"] = seeded
		return o.insertLocked(o.schema[sobject], rec, o.adminUser.ID)
	}
	zoomAdmin := ins("PermissionSet", map[string]any{"Name": "Zoom_Admin", "Label": "Zoom Admin"})
	zoomAgent := ins("PermissionSet", map[string]any{"Name": "Zoom_Agent", "Label": "Zoom Agent"})
	ins("PermissionSetAssignment", map[string]any{"AssigneeId": o.adminUser.ID, "PermissionSetId": zoomAdmin})
	ins("PermissionSetAssignment", map[string]any{"AssigneeId": o.adminUser.ID, "PermissionSetId": zoomAgent})
	ins("PermissionSetAssignment", map[string]any{"AssigneeId": o.demoUser.ID, "PermissionSetId": zoomAgent})
	ins("PermissionSetAssignment", map[string]any{"AssigneeId": bob.ID, "PermissionSetId": zoomAgent})
	ins("CustomPermission", map[string]any{"DeveloperName": DefaultAdminCustomPermission, "MasterLabel": "zoomcti admin"})
	// The admin imported zoomcti's call center definition: its adapter URL
	// is the softphone the console frames.
	if o.opts.AdapterURL != "" {
		ins("CallCenter", map[string]any{"Name": "Zoom Phone (zoomcti)", "InternalName": "zoomcti", "AdapterUrl": o.opts.AdapterURL})
	}

	alice := o.demoUser.ID
	engines := ins("Account", map[string]any{"Name": "Analytical Engines Ltd", "Phone": "(202) 555-0140", "BillingCountry": "United States", "OwnerId": alice})
	globex := ins("Account", map[string]any{"Name": "Globex Corporation", "Phone": "202-555-0199", "Fax": "202-555-0198", "BillingCountry": "United States", "OwnerId": alice})
	tokyo := ins("Account", map[string]any{"Name": "Tokyo Trading KK", "Phone": "03-1234-5678", "BillingCountry": "Japan", "OwnerId": alice})
	britannia := ins("Account", map[string]any{"Name": "Britannia Widgets plc", "Phone": "+44 20 7946 0000", "BillingCountry": "United Kingdom", "OwnerId": alice})

	ins("Contact", map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Phone": "+12025550142",
		"Email": "ada@example.com", "Title": "Chief Analyst", "AccountId": engines, "OwnerId": alice})
	ins("Contact", map[string]any{"FirstName": "Grace", "LastName": "Hopper", "MobilePhone": "202.555.0123",
		"Email": "grace@example.com", "Title": "Rear Admiral", "AccountId": globex, "OwnerId": alice})
	ins("Contact", map[string]any{"FirstName": "Alan", "LastName": "Turing", "Phone": "+44 20 7946 0018",
		"Email": "alan@example.co.uk", "AccountId": britannia, "OwnerId": alice})
	babbage := ins("Contact", map[string]any{"FirstName": "Charles", "LastName": "Babbage", "Phone": "2025550188",
		"HomePhone": "(202) 555-0189", "Email": "charles@example.com", "AccountId": engines, "OwnerId": alice})
	ins("Contact", map[string]any{"FirstName": "Kenji", "LastName": "Sato", "Phone": "+81 3 1234 5670",
		"AssistantPhone": "03-1234-5671", "Email": "kenji@example.jp", "AccountId": tokyo, "OwnerId": alice})

	ins("Lead", map[string]any{"FirstName": "Hedy", "LastName": "Lamarr", "Company": "Frequency Hopping Inc",
		"Phone": "(202) 555-0177", "Email": "hedy@example.com", "Status": "Working - Contacted", "OwnerId": alice})
	ins("Lead", map[string]any{"FirstName": "Katherine", "LastName": "Johnson", "Company": "Orbital Mechanics LLC",
		"MobilePhone": "+1 (202) 555-0166", "Email": "katherine@example.com", "OwnerId": alice})
	ins("Opportunity", map[string]any{"Name": "Analytical Engines — Difference Engine No. 2", "AccountId": engines,
		"StageName": "Proposal/Price Quote", "CloseDate": "2026-12-15", "OwnerId": alice})
	ins("Opportunity", map[string]any{"Name": "Globex — Support Renewal", "AccountId": globex,
		"StageName": "Negotiation/Review", "CloseDate": "2027-01-31", "OwnerId": alice})
	ins("Case", map[string]any{"Subject": "Engine makes a grinding noise", "AccountId": engines, "Status": "Working", "OwnerId": alice})
	// Converted into the Babbage contact: same number, hidden from the console's
	// search, returned by SOSL unless RETURNING Lead(... WHERE IsConverted = false).
	ins("Lead", map[string]any{"FirstName": "Charles", "LastName": "Babbage", "Company": "Difference Engines",
		"Phone": "2025550188", "Status": "Closed - Converted", "IsConverted": true, "ConvertedContactId": babbage, "OwnerId": alice})
}
