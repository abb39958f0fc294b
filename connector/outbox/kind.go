package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Kind knows how to send one sort of write and how to find it in the portal
// after an unknown outcome. Both get the row with placeholders filled.
type Kind interface {
	// Do sends the write and returns its result (stored with the row).
	Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error)
	// Lookup reports whether the write already happened, with the result
	// Do would have returned. Idempotent kinds answer "not found": the
	// write is simply sent again.
	Lookup(ctx context.Context, p Portal, row Row) (result json.RawMessage, found bool, err error)
}

// Names of the built-in kinds.
const (
	KindLeadAdd         = "lead.add"         // crm.lead.add; lookup by ORIGINATOR_ID + ORIGIN_ID
	KindLeadUpdate      = "lead.update"      // crm.lead.update (idempotent)
	KindItemUpdate      = "item.update"      // crm.item.update, e.g. file fields (idempotent)
	KindTimelineComment = "timeline.comment" // crm.timeline.comment.add; lookup by marker
	KindTodoAdd         = "todo.add"         // crm.activity.todo.add; lookup by marker
	KindTodoDeadline    = "todo.deadline"    // crm.activity.todo.updateDeadline (idempotent)
	KindNotify          = "notify"           // im.notify.system.add with TAG (a repeat replaces)
	KindWorkflowStart   = "workflow.start"   // bizproc.workflow.start; lookup by running instances
	KindStatusAdd       = "status.add"       // crm.status.add; lookup by ENTITY_ID + STATUS_ID
	KindUserFieldAdd    = "userfield.add"    // crm.lead.userfield.add; lookup by FIELD_NAME
)

// OriginatorID is the ORIGINATOR_ID of every lead b24desk creates.
const OriginatorID = "b24desk"

func builtinKinds() map[string]Kind {
	return map[string]Kind{
		KindLeadAdd:         leadAdd{},
		KindLeadUpdate:      Idempotent("crm.lead.update"),
		KindItemUpdate:      Idempotent("crm.item.update"),
		KindTimelineComment: timelineComment{},
		KindTodoAdd:         todoAdd{},
		KindTodoDeadline:    Idempotent("crm.activity.todo.updateDeadline"),
		KindNotify:          notify{},
		KindWorkflowStart:   workflowStart{},
		KindStatusAdd:       statusAdd{},
		KindUserFieldAdd:    userFieldAdd{},
	}
}

// Idempotent is a kind that sends its payload as the method's parameters
// and, after an unknown outcome, simply sends it again.
type Idempotent string

// Do calls the method with the payload.
func (m Idempotent) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	resp, err := p.Call(ctx, string(m), row.Payload)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

// Lookup reports "not found": the write is repeated as is.
func (Idempotent) Lookup(context.Context, Portal, Row) (json.RawMessage, bool, error) {
	return nil, false, nil
}

// Marker is the tag written at the end of a comment or to-do so that a
// lookup can find it: "[b24d:KEY]" with the row's dedupe key.
func Marker(dedupeKey string) string { return "[b24d:" + dedupeKey + "]" }

// object is a JSON object decoded lazily.
type object map[string]json.RawMessage

func decodeObject(raw json.RawMessage, what string) (object, error) {
	var o object
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, fmt.Errorf("%s payload must be a JSON object", what)
	}
	return o, nil
}

func (o object) set(key string, v any) {
	b, _ := json.Marshal(v) // strings and numbers always marshal
	o[key] = b
}

func (o object) str(key string) string {
	var s string
	if json.Unmarshal(o[key], &s) == nil {
		return s
	}
	return strings.Trim(string(o[key]), `"`)
}

func (o object) sub(key string) (object, error) {
	if len(o[key]) == 0 {
		return object{}, nil
	}
	return decodeObject(o[key], key)
}

func (o object) setSub(key string, sub object) {
	b, _ := json.Marshal(sub)
	o[key] = b
}

// appendText adds the marker on its own line to the string field, unless
// it is there already.
func appendText(o object, field, marker string) {
	s := o.str(field)
	if strings.Contains(s, marker) {
		return
	}
	if s != "" {
		s += "\n"
	}
	o.set(field, s+marker)
}

// flexID reads an ID sent as a number or a numeric string.
func flexID(raw json.RawMessage) string {
	return strings.Trim(strings.TrimSpace(string(raw)), `"`)
}

// listRow is a row of a list answer with the fields lookups read.
type listRow map[string]json.RawMessage

// scanList pages through a list method (50 rows a page) until match finds a
// row or pages run out (at most maxPages).
func scanList(ctx context.Context, p Portal, method string, params object, maxPages int,
	match func(listRow) bool) (listRow, bool, error) {
	start := 0
	for range maxPages {
		params.set("start", start)
		resp, err := p.Call(ctx, method, params)
		if err != nil {
			return nil, false, err
		}
		rows, err := listRows(resp.Result)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", method, err)
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
