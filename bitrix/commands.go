package bitrix

import (
	"context"
	"strconv"
	"time"
)

// The command builders below return the one portal call of a typed write
// or read as a BatchCmd, so that the same write can be sent alone
// (Client.Do) or as one command of a batch (Client.Batch). They are the
// only place besides the typed Client methods that names REST methods.

// ID is a record ID as a command parameter: a known ID, or, inside a
// batch, a reference to the result of the earlier command that creates the
// record ($result[key], substituted by the portal; docs: api-reference/how-to-call-rest-api/batch.md).
type ID struct {
	N   int64
	Ref string // the key of the creating command; replaces N when set
}

// KnownID is the ID of an existing record.
func KnownID(n int64) ID { return ID{N: n} }

// ResultOf names the result of the batch command with the key.
func ResultOf(key string) ID { return ID{Ref: key} }

// Param is the value sent: the number, or the $result reference.
func (i ID) Param() any {
	if i.Ref != "" {
		return "$result[" + i.Ref + "]"
	}
	return i.N
}

// String is the ID as text (digits, or the $result reference).
func (i ID) String() string {
	if i.Ref != "" {
		return "$result[" + i.Ref + "]"
	}
	return strconv.FormatInt(i.N, 10)
}

// Do sends one command alone.
func (c *Client) Do(ctx context.Context, cmd BatchCmd) (*Response, error) {
	return c.Call(ctx, cmd.Method, cmd.Params)
}

// LeadAddCommand is crm.lead.add.
func LeadAddCommand(fields map[string]any, registerSonet bool) BatchCmd {
	return BatchCmd{Method: "crm.lead.add", Params: map[string]any{"fields": fields, "params": sonet(registerSonet)}}
}

// LeadUpdateCommand is crm.lead.update.
func LeadUpdateCommand(id ID, fields map[string]any, registerSonet bool) BatchCmd {
	return BatchCmd{Method: "crm.lead.update", Params: map[string]any{"id": id.Param(), "fields": fields, "params": sonet(registerSonet)}}
}

// LeadGetCommand is crm.lead.get (its result: LeadOf).
func LeadGetCommand(id int64) BatchCmd {
	return BatchCmd{Method: "crm.lead.get", Params: map[string]any{"id": id}}
}

// LeadListCommand is crm.lead.list.
func LeadListCommand(opt ListOptions) BatchCmd {
	return BatchCmd{Method: "crm.lead.list", Params: opt.params()}
}

// ItemUpdateCommand is crm.item.update of a CRM item (fields in camelCase).
func ItemUpdateCommand(entityTypeID int64, id ID, fields map[string]any) BatchCmd {
	return BatchCmd{Method: "crm.item.update", Params: map[string]any{"entityTypeId": entityTypeID, "id": id.Param(), "fields": fields}}
}

// TimelineCommentAddCommand is crm.timeline.comment.add on a lead.
func TimelineCommentAddCommand(lead ID, comment string, files []FileData) BatchCmd {
	fields := map[string]any{"ENTITY_ID": lead.Param(), "ENTITY_TYPE": "lead", "COMMENT": comment}
	if len(files) > 0 {
		list := make([]any, 0, len(files))
		for _, f := range files {
			list = append(list, []any{f.Name, f.Base64})
		}
		fields["FILES"] = list
	}
	return BatchCmd{Method: "crm.timeline.comment.add", Params: map[string]any{"fields": fields}}
}

// TimelineCommentListCommand is crm.timeline.comment.list.
func TimelineCommentListCommand(opt ListOptions) BatchCmd {
	return BatchCmd{Method: "crm.timeline.comment.list", Params: opt.params()}
}

// TodoAddCommand is crm.activity.todo.add; owner replaces t.OwnerID (so
// that a batch can name a lead created by an earlier command).
func TodoAddCommand(t Todo, owner ID) BatchCmd {
	p := map[string]any{
		"ownerTypeId": t.OwnerTypeID, "ownerId": owner.Param(),
		"deadline": t.Deadline.Format(time.RFC3339), "description": t.Description,
	}
	if t.Title != "" {
		p["title"] = t.Title
	}
	if t.ResponsibleID != 0 {
		p["responsibleId"] = t.ResponsibleID
	}
	return BatchCmd{Method: "crm.activity.todo.add", Params: p}
}

