package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
)

// Kind knows how to send one sort of write and how to find it in the portal
// after an unknown outcome. Both get the row with the LeadRef of a lead
// not created yet filled in.
type Kind interface {
	// Do sends the write and returns its result (stored with the row).
	Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error)
	// Lookup reports whether the write already happened, with the result
	// Do would have returned. Idempotent kinds answer "not found": the
	// write is simply sent again.
	Lookup(ctx context.Context, p Portal, row Row) (result json.RawMessage, found bool, err error)
}

// CommandKind is a Kind whose write is one portal command: the worker sends
// the due rows of such kinds together in batch requests.
type CommandKind interface {
	Kind
	// Command returns the row's portal command.
	Command(ctx context.Context, row Row) (bitrix.BatchCmd, error)
	// Result turns the command's result into the row's result (an error:
	// the write's outcome is unknown or it failed).
	Result(raw json.RawMessage) (json.RawMessage, error)
}

// Write is a typed payload that names its kind (LeadAdd, Comment, …).
type Write interface{ Kind() string }

// Names of the built-in kinds.
const (
	KindLeadAdd         = "lead.add"         // crm.lead.add; lookup by ORIGINATOR_ID + ORIGIN_ID
	KindLeadUpdate      = "lead.update"      // crm.lead.update (idempotent)
	KindItemUpdate      = "item.update"      // crm.item.update, e.g. file fields (idempotent)
	KindTimelineComment = "timeline.comment" // crm.timeline.comment.add; lookup by marker
	KindTodoAdd         = "todo.add"         // crm.activity.todo.add; lookup by marker
	KindTodoDeadline    = "todo.deadline"    // crm.activity.todo.updateDeadline of a known to-do (idempotent)
	KindNotify          = "notify"           // im.notify.system.add with TAG (a repeat replaces)
	KindWorkflowStart   = "workflow.start"   // bizproc.workflow.start; lookup by running instances
	KindStatusAdd       = "status.add"       // crm.status.add; lookup by ENTITY_ID + STATUS_ID
	KindUserFieldAdd    = "userfield.add"    // crm.lead.userfield.add; lookup by FIELD_NAME
)

// OriginatorID is the ORIGINATOR_ID of every lead b24desk creates.
const OriginatorID = "b24desk"

// Marker is the tag written at the end of a comment or to-do so that a
// lookup can find it: "[b24d:KEY]" with the row's dedupe key.
func Marker(dedupeKey string) string { return "[b24d:" + dedupeKey + "]" }

// flexID reads an ID sent as a number or a numeric string.
func flexID(raw json.RawMessage) string {
	return strings.Trim(strings.TrimSpace(string(raw)), `"`)
}

// listRow is a row of a list answer with the fields lookups read.
type listRow map[string]json.RawMessage

// scanList pages through a list method (50 rows a page) until match finds a
// row or pages run out (at most maxPages).
func scanList(ctx context.Context, p Portal, cmd bitrix.BatchCmd, maxPages int,
	match func(listRow) bool) (listRow, bool, error) {
	start := 0
	for range maxPages {
		cmd.Params["start"] = start
		resp, err := p.Call(ctx, cmd.Method, cmd.Params)
		if err != nil {
			return nil, false, err
		}
		rows, err := listRows(resp.Result)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", cmd.Method, err)
		}
		for _, r := range rows {
			if match(r) {
				return r, true, nil
			}
		}
		if resp.Next == nil || *resp.Next <= start {
			return nil, false, nil
		}
		start = *resp.Next
	}
	return nil, false, nil
}

// listRows decodes a list result: an array of rows, or an object holding
// one (crm.activity.list style {"items": [...]}, or keyed rows).
func listRows(raw json.RawMessage) ([]listRow, error) {
	var rows []listRow
	if err := json.Unmarshal(raw, &rows); err == nil {
		return rows, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("unexpected list answer")
	}
	for _, k := range []string{"items", "workflows", "tasks"} {
		if v, ok := obj[k]; ok {
			return listRows(v)
		}
	}
	for _, v := range obj {
		var r listRow
		if json.Unmarshal(v, &r) == nil {
			rows = append(rows, r)
		}
	}
	return rows, nil
}

func (r listRow) str(key string) string {
	for k, v := range r {
		if strings.EqualFold(k, key) {
			var s string
			if json.Unmarshal(v, &s) == nil {
				return s
			}
			return flexID(v)
		}
	}
	return ""
}
