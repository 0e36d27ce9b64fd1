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
