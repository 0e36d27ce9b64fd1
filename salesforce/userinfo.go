package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// UserInfo is the signed-in user as the OpenID Connect userinfo endpoint
// describes them.
type UserInfo struct {
	UserID   string `json:"user_id"`
	OrgID    string `json:"organization_id"`
	Username string `json:"preferred_username"`
	Email    string `json:"email"`
	Name     string `json:"name"`
}

// UserInfo returns the token owner's identity from
// GET {instance}/services/oauth2/userinfo.
func (c *Client) UserInfo(ctx context.Context) (UserInfo, error) {
	var u UserInfo
	req := request{method: http.MethodGet, path: "/services/oauth2/userinfo", repeatable: true}
	if err := c.do(ctx, req, &u); err != nil {
		return UserInfo{}, fmt.Errorf("salesforce: userinfo: %w", err)
	}
	if u.UserID == "" || u.OrgID == "" {
		return UserInfo{}, fmt.Errorf("salesforce: userinfo: response names no user or org")
	}
	return u, nil
}

// Identity is what the identity URL (the token response's "id") tells about
// the token's user.
type Identity struct {
	UserID string `json:"user_id"`
	OrgID  string `json:"organization_id"`
	// CustomPermissions maps each custom permission associated with the
	// External Client App to whether the user has it. It is present only
	// when the grant has the custom_permissions scope (nil otherwise).
	CustomPermissions map[string]bool `json:"custom_permissions"`
}

// HasCustomPermission reports whether the identity shows the custom
// permission named name (its API name) as the user's. A permission the app
// is not associated with, or a grant without the custom_permissions scope,
// shows nothing: false.
func (id Identity) HasCustomPermission(name string) bool { return id.CustomPermissions[name] }

// Identity reads the token owner's identity URL, /id/{orgId}/{userId}. It
// is asked of the org's own host (the instance), where the identity URL also
// answers; the token response names it on the login host (reference
// salesforce.md §5.1). UNCONFIRMED: that every org type serves /id/ on its
// My Domain instance host; the Mobile SDK docs give only the login host.
//
// With the custom_permissions scope the answer carries the
// custom_permissions map (reference salesforce-setup.md §3.3): the way a
// user who cannot read PermissionSetAssignment (only View Setup and
// Configuration, Assign Permission Sets or Manage Users may, since Summer
// '20) is still recognised as an admin.
func (c *Client) Identity(ctx context.Context, orgID, userID string) (Identity, error) {
	var id Identity
	req := request{method: http.MethodGet, path: "/id/" + url.PathEscape(orgID) + "/" + url.PathEscape(userID), repeatable: true}
	if err := c.do(ctx, req, &id); err != nil {
		return Identity{}, fmt.Errorf("salesforce: identity: %w", err)
	}
	if id.UserID == "" || id.OrgID == "" {
		return Identity{}, fmt.Errorf("salesforce: identity: response names no user or org")
	}
	return id, nil
}

// CheckDataAPI makes one cheap data-API call as the user (their own User
// record, which every user may read) so that sign-in finds out at once
// when the user may not use the API (KindAPIDisabled) or the grant lacks
// the api scope (KindMissingScope).
func (c *Client) CheckDataAPI(ctx context.Context, userID string) error {
	_, err := c.Query(ctx, fmt.Sprintf("SELECT Id FROM User WHERE Id = '%s'", EscapeSOQL(userID)))
	return err
}
