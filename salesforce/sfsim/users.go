package sfsim

import (
	"net/http"
	"strings"
)

// userLocked describes a User record. Caller holds o.mu.
func (o *Org) userLocked(rec map[string]any) User {
	id, _ := rec["Id"].(string)
	username, _ := rec["Username"].(string)
	email, _ := rec["Email"].(string)
	name, _ := rec["Name"].(string)
	return User{ID: id, Username: username, Email: email, Name: name, APIEnabled: !o.noAPI[id]}
}

// activeUsers returns the users who can sign in (IsActive not false), in
// insertion order: the seeded ones first, then any a test inserted.
func (o *Org) activeUsers() []User {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.data["User"]
	out := make([]User, 0, len(t.order))
	for _, id := range t.order {
		rec := t.byID[id]
		if active, ok := rec["IsActive"].(bool); ok && !active {
			continue
		}
		out = append(out, o.userLocked(rec))
	}
	return out
}

// activeUser finds an active user by username; usernames are
// case-insensitive in Salesforce.
func (o *Org) activeUser(username string) (User, bool) {
	for _, u := range o.activeUsers() {
		if strings.EqualFold(u.Username, username) {
			return u, true
		}
	}
	return User{}, false
}

// UserByUsername returns the user (active or not) whose username is
// username, compared case-insensitively as Salesforce does: the seeded
// users are alice@example.com (DemoUser), admin@example.com (AdminUser),
// integration@sfsim.example.com (IntegrationUser) and bob@example.com, Bob
// Builder, an active agent without "API Enabled".
func (o *Org) UserByUsername(username string) (User, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.data["User"]
	for _, id := range t.order {
		rec := t.byID[id]
		if u, _ := rec["Username"].(string); strings.EqualFold(u, username) {
			return o.userLocked(rec), true
		}
	}
	return User{}, false
}

// apiDisabled is the data API's answer to a user whose profile lacks "API
// Enabled". Salesforce uses the same code whether the edition has no API or
// the user's profile does not grant it.
func apiDisabled() *restError {
	return newError(http.StatusForbidden, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.")
}
