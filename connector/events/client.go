package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// Client is the part of *bitrix.Client that events uses: lead pages for
// reconcile and sweep, one lead to confirm a deletion, and the offline
// event queue.
type Client interface {
	LeadList(ctx context.Context, opt bitrix.ListOptions) (leads []bitrix.Lead, next *int, err error)
	LeadGet(ctx context.Context, id int64) (*bitrix.Lead, error)
	EventOfflineGet(ctx context.Context, q bitrix.OfflineQuery) (bitrix.OfflineEvents, error)
	EventOfflineClear(ctx context.Context, processID string, ids []int64) error
	EventOfflineError(ctx context.Context, processID string, messageIDs []string) error
}

// listPageSize is the portal's fixed page size of list methods.
const listPageSize = 50

// portalTimeLayout is how dates are sent to the portal: always with an
// explicit offset (bitrix24-api.md §6).
const portalTimeLayout = "2006-01-02T15:04:05-07:00"

// leadSelect is what reconcile and sweep read of a lead.
var leadSelect = []string{"ID", "DATE_MODIFY", "SOURCE_ID", "ORIGINATOR_ID"}

// leadRow is one lead as reconcile and sweep read it.
type leadRow struct {
	ID           bitrix.FlexInt    `json:"ID"`
	DateModify   bitrix.FlexTime   `json:"DATE_MODIFY"`
	SourceID     bitrix.FlexString `json:"SOURCE_ID"`
	OriginatorID bitrix.FlexString `json:"ORIGINATOR_ID"`
}

// listLeads reads one page of leads (crm.lead.list; no count: start -1)
// in order, with the fields of leadSelect.
func listLeads(ctx context.Context, c Client, filter map[string]any, order map[string]string) ([]leadRow, error) {
	leads, _, err := c.LeadList(ctx, bitrix.ListOptions{Filter: filter, Order: order, Select: leadSelect, Start: -1})
	if err != nil {
		return nil, err
	}
	rows := make([]leadRow, 0, len(leads))
	for i := range leads {
		row, err := rowOf(&leads[i])
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// rowOf reads a lead's leadSelect fields strictly: bitrix.Lead leaves a
// field of an odd type zero, but a lead whose ID or DATE_MODIFY cannot be
// read must stop reconcile (its cursor would move on a zero time) rather
// than be skipped.
func rowOf(l *bitrix.Lead) (leadRow, error) {
	var r leadRow
	for key, dst := range map[string]any{"ID": &r.ID, "DATE_MODIFY": &r.DateModify, "SOURCE_ID": &r.SourceID, "ORIGINATOR_ID": &r.OriginatorID} {
		if raw, ok := l.Fields[key]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return leadRow{}, fmt.Errorf("lead list: decode rows: %s: %w", key, err)
			}
		}
	}
	return r, nil
}

// formatPortalTime formats t for a filter, in loc when set.
func formatPortalTime(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format(portalTimeLayout)
}
