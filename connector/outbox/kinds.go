package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
)

// leadAdd creates a lead carrying ORIGINATOR_ID=b24desk and ORIGIN_ID (the
// payload's, else the row's dedupe key). Payload: {"fields": {...},
// "params": {...}}. Result: the lead ID as a JSON number.
type leadAdd struct{}

func leadAddPayload(row Row) (object, string, error) {
	o, err := decodeObject(row.Payload, KindLeadAdd)
	if err != nil {
		return nil, "", err
	}
	fields, err := o.sub("fields")
	if err != nil {
		return nil, "", err
	}
	origin := fields.str("ORIGIN_ID")
	if origin == "" {
		origin = row.DedupeKey
	}
	fields.set("ORIGINATOR_ID", OriginatorID)
	fields.set("ORIGIN_ID", origin)
	o.setSub("fields", fields)
	return o, origin, nil
}

func (leadAdd) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	params, _, err := leadAddPayload(row)
	if err != nil {
		return nil, err
	}
	resp, err := p.Call(ctx, "crm.lead.add", params)
	if err != nil {
		return nil, err
	}
	id, err := LeadIDFromResult(resp.Result)
	if err != nil {
		// The lead may exist: let the lookup decide.
		return nil, fmt.Errorf("crm.lead.add: %w: %v", bitrix.ErrOutcomeUnknown, err)
	}
	return json.RawMessage(strconv.FormatInt(id, 10)), nil
}

func (leadAdd) Lookup(ctx context.Context, p Portal, row Row) (json.RawMessage, bool, error) {
	_, origin, err := leadAddPayload(row)
	if err != nil {
		return nil, false, err
	}
	params := object{}
	params.set("filter", map[string]string{"ORIGINATOR_ID": OriginatorID, "ORIGIN_ID": origin})
	params.set("select", []string{"ID"})
	params.set("order", map[string]string{"ID": "ASC"})
	r, found, err := scanList(ctx, p, "crm.lead.list", params, 1, func(listRow) bool { return true })
	if err != nil || !found {
		return nil, false, err
	}
	id, err := LeadIDFromResult(json.RawMessage(r.str("ID")))
	if err != nil {
		return nil, false, fmt.Errorf("crm.lead.list: %w", err)
	}
	return json.RawMessage(strconv.FormatInt(id, 10)), true, nil
}

// timelineComment adds a comment with the row's Marker appended. Payload:
// {"fields": {"ENTITY_ID", "ENTITY_TYPE", "COMMENT", "FILES"?}}.
type timelineComment struct{}

func (timelineComment) payload(row Row) (object, object, error) {
	o, err := decodeObject(row.Payload, KindTimelineComment)
	if err != nil {
		return nil, nil, err
	}
	fields, err := o.sub("fields")
	if err != nil {
		return nil, nil, err
	}
	appendText(fields, "COMMENT", Marker(row.DedupeKey))
	o.setSub("fields", fields)
	return o, fields, nil
}

func (k timelineComment) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	params, _, err := k.payload(row)
	if err != nil {
		return nil, err
	}
	resp, err := p.Call(ctx, "crm.timeline.comment.add", params)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (k timelineComment) Lookup(ctx context.Context, p Portal, row Row) (json.RawMessage, bool, error) {
	_, fields, err := k.payload(row)
	if err != nil {
		return nil, false, err
	}
	entityType := fields.str("ENTITY_TYPE")
	if entityType == "" {
		entityType = "lead"
	}
	params := object{}
	params.set("filter", map[string]string{"ENTITY_ID": fields.str("ENTITY_ID"), "ENTITY_TYPE": entityType})
	params.set("select", []string{"ID", "COMMENT"})
	params.set("order", map[string]string{"ID": "DESC"})
	marker := Marker(row.DedupeKey)
	r, found, err := scanList(ctx, p, "crm.timeline.comment.list", params, 20,
		func(r listRow) bool { return strings.Contains(r.str("COMMENT"), marker) })
	if err != nil || !found {
		return nil, false, err
	}
	return json.RawMessage(r.str("ID")), true, nil
}

// todoAdd adds a to-do with the row's Marker appended to its description.
// Payload: crm.activity.todo.add parameters (ownerTypeId, ownerId, deadline,
// title, description, responsibleId). Result: {"id": N}.
type todoAdd struct{}

func (todoAdd) payload(row Row) (object, error) {
	o, err := decodeObject(row.Payload, KindTodoAdd)
	if err != nil {
		return nil, err
	}
	appendText(o, "description", Marker(row.DedupeKey))
	return o, nil
}

func (k todoAdd) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	params, err := k.payload(row)
	if err != nil {
		return nil, err
	}
	resp, err := p.Call(ctx, "crm.activity.todo.add", params)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (k todoAdd) Lookup(ctx context.Context, p Portal, row Row) (json.RawMessage, bool, error) {
	o, err := k.payload(row)
	if err != nil {
		return nil, false, err
	}
	ownerType := o.str("ownerTypeId")
	if ownerType == "" {
		ownerType = "1"
	}
	return FindTodo(ctx, p, ownerType, o.str("ownerId"), Marker(row.DedupeKey))
}

