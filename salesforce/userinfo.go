package salesforce

import (
	"context"
	"fmt"
	"net/http"
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

// HasPermissionSet reports whether the user holds the permission set named
// name (its API name).
func (c *Client) HasPermissionSet(ctx context.Context, userID, name string) (bool, error) {
	q := fmt.Sprintf("SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '%s' AND PermissionSet.Name = '%s' LIMIT 1",
		EscapeSOQL(userID), EscapeSOQL(name))
	recs, err := c.Query(ctx, q)
	return len(recs) > 0, err
}
