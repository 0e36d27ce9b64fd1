// Package sfsim is an emulated Salesforce org for tests and for `zoomcti demo`.
//
// An *Org is a single http.Handler that answers like a small Salesforce org on one
// instance URL: the OAuth 2.0 endpoints (web-server flow with PKCE, refresh,
// client credentials, userinfo, revoke), the REST data API under
// /services/data/vNN.0/ (sObjects, a SOQL and a SOSL subset, sObject Collections,
// describe, limits) with Salesforce's status codes, error bodies and the
// Sforce-Limit-Info header, and a page that looks like a Lightning console with the
// Open CTI softphone in its utility bar. The console serves a stand-in for
// opencti_min.js so a real softphone page can run inside it, records every
// sforce.opencti call as window.openctiCalls and acts on it as Lightning would.
//
// Everything lives in memory behind one mutex; the org is seeded with a handful of
// Accounts, Contacts, Leads and Users whose Ids are deterministic 18-character
// Salesforce Ids. Control endpoints under /_sim/ (fault injection, the console's
// own helpers, the demo call button) are not part of Salesforce and need no token.
//
// Where Salesforce's behaviour is not documented the emulator picks the plainest
// honest rule and says so in a comment (for example, SOSL phone search compares
// digits only).
package sfsim
