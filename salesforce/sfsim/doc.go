// Package sfsim is an emulated Salesforce org for tests and for `zoomcti demo`.
//
// An *Org is a single http.Handler that answers like a small Salesforce org on
// whatever address it is served at (that address is the instance_url):
//
//	GET  /services/oauth2/authorize    "Allow Access?" page with a user picker (web-server flow, PKCE S256)
//	POST /services/oauth2/token        authorization_code, refresh_token, client_credentials
//	GET  /services/oauth2/userinfo     OpenID Connect userinfo (bad token: 403 Bad_OAuth_Token; no openid/id scope: 403 insufficient_scope)
//	POST /services/oauth2/revoke       revoke an access or refresh token
//	GET  /id/{orgId}/{userId}          identity URL
//	GET  /services/data/               versions list, Options.OldestVersion..NewestVersion (free: no token, not counted)
//	     /services/data/vNN.0/...      sobjects, describe, query, search, composite/sobjects, limits (another version: 404 NOT_FOUND)
//	GET  /, /lightning/...             the console: a Lightning look-alike hosting the softphone
//	GET  /support/api/NN.0/lightning/opencti_min.js   the Open CTI stand-in the softphone loads
//	POST /_sim/faults                  fault injection for tests
//	POST /_sim/demo/call               the console's "Simulate inbound call" (Options.DemoCall)
//
// The data API keeps Salesforce's status codes, error arrays and the
// Sforce-Limit-Info header; every data call needs a Bearer token and counts one
// API request against Options.DailyLimit (a token granted without the api
// scope gets 401 INVALID_SESSION_ID, scopes.go). It implements a SOQL subset (soql.go),
// a SOSL subset (sosl.go) that matches a token index the way Salesforce
// search does, with no digit normalization of phone numbers and an index
// lag (index.go: Options.IndexLag, DefaultIndexLag; SOQL sees every write at
// once), the Composite resource for queries (compositequery.go) and custom
// Text fields an admin adds (Options.CustomFields). Users without "API Enabled" (Bob Builder,
// bob@example.com) get 403 API_DISABLED_FOR_ORG from it; OAuth and userinfo
// still work for them.
//
// Restricted picklists refuse any other value with 400
// INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST naming the field: Task CallType,
// TaskSubtype, Priority (High, Normal, Low) and Status, whose values are the
// org's TaskStatus records (queryable; Options.TaskStatuses and
// SetTaskStatuses rename or remove them, "Completed" included). A Task's
// IsClosed follows the IsClosed of its status.
//
// The console records every sforce.opencti call the framed softphone makes as
// window.openctiCalls ({method, args}), every event it sends back as
// window.openctiEvents, and what the agent sees as window.consoleState
// ({recordId, objectType, view}); it acts on each call as Lightning would (see
// console.js). Its helpers under /_sim/console/ act as the demo user and are not
// counted as API requests.
//
// Access is the union of a user's profile and permission sets (access.go):
// the seeded agents are on "Standard User", without View Setup and
// Configuration, Assign Permission Sets or Manage Users, so a query of
// PermissionSetAssignment is refused them (400 INVALID_TYPE) as Salesforce
// has done since Summer '20; the admin is on "System Administrator". The
// identity URL and userinfo carry custom_permissions for a grant with the
// custom_permissions scope: each custom permission associated with the
// External Client App (Options.AppCustomPermissions, default Zoomcti_Admin,
// which the Zoom_Admin permission set includes) and whether the user has it.
// Field-level security hides fields per user (SetFieldAccess): describe and
// record reads leave them out, a SOQL, SOSL or write naming one is 400
// INVALID_FIELD as for a field that does not exist, and search does not
// match on them.
//
// Everything lives in memory behind one mutex; the org is seeded (seed.go) with
// Accounts, Contacts, Leads, Users and a Zoom_Admin permission set assignment,
// all with deterministic 18-character Ids. Where Salesforce's behaviour is not
// documented the emulator picks the plainest honest rule and says so.
package sfsim
