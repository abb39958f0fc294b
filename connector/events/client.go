package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// Client is the part of *bitrix.Client that events uses.
type Client interface {
	Call(ctx context.Context, method string, params any) (*bitrix.Response, error)
}

// listPageSize is the portal's fixed page size of list methods.
const listPageSize = 50

// portalTimeLayout is how dates are sent to the portal: always with an
// explicit offset (bitrix24-api.md §6).
const portalTimeLayout = "2006-01-02T15:04:05-07:00"

// leadSelect is what reconcile and sweep read of a lead.
var leadSelect = []string{"ID", "DATE_MODIFY", "SOURCE_ID", "ORIGINATOR_ID"}

// leadRow is one row of crm.lead.list as reconcile and sweep read it.
type leadRow struct {
	ID           bitrix.FlexInt    `json:"ID"`
	DateModify   bitrix.FlexTime   `json:"DATE_MODIFY"`
	SourceID     bitrix.FlexString `json:"SOURCE_ID"`
	OriginatorID bitrix.FlexString `json:"ORIGINATOR_ID"`
}

// listLeads calls crm.lead.list and decodes its rows. An empty result may
// arrive as [] or {}.
func listLeads(ctx context.Context, c Client, params map[string]any) ([]leadRow, *bitrix.Response, error) {
	resp, err := c.Call(ctx, "crm.lead.list", params)
	if err != nil {
		return nil, nil, err
	}
	var rows []leadRow
	if err := json.Unmarshal(resp.Result, &rows); err != nil {
		var obj map[string]json.RawMessage
		if json.Unmarshal(resp.Result, &obj) == nil && len(obj) == 0 {
			return nil, resp, nil
		}
		return nil, nil, fmt.Errorf("crm.lead.list: decode rows: %w", err)
	}
	return rows, resp, nil
}

// formatPortalTime formats t for a filter, in loc when set.
func formatPortalTime(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format(portalTimeLayout)
}
