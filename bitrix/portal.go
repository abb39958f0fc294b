package bitrix

import "context"

// CRM modes of crm.settings.mode.get.
const (
	CRMModeClassic = 1 // with leads: what b24desk needs
	CRMModeSimple  = 2 // no leads
)

// REST method names of the typed calls below and of the dictionary reads,
// for callers that name the method in a message (b24desk check and setup).
const (
	MethodScope             = "scope"
	MethodIsAdmin           = "user.admin"
	MethodCRMMode           = "crm.settings.mode.get"
	MethodStatusList        = "crm.status.list"
	MethodLeadUserFieldList = "crm.lead.userfield.list"
)

// Scope returns the scopes the webhook or app was granted.
func (c *Client) Scope(ctx context.Context) ([]string, error) {
	resp, err := c.Call(ctx, MethodScope, nil)
	if err != nil {
		return nil, err
	}
	list, err := decodeList[FlexString](MethodScope, resp.Result)
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
	err := c.callInto(ctx, MethodIsAdmin, nil, &ok)
	return bool(ok), err
}

// CRMMode returns CRMModeClassic or CRMModeSimple (crm.settings.mode.get).
func (c *Client) CRMMode(ctx context.Context) (int, error) {
	var m FlexInt
	err := c.callInto(ctx, MethodCRMMode, nil, &m)
	return int(m), err
}
