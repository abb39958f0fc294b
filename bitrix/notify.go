package bitrix

import (
	"context"
	"encoding/json"
)

// Notification is a Bitrix24 notification to one user. A Tag replaces an
// earlier notification with the same tag (through a webhook a Tag needs a
// ClientID): use it as the de-duplication key.
type Notification struct {
	UserID   int64
	Message  string
	Tag      string
	SubTag   string
	ClientID string
}

func (n Notification) params() map[string]any {
	p := map[string]any{"USER_ID": n.UserID, "MESSAGE": n.Message}
	if n.Tag != "" {
		p["TAG"] = n.Tag
	}
	if n.SubTag != "" {
		p["SUB_TAG"] = n.SubTag
	}
	if n.ClientID != "" {
		p["CLIENT_ID"] = n.ClientID
	}
	return p
}

// NotifySystem sends a system notification (im.notify.system.add) and
// returns its ID (0 when the portal answered false). Not idempotent.
func (c *Client) NotifySystem(ctx context.Context, n Notification) (int64, error) {
	cmd := NotifySystemCommand(n)
	return c.notify(ctx, cmd.Method, n)
}

// NotifyPersonal sends a personal notification from the webhook's user
// (im.notify.personal.add). Not idempotent.
func (c *Client) NotifyPersonal(ctx context.Context, n Notification) (int64, error) {
	return c.notify(ctx, "im.notify.personal.add", n)
}

func (c *Client) notify(ctx context.Context, method string, n Notification) (int64, error) {
	resp, err := c.Call(ctx, method, n.params())
	if err != nil {
		return 0, err
	}
	var id FlexInt
	if json.Unmarshal(resp.Result, &id) == nil {
		return int64(id), nil
	}
	return 0, nil // false: accepted without an ID
}