// TodoUpdateDeadlineCommand is crm.activity.todo.updateDeadline.
func TodoUpdateDeadlineCommand(id, ownerTypeID, ownerID int64, deadline time.Time) BatchCmd {
	return BatchCmd{Method: "crm.activity.todo.updateDeadline", Params: map[string]any{
		"id": id, "ownerTypeId": ownerTypeID, "ownerId": ownerID, "value": deadline.Format(time.RFC3339)}}
}

// TodoUpdateResponsibleCommand is crm.activity.todo.updateResponsibleUser.
func TodoUpdateResponsibleCommand(id, ownerTypeID, ownerID, responsibleID int64) BatchCmd {
	return BatchCmd{Method: "crm.activity.todo.updateResponsibleUser", Params: map[string]any{
		"id": id, "ownerTypeId": ownerTypeID, "ownerId": ownerID, "responsibleId": responsibleID}}
}

// ActivityFields are the fields of an activity that crm.activity.update
// changes (only those set are sent).
type ActivityFields struct {
	Completed *bool
	Deadline  time.Time
}

// ActivityUpdateCommand is crm.activity.update (documented as deprecated in
// favour of crm.activity.todo.*, but the method that completes an activity).
func ActivityUpdateCommand(id int64, f ActivityFields) BatchCmd {
	fields := map[string]any{}
	if f.Completed != nil {
		fields["COMPLETED"] = map[bool]string{true: "Y", false: "N"}[*f.Completed]
	}
	if !f.Deadline.IsZero() {
		fields["DEADLINE"] = f.Deadline.Format(time.RFC3339)
	}
	return BatchCmd{Method: "crm.activity.update", Params: map[string]any{"id": id, "fields": fields}}
}

// ActivityListCommand is crm.activity.list.
func ActivityListCommand(opt ListOptions) BatchCmd {
	return BatchCmd{Method: "crm.activity.list", Params: opt.params()}
}

// NotifySystemCommand is im.notify.system.add.
func NotifySystemCommand(n Notification) BatchCmd {
	return BatchCmd{Method: "im.notify.system.add", Params: n.params()}
}

// LeadDocument is the bizproc DOCUMENT_ID of a lead (LeadDocumentID for
// a known ID).
func LeadDocument(id ID) []string {
	return []string{"crm", "CCrmDocumentLead", "LEAD_" + id.String()}
}

// WorkflowStartCommand is bizproc.workflow.start.
func WorkflowStartCommand(templateID int64, documentID []string, parameters map[string]any) BatchCmd {
	p := map[string]any{"TEMPLATE_ID": templateID, "DOCUMENT_ID": documentID}
	if len(parameters) > 0 {
		p["PARAMETERS"] = parameters
	}
	return BatchCmd{Method: "bizproc.workflow.start", Params: p}
}

// WorkflowInstancesCommand is bizproc.workflow.instances.
func WorkflowInstancesCommand(opt ListOptions) BatchCmd {
	p := map[string]any{"SELECT": opt.Select, "start": opt.Start}
	if len(opt.Select) == 0 {
		p["SELECT"] = []string{"ID", "TEMPLATE_ID", "DOCUMENT_ID", "STARTED", "MODIFIED"}
	}
	if len(opt.Filter) > 0 {
		p["FILTER"] = opt.Filter
	}
	return BatchCmd{Method: "bizproc.workflow.instances", Params: p}
}

// StatusAddCommand is crm.status.add.
func StatusAddCommand(fields map[string]any) BatchCmd {
	return BatchCmd{Method: "crm.status.add", Params: map[string]any{"fields": fields}}
}

// StatusListCommand is crm.status.list.
func StatusListCommand(opt ListOptions) BatchCmd {
	return BatchCmd{Method: MethodStatusList, Params: opt.params()}
}

// LeadUserFieldAddCommand is crm.lead.userfield.add.
func LeadUserFieldAddCommand(fields map[string]any) BatchCmd {
	return BatchCmd{Method: "crm.lead.userfield.add", Params: map[string]any{"fields": fields}}
}

// LeadUserFieldListCommand is crm.lead.userfield.list.
func LeadUserFieldListCommand(opt ListOptions) BatchCmd {
	return BatchCmd{Method: MethodLeadUserFieldList, Params: opt.params()}
}
