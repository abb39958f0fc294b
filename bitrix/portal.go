package bitrix

import "context"

// CRM modes of crm.settings.mode.get.
const (
	CRMModeClassic = 1 // with leads: what b24desk needs
	CRMModeSimple  = 2 // no leads
)

// Scope returns the scopes the webhook or app was granted.
func (c *Client) Scope(ctx context.Context) ([]string, error) {
	resp, err := c.Call(ctx, "scope", nil)
	if err != nil {
		return nil, err
	}
	list, err := decodeList[FlexString]("scope", resp.Result)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out, nil
}

// IsAdmin reports whether the webhook's (or app's) user is a portal
// administrator (user.admin).
func (c *Client) IsAdmin(ctx context.Context) (bool, error) {
	var ok FlexBool
	err := c.callInto(ctx, "user.admin", nil, &ok)
	return bool(ok), err
}

// CRMMode returns CRMModeClassic or CRMModeSimple (crm.settings.mode.get).
func (c *Client) CRMMode(ctx context.Context) (int, error) {
	var m FlexInt
	err := c.callInto(ctx, "crm.settings.mode.get", nil, &m)
	return int(m), err
}