// FindTodo looks for the owner's to-do whose description carries marker
// (newest first, up to 20 pages) and returns it as crm.activity.todo.add
// answers: {"id": N}.
func FindTodo(ctx context.Context, p Portal, ownerTypeID, ownerID, marker string) (json.RawMessage, bool, error) {
	params := object{}
	params.set("filter", map[string]string{"OWNER_ID": ownerID, "OWNER_TYPE_ID": ownerTypeID})
	params.set("select", []string{"ID", "DESCRIPTION"})
	params.set("order", map[string]string{"ID": "DESC"})
	r, found, err := scanList(ctx, p, "crm.activity.list", params, 20,
		func(r listRow) bool { return strings.Contains(r.str("DESCRIPTION"), marker) })
	if err != nil || !found {
		return nil, false, err
	}
	return json.RawMessage(`{"id":` + strconv.Quote(r.str("ID")) + `}`), true, nil
}

// notify sends a system notification with a TAG (the payload's, else
// "b24d:" + dedupe key) and a CLIENT_ID (through a webhook a TAG needs one).
// A repeat with the same TAG replaces the earlier notification, so the
// lookup is "send again".
type notify struct{}

func (notify) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	o, err := decodeObject(row.Payload, KindNotify)
	if err != nil {
		return nil, err
	}
	if o.str("TAG") == "" {
		o.set("TAG", "b24d:"+row.DedupeKey)
	}
	if o.str("CLIENT_ID") == "" {
		o.set("CLIENT_ID", OriginatorID)
	}
	resp, err := p.Call(ctx, "im.notify.system.add", o)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (notify) Lookup(context.Context, Portal, Row) (json.RawMessage, bool, error) {
	return nil, false, nil
}

// workflowStart starts a business process. Payload: bizproc.workflow.start
// parameters (TEMPLATE_ID, DOCUMENT_ID, PARAMETERS). The lookup finds a
// running instance of the template on the document; a workflow that already
// finished is not listed by the portal and would be started again.
type workflowStart struct{}

func (workflowStart) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	resp, err := p.Call(ctx, "bizproc.workflow.start", row.Payload)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (workflowStart) Lookup(ctx context.Context, p Portal, row Row) (json.RawMessage, bool, error) {
	o, err := decodeObject(row.Payload, KindWorkflowStart)
	if err != nil {
		return nil, false, err
	}
	var doc []string
	if err := json.Unmarshal(o["DOCUMENT_ID"], &doc); err != nil || len(doc) != 3 {
		return nil, false, fmt.Errorf("%s payload: DOCUMENT_ID must be [module, entity, id]", KindWorkflowStart)
	}
	template := o.str("TEMPLATE_ID")
	params := object{}
	params.set("select", []string{"ID", "TEMPLATE_ID", "DOCUMENT_ID"})
	params.set("filter", map[string]string{"TEMPLATE_ID": template})
	r, found, err := scanList(ctx, p, "bizproc.workflow.instances", params, 20, func(r listRow) bool {
		d := r.str("DOCUMENT_ID")
		return r.str("TEMPLATE_ID") == template && (d == doc[2] || strings.HasSuffix(d, "|"+doc[2]))
	})
	if err != nil || !found {
		return nil, false, err
	}
	return json.RawMessage(strconv.Quote(r.str("ID"))), true, nil
}

// statusAdd adds a dictionary entry (a ticket type in SOURCE, a lead stage
// in STATUS). Payload: {"fields": {"ENTITY_ID", "STATUS_ID", "NAME", ...}}.
type statusAdd struct{}

func (statusAdd) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	resp, err := p.Call(ctx, "crm.status.add", row.Payload)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (statusAdd) Lookup(ctx context.Context, p Portal, row Row) (json.RawMessage, bool, error) {
	o, err := decodeObject(row.Payload, KindStatusAdd)
	if err != nil {
		return nil, false, err
	}
	fields, err := o.sub("fields")
	if err != nil {
		return nil, false, err
	}
	params := object{}
	params.set("filter", map[string]string{"ENTITY_ID": fields.str("ENTITY_ID"), "STATUS_ID": fields.str("STATUS_ID")})
	r, found, err := scanList(ctx, p, "crm.status.list", params, 1, func(r listRow) bool {
		return r.str("STATUS_ID") == fields.str("STATUS_ID")
	})
	if err != nil || !found {
		return nil, false, err
	}
	return json.RawMessage(r.str("ID")), true, nil
}

// userFieldAdd adds a lead user field. Payload: {"fields": {"FIELD_NAME",
// "USER_TYPE_ID", ...}}; the lookup lists the lead user fields by name.
type userFieldAdd struct{}

func (userFieldAdd) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	resp, err := p.Call(ctx, "crm.lead.userfield.add", row.Payload)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (userFieldAdd) Lookup(ctx context.Context, p Portal, row Row) (json.RawMessage, bool, error) {
	o, err := decodeObject(row.Payload, KindUserFieldAdd)
	if err != nil {
		return nil, false, err
	}
	fields, err := o.sub("fields")
	if err != nil {
		return nil, false, err
	}
	name := fields.str("FIELD_NAME")
	if !strings.HasPrefix(name, "UF_CRM_") {
		name = "UF_CRM_" + name
	}
	params := object{}
	params.set("filter", map[string]string{"FIELD_NAME": name})
	r, found, err := scanList(ctx, p, "crm.lead.userfield.list", params, 1, func(r listRow) bool {
		return r.str("FIELD_NAME") == name
	})
	if err != nil || !found {
		return nil, false, err
	}
	return json.RawMessage(r.str("ID")), true, nil
}
