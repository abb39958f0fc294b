package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/store"
	"strconv"
	"strings"
	"time"
)

// LeadID is a placeholder for the ID of the lead created by the group's
// lead.add row. As a whole JSON string ("$b24d.lead_id") it becomes a
// number; inside a string ("LEAD_$b24d.lead_id") it becomes the digits. It is
// filled at send time, so a row enqueued with the lead.add can use it.
const LeadID = "$b24d.lead_id"

// LeadIDFromResult reads a lead ID from a lead.add result or from a JSON
// number or numeric string.
func LeadIDFromResult(result json.RawMessage) (int64, error) {
	s := strings.Trim(string(bytes.TrimSpace(result)), `"`)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("not a lead ID: %.40q", string(result))
	}
	return id, nil
}

// LeadRef names the lead a write applies to: a lead ID (LeadOf), or the
// zero value, the lead that the ticket's lead.add creates, filled in when
// the row is sent (stored as the LeadID placeholder, which rows of earlier
// versions wrote by hand).
type LeadRef struct{ id bitrix.ID }

// LeadOf refers to an existing lead.
func LeadOf(id int64) LeadRef { return LeadRef{bitrix.KnownID(id)} }

// ID is the lead as a command parameter.
func (l LeadRef) ID() bitrix.ID { return l.id }

// IsNew reports whether l is the lead of the ticket's lead.add.
func (l LeadRef) IsNew() bool { return l.id.N == 0 && l.id.Ref == "" }

// MarshalJSON writes the ID, or the placeholder of a lead not created yet.
func (l LeadRef) MarshalJSON() ([]byte, error) {
	switch {
	case l.id.Ref != "":
		return json.Marshal(l.id.String())
	case l.id.N == 0:
		return json.Marshal(LeadID)
	}
	return []byte(strconv.FormatInt(l.id.N, 10)), nil
}

// UnmarshalJSON reads a number, a numeric string, "LEAD_N" (a bizproc
// document ID), the LeadID placeholder or a batch $result reference.
func (l *LeadRef) UnmarshalJSON(b []byte) error {
	s := strings.TrimPrefix(strings.Trim(string(bytes.TrimSpace(b)), `"`), "LEAD_")
	switch {
	case s == LeadID, s == "", s == "null":
		*l = LeadRef{}
	case strings.HasPrefix(s, "$result[") && strings.HasSuffix(s, "]"):
		*l = LeadRef{bitrix.ResultOf(s[len("$result[") : len(s)-1])}
	default:
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("not a lead: %.40q", string(b))
		}
		*l = LeadRef{bitrix.KnownID(id)}
	}
	return nil
}

// fillLead replaces the LeadID placeholder in the payload with the lead:
// digits, or inside a batch the $result reference of its lead.add.
func fillLead(payload []byte, lead bitrix.ID) []byte {
	if lead.Ref != "" {
		return bytes.ReplaceAll(payload, []byte(LeadID), []byte(lead.String()))
	}
	digits := []byte(lead.String())
	p := bytes.ReplaceAll(payload, []byte(`"`+LeadID+`"`), digits)
	return bytes.ReplaceAll(p, []byte(LeadID), digits)
}

// needsLead reports whether the row names the lead of its ticket's
// lead.add.
func needsLead(row Row) bool { return bytes.Contains(row.Payload, []byte(LeadID)) }

// errLeadDropped: the ticket's lead.add was dropped, so a write that
// names its lead can never be sent.
var errLeadDropped = errors.New("the ticket's lead.add was dropped by an operator: its lead will not be created")

// newLead is the state of the lead.add a row depends on.
type newLead struct {
	row   Row   // the ticket's lead.add row (zero when none)
	found bool  // there is one
	id    int64 // its lead ID once done
}

// ticketLead finds the lead.add of the row's ticket.
func (o *Outbox) ticketLead(ctx context.Context, row Row) (newLead, error) {
	if row.GroupKey == "" {
		return newLead{}, fmt.Errorf("payload uses %s but the row has no group", LeadID)
	}
	add, found, err := o.store.OutboxGroupRow(ctx, coreGroup(row.GroupKey), KindLeadAdd)
	if err != nil || !found {
		return newLead{}, err
	}
	nl := newLead{row: add, found: true}
	if add.State == store.OutboxDone {
		if nl.id, err = LeadIDFromResult(add.Result); err != nil {
			return nl, fmt.Errorf("group %q %s result: %w", add.GroupKey, KindLeadAdd, err)
		}
	}
	return nl, nil
}

// resolve fills the LeadID placeholder in the row's payload with the lead
// of its ticket's done lead.add. wait is non-zero when that lead.add is not
// done yet: the row waits until then (without an attempt).
func (o *Outbox) resolve(ctx context.Context, row Row, now time.Time) (out Row, wait time.Time, err error) {
	if !needsLead(row) {
		return row, time.Time{}, nil
	}
	nl, err := o.ticketLead(ctx, row)
	switch {
	case err != nil:
		return row, time.Time{}, err
	case !nl.found:
		return row, time.Time{}, fmt.Errorf("payload uses %s but group %q has no done %s", LeadID, coreGroup(row.GroupKey), KindLeadAdd)
	case nl.id > 0:
		row.Payload = fillLead(row.Payload, bitrix.KnownID(nl.id))
		return row, time.Time{}, nil
	case nl.row.State == store.OutboxDropped:
		return row, time.Time{}, errLeadDropped
	case nl.row.State == store.OutboxParked:
		return row, now.Add(o.cfg.MaxIdle * 12), nil // looked at again after an operator's retry
	}
	return row, afterNow(nl.row.NextAttemptAt, now), nil
}

// afterNow is t, but at least a moment after now.
func afterNow(t, now time.Time) time.Time {
	return maxTime(t, now.Add(100*time.Millisecond))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// coreGroup is the group of a ticket's core writes (the lead itself) for
// a group key of any of its lanes.
func coreGroup(group string) string {
	core, _, _ := strings.Cut(group, laneSep)
	return core
}
