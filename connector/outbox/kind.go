package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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

// LookupKind is a Kind whose lookup is one portal list command (and, when
// its first page does not decide, the pages after it): with a batching
// portal the worker sends the lookups of such rows together in batch
// requests. Its Lookup must be its LookupOf run alone.
type LookupKind interface {
	Kind
	// LookupOf returns the row's lookup; ok false: the kind looks nothing
	// up (an idempotent write: it is simply sent again).
	LookupOf(ctx context.Context, row Row) (l Lookup, ok bool, err error)
}

// Lookup finds a write in the portal: a list command whose rows are
// searched (up to pages pages, 50 rows a page) for the first that match
// accepts; found turns that row into the result the write would have
// returned.
type Lookup struct {
	cmd   bitrix.BatchCmd
	pages int
	match func(listRow) bool
	found func(listRow) (json.RawMessage, error)
}

// Command is the lookup's first command (its first page).
func (l Lookup) Command() bitrix.BatchCmd {
	cmd := l.cmd
	cmd.Params = maps.Clone(cmd.Params)
	cmd.Params["start"] = 0
	return cmd
}

// Run runs the lookup alone, one request a page.
func (l Lookup) Run(ctx context.Context, p Portal) (json.RawMessage, bool, error) {
	return l.scan(ctx, p, 0, l.pages)
}

// scan searches pages pages from start.
func (l Lookup) scan(ctx context.Context, p Portal, start, pages int) (json.RawMessage, bool, error) {
	cmd := l.Command()
	for range pages {
		cmd.Params["start"] = start
		resp, err := p.Call(ctx, cmd.Method, cmd.Params)
		if err != nil {
			return nil, false, err
		}
		res, found, next, err := l.page(resp.Result, resp.Next, start)
		if err != nil || found || next < 0 {
			return res, found, err
		}
		start = next
	}
	return nil, false, nil
}

// page searches one page's answer (from start; next: the portal's start
// of the page after it, nil when none). next < 0: nothing more to read.
func (l Lookup) page(raw json.RawMessage, next *int, start int) (res json.RawMessage, found bool, after int, err error) {
	rows, err := listRows(raw)
	if err != nil {
		return nil, false, -1, fmt.Errorf("%s: %w", l.cmd.Method, err)
	}
	for _, r := range rows {
		if l.match(r) {
			res, err := l.found(r)
			return res, err == nil, -1, err
		}
	}
	if next == nil || *next <= start {
		return nil, false, -1, nil
	}
	return nil, false, *next, nil
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
