package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// The built-in writes. Each is the typed payload of its kind (stored as
// JSON; Entry.Payload takes it and Entry.Kind may then stay empty), sent
// through the bitrix command builders. Their JSON keeps the shape the
// untyped payloads of earlier versions had, so rows queued by an older
// b24desk still decode.

// Sonet is the params of crm.lead.add/update: whether the change shows in
// the portal's live feed ("Y", the portal's default, or "N").
type Sonet struct {
	Register string `json:"REGISTER_SONET_EVENT,omitempty"`
}

func (s Sonet) on() bool { return s.Register != "N" }

// Feed returns the Sonet params for register.
func Feed(register bool) Sonet {
	if register {
		return Sonet{Register: "Y"}
	}
	return Sonet{Register: "N"}
}

// LeadAdd creates a lead carrying ORIGINATOR_ID=b24desk and ORIGIN_ID
// Origin: the only place the two are set. Result: the lead ID as a JSON
// number. Lookup: crm.lead.list by ORIGINATOR_ID + ORIGIN_ID.
type LeadAdd struct {
	// Origin is the ORIGIN_ID (rows queued before it existed carry it in
	// Fields; "": the row's dedupe key).
	Origin string         `json:"origin,omitempty"`
	Fields map[string]any `json:"fields"` // lead fields (enumerations by item ID)
	Params Sonet          `json:"params"`
}

// LeadUpdate changes fields of a lead (idempotent: sent again after an
// unknown outcome).
type LeadUpdate struct {
	ID     LeadRef        `json:"id"`
	Fields map[string]any `json:"fields"`
	Params Sonet          `json:"params"`
}

// ItemUpdate is crm.item.update of a lead (e.g. file fields; idempotent).
type ItemUpdate struct {
	EntityTypeID int64          `json:"entityTypeId"`
	ID           LeadRef        `json:"id"`
	Fields       map[string]any `json:"fields"`
}

// TimelineComment adds a comment to a lead's timeline with the row's Marker
// appended. Lookup: the lead's comments holding the marker. Build it with
// Comment.
type TimelineComment struct {
	Fields CommentFields `json:"fields"`
}

// CommentFields are a timeline comment's fields.
type CommentFields struct {
	EntityID   LeadRef     `json:"ENTITY_ID"`
	EntityType string      `json:"ENTITY_TYPE,omitempty"` // "lead"
	Comment    string      `json:"COMMENT"`
	Files      [][2]string `json:"FILES,omitempty"` // [name, base64]
}

// Comment is a timeline comment on the lead.
func Comment(lead LeadRef, text string, files []bitrix.FileData) TimelineComment {
	c := TimelineComment{Fields: CommentFields{EntityID: lead, EntityType: "lead", Comment: text}}
	for _, f := range files {
		c.Fields.Files = append(c.Fields.Files, [2]string{f.Name, f.Base64})
	}
	return c
}

// TodoAdd adds a to-do with the row's Marker appended to its description.
// Result: {"id": N}. Lookup: the owner's activities holding the marker.
type TodoAdd struct {
	OwnerTypeID   int64   `json:"ownerTypeId"` // 1: lead
	OwnerID       LeadRef `json:"ownerId"`
	Deadline      string  `json:"deadline"` // RFC 3339
	Title         string  `json:"title,omitempty"`
	Description   string  `json:"description"`
	ResponsibleID int64   `json:"responsibleId,omitempty"`
}

// TodoDeadline moves a to-do whose ID is known (idempotent).
type TodoDeadline struct {
	ID          int64   `json:"id"`
	OwnerTypeID int64   `json:"ownerTypeId"`
	OwnerID     LeadRef `json:"ownerId"`
	Value       string  `json:"value"` // RFC 3339
}

// Notify sends a system notification with a TAG (its own, else "b24d:" +
// the dedupe key) and a CLIENT_ID (through a webhook a TAG needs one). A
// repeat with the same TAG replaces the earlier notification, so the
// lookup is "send again".
type Notify struct {
	UserID   int64  `json:"USER_ID"`
	Message  string `json:"MESSAGE"`
	Tag      string `json:"TAG,omitempty"`
	ClientID string `json:"CLIENT_ID,omitempty"`
}

// WorkflowStart starts a business process template on a lead. The lookup
// finds a running instance of the template on the lead; a workflow that
// already finished is not listed by the portal and would be started again.
type WorkflowStart struct {
	TemplateID int64   `json:"TEMPLATE_ID"`
	Lead       LeadRef `json:"lead"`
}

// UnmarshalJSON also reads the shape of earlier versions, which named the
// lead in DOCUMENT_ID ["crm", "CCrmDocumentLead", "LEAD_N"].
func (w *WorkflowStart) UnmarshalJSON(b []byte) error {
	var v struct {
		TemplateID bitrix.FlexInt `json:"TEMPLATE_ID"`
		Lead       *LeadRef       `json:"lead"`
		Document   []string       `json:"DOCUMENT_ID"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	w.TemplateID = int64(v.TemplateID)
	switch {
	case v.Lead != nil:
		w.Lead = *v.Lead
	case len(v.Document) == 3:
		raw, _ := json.Marshal(v.Document[2])
		if err := w.Lead.UnmarshalJSON(raw); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s payload: no lead (DOCUMENT_ID must be [module, entity, id])", KindWorkflowStart)
	}
	return nil
}

// StatusAdd adds a dictionary entry (a ticket type in SOURCE, a lead stage
// in STATUS). Lookup: crm.status.list by ENTITY_ID + STATUS_ID.
type StatusAdd struct {
	Fields StatusFields `json:"fields"`
}

// StatusFields are a dictionary entry's fields.
type StatusFields struct {
	EntityID  string `json:"ENTITY_ID"`
	StatusID  string `json:"STATUS_ID"`
	Name      string `json:"NAME"`
	Sort      int    `json:"SORT,omitempty"`
	Color     string `json:"COLOR,omitempty"`
	Semantics string `json:"SEMANTICS,omitempty"`
}

// UserFieldAdd adds a lead user field (its definition as
// crm.lead.userfield.add takes it). Lookup: by FIELD_NAME.
type UserFieldAdd struct {
	Fields map[string]any `json:"fields"`
}

// Kind names of the typed writes.
func (LeadAdd) Kind() string         { return KindLeadAdd }
func (LeadUpdate) Kind() string      { return KindLeadUpdate }
func (ItemUpdate) Kind() string      { return KindItemUpdate }
func (TimelineComment) Kind() string { return KindTimelineComment }
func (TodoAdd) Kind() string         { return KindTodoAdd }
func (TodoDeadline) Kind() string    { return KindTodoDeadline }
func (Notify) Kind() string          { return KindNotify }
func (WorkflowStart) Kind() string   { return KindWorkflowStart }
func (StatusAdd) Kind() string       { return KindStatusAdd }
func (UserFieldAdd) Kind() string    { return KindUserFieldAdd }

// decode reads a row's typed payload.
func decode[T any](row Row) (T, error) {
	var v T
	if err := json.Unmarshal(row.Payload, &v); err != nil {
		return v, fmt.Errorf("%s payload is unreadable: %w", row.Kind, err)
	}
	return v, nil
}

// command is a CommandKind over the payload type T.
type command[T any] struct {
	lane   string // "": a core write
	build  func(row Row, p T) (bitrix.BatchCmd, error)
	result func(raw json.RawMessage) (json.RawMessage, error)
	lookup func(row Row, v T) Lookup // nil: idempotent, sent again
}

func (k command[T]) Command(_ context.Context, row Row) (bitrix.BatchCmd, error) {
	v, err := decode[T](row)
	if err != nil {
		return bitrix.BatchCmd{}, err
	}
	return k.build(row, v)
}

func (k command[T]) Lane() string { return k.lane }

func (k command[T]) Result(raw json.RawMessage) (json.RawMessage, error) {
	if k.result == nil {
		return raw, nil
	}
	return k.result(raw)
}

func (k command[T]) Do(ctx context.Context, p Portal, row Row) (json.RawMessage, error) {
	return Send(ctx, p, k, row)
}

func (k command[T]) Lookup(ctx context.Context, p Portal, row Row) (json.RawMessage, bool, error) {
	l, ok, err := k.LookupOf(ctx, row)
	if err != nil || !ok {
		return nil, false, err
	}
	return l.Run(ctx, p)
}

func (k command[T]) LookupOf(_ context.Context, row Row) (Lookup, bool, error) {
	if k.lookup == nil {
		return Lookup{}, false, nil
	}
	v, err := decode[T](row)
	if err != nil {
		return Lookup{}, false, err
	}
	return k.lookup(row, v), true, nil
}

// Send sends a CommandKind's row alone: the Do of a command kind.
func Send(ctx context.Context, p Portal, k CommandKind, row Row) (json.RawMessage, error) {
	cmd, err := k.Command(ctx, row)
	if err != nil {
		return nil, err
	}
	resp, err := p.Call(ctx, cmd.Method, cmd.Params)
	if err != nil {
		return nil, err
	}
	return k.Result(resp.Result)
}

func builtinKinds() map[string]Kind {
	return map[string]Kind{
		KindLeadAdd: command[LeadAdd]{build: func(row Row, v LeadAdd) (bitrix.BatchCmd, error) {
			fields, _ := leadAddFields(row, v)
			return bitrix.LeadAddCommand(fields, v.Params.on()), nil
		}, result: leadAddResult, lookup: leadAddLookup},
		KindLeadUpdate: command[LeadUpdate]{build: func(_ Row, v LeadUpdate) (bitrix.BatchCmd, error) {
			return bitrix.LeadUpdateCommand(v.ID.ID(), v.Fields, v.Params.on()), nil
		}},
		KindItemUpdate: command[ItemUpdate]{build: func(_ Row, v ItemUpdate) (bitrix.BatchCmd, error) {
			return bitrix.ItemUpdateCommand(v.EntityTypeID, v.ID.ID(), v.Fields), nil
		}},
		KindTimelineComment: command[TimelineComment]{lane: "comment", build: func(row Row, v TimelineComment) (bitrix.BatchCmd, error) {
			files := make([]bitrix.FileData, 0, len(v.Fields.Files))
			for _, f := range v.Fields.Files {
				files = append(files, bitrix.FileData{Name: f[0], Base64: f[1]})
			}
			return bitrix.TimelineCommentAddCommand(v.Fields.EntityID.ID(), withMarker(v.Fields.Comment, row), files), nil
		}, lookup: commentLookup},
		KindTodoAdd: command[TodoAdd]{lane: "todo", build: func(row Row, v TodoAdd) (bitrix.BatchCmd, error) {
			deadline, err := time.Parse(time.RFC3339, v.Deadline)
			if err != nil {
				return bitrix.BatchCmd{}, fmt.Errorf("%s payload: deadline %q is not RFC 3339", KindTodoAdd, v.Deadline)
			}
			t := bitrix.Todo{OwnerTypeID: ownerType(v.OwnerTypeID), Deadline: deadline, Title: v.Title,
				Description: withMarker(v.Description, row), ResponsibleID: v.ResponsibleID}
			return bitrix.TodoAddCommand(t, v.OwnerID.ID()), nil
		}, lookup: todoLookup},
		KindTodoDeadline: command[TodoDeadline]{lane: "todo", build: func(_ Row, v TodoDeadline) (bitrix.BatchCmd, error) {
			deadline, err := time.Parse(time.RFC3339, v.Value)
			if err != nil {
				return bitrix.BatchCmd{}, fmt.Errorf("%s payload: value %q is not RFC 3339", KindTodoDeadline, v.Value)
			}
			return bitrix.TodoUpdateDeadlineCommand(v.ID, ownerType(v.OwnerTypeID), v.OwnerID.ID().N, deadline), nil
		}},
		KindNotify: command[Notify]{lane: "notify", build: func(row Row, v Notify) (bitrix.BatchCmd, error) {
			n := bitrix.Notification{UserID: v.UserID, Message: v.Message, Tag: v.Tag, ClientID: v.ClientID}
			if n.Tag == "" {
				n.Tag = "b24d:" + row.DedupeKey
			}
			if n.ClientID == "" {
				n.ClientID = OriginatorID
			}
			return bitrix.NotifySystemCommand(n), nil
		}},
		KindWorkflowStart: command[WorkflowStart]{lane: "workflow", build: func(_ Row, v WorkflowStart) (bitrix.BatchCmd, error) {
			return bitrix.WorkflowStartCommand(v.TemplateID, bitrix.LeadDocument(v.Lead.ID()), nil), nil
		}, lookup: workflowLookup},
		KindStatusAdd: command[StatusAdd]{build: func(_ Row, v StatusAdd) (bitrix.BatchCmd, error) {
			f := v.Fields
			fields := map[string]any{"ENTITY_ID": f.EntityID, "STATUS_ID": f.StatusID, "NAME": f.Name}
			if f.Sort != 0 {
				fields["SORT"] = f.Sort
			}
			if f.Color != "" {
				fields["COLOR"] = f.Color
			}
			if f.Semantics != "" {
				fields["SEMANTICS"] = f.Semantics
			}
			return bitrix.StatusAddCommand(fields), nil
		}, lookup: statusLookup},
		KindUserFieldAdd: command[UserFieldAdd]{build: func(_ Row, v UserFieldAdd) (bitrix.BatchCmd, error) {
			return bitrix.LeadUserFieldAddCommand(v.Fields), nil
		}, lookup: userFieldLookup},
	}
}

func ownerType(t int64) int64 {
	if t == 0 {
		return 1 // lead
	}
	return t
}

// withMarker adds the row's marker on its own line, unless it is there.
func withMarker(text string, row Row) string {
	m := Marker(row.DedupeKey)
	if strings.Contains(text, m) {
		return text
	}
	if text != "" {
		text += "\n"
	}
	return text + m
}

// leadAddFields are the fields sent: the payload's with ORIGINATOR_ID and
// ORIGIN_ID set; origin is the ORIGIN_ID.
func leadAddFields(row Row, v LeadAdd) (fields map[string]any, origin string) {
	fields = maps.Clone(v.Fields)
	if fields == nil {
		fields = map[string]any{}
	}
	origin = v.Origin
	if origin == "" {
		origin, _ = fields["ORIGIN_ID"].(string)
	}
	if origin == "" {
		origin = row.DedupeKey
	}
	fields["ORIGINATOR_ID"] = OriginatorID
	fields["ORIGIN_ID"] = origin
	return fields, origin
}

func leadAddResult(raw json.RawMessage) (json.RawMessage, error) {
	id, err := LeadIDFromResult(raw)
	if err != nil {
		// The lead may exist: let the lookup decide.
		return nil, fmt.Errorf("lead add: %w: %v", bitrix.ErrOutcomeUnknown, err)
	}
	return json.RawMessage(strconv.FormatInt(id, 10)), nil
}

func leadAddLookup(row Row, v LeadAdd) Lookup {
	_, origin := leadAddFields(row, v)
	cmd := bitrix.LeadListCommand(bitrix.ListOptions{
		Filter: map[string]any{"ORIGINATOR_ID": OriginatorID, "ORIGIN_ID": origin},
		Select: []string{"ID"}, Order: map[string]string{"ID": "ASC"}})
	return Lookup{cmd: cmd, pages: 1, match: func(listRow) bool { return true }, found: func(r listRow) (json.RawMessage, error) {
		id, err := LeadIDFromResult(json.RawMessage(r.str("ID")))
		if err != nil {
			return nil, fmt.Errorf("lead lookup: %w", err)
		}
		return json.RawMessage(strconv.FormatInt(id, 10)), nil
	}}
}

func commentLookup(row Row, v TimelineComment) Lookup {
	entityType := v.Fields.EntityType
	if entityType == "" {
		entityType = "lead"
	}
	cmd := bitrix.TimelineCommentListCommand(bitrix.ListOptions{
		Filter: map[string]any{"ENTITY_ID": v.Fields.EntityID.ID().String(), "ENTITY_TYPE": entityType},
		Select: []string{"ID", "COMMENT"}, Order: map[string]string{"ID": "DESC"}})
	marker := Marker(row.DedupeKey)
	return Lookup{cmd: cmd, pages: 20, match: func(r listRow) bool { return strings.Contains(r.str("COMMENT"), marker) },
		found: field("ID")}
}

// field is a lookup's result: the found row's field as it is (an ID).
func field(name string) func(listRow) (json.RawMessage, error) {
	return func(r listRow) (json.RawMessage, error) { return json.RawMessage(r.str(name)), nil }
}

func todoLookup(row Row, v TodoAdd) Lookup {
	return TodoLookup(ownerType(v.OwnerTypeID), v.OwnerID.ID().String(), Marker(row.DedupeKey))
}

// TodoLookup looks for the owner's to-do whose description carries marker
// (newest first, up to 20 pages) and finds it as crm.activity.todo.add
// answers: {"id": N}.
func TodoLookup(ownerTypeID int64, ownerID, marker string) Lookup {
	cmd := bitrix.ActivityListCommand(bitrix.ListOptions{
		Filter: map[string]any{"OWNER_ID": ownerID, "OWNER_TYPE_ID": strconv.FormatInt(ownerTypeID, 10)},
		Select: []string{"ID", "DESCRIPTION"}, Order: map[string]string{"ID": "DESC"}})
	return Lookup{cmd: cmd, pages: 20, match: func(r listRow) bool { return strings.Contains(r.str("DESCRIPTION"), marker) },
		found: func(r listRow) (json.RawMessage, error) {
			return json.RawMessage(`{"id":` + strconv.Quote(r.str("ID")) + `}`), nil
		}}
}

func workflowLookup(_ Row, v WorkflowStart) Lookup {
	template := strconv.FormatInt(v.TemplateID, 10)
	lead := v.Lead.ID().String()
	cmd := bitrix.WorkflowInstancesCommand(bitrix.ListOptions{
		Select: []string{"ID", "TEMPLATE_ID", "DOCUMENT_ID"}, Filter: map[string]any{"TEMPLATE_ID": template}})
	return Lookup{cmd: cmd, pages: 20, match: func(r listRow) bool {
		d := r.str("DOCUMENT_ID")
		return r.str("TEMPLATE_ID") == template && (d == "LEAD_"+lead || strings.HasSuffix(d, "|LEAD_"+lead))
	}, found: func(r listRow) (json.RawMessage, error) { return json.RawMessage(strconv.Quote(r.str("ID"))), nil }}
}

func statusLookup(_ Row, v StatusAdd) Lookup {
	cmd := bitrix.StatusListCommand(bitrix.ListOptions{
		Filter: map[string]any{"ENTITY_ID": v.Fields.EntityID, "STATUS_ID": v.Fields.StatusID}})
	return Lookup{cmd: cmd, pages: 1, match: func(r listRow) bool { return r.str("STATUS_ID") == v.Fields.StatusID },
		found: field("ID")}
}

func userFieldLookup(_ Row, v UserFieldAdd) Lookup {
	name, _ := v.Fields["FIELD_NAME"].(string)
	if !strings.HasPrefix(name, "UF_CRM_") {
		name = "UF_CRM_" + name
	}
	cmd := bitrix.LeadUserFieldListCommand(bitrix.ListOptions{Filter: map[string]any{"FIELD_NAME": name}})
	return Lookup{cmd: cmd, pages: 1, match: func(r listRow) bool { return r.str("FIELD_NAME") == name }, found: field("ID")}
}

// writtenLead is the lead a done row wrote (lead.add, lead.update, a
// lead's item.update), 0 for other writes and for a lead named by the
// placeholder.
func writtenLead(row Row, result json.RawMessage) int64 {
	switch row.Kind {
	case KindLeadAdd:
		id, _ := LeadIDFromResult(result)
		return id
	case KindLeadUpdate:
		if v, err := decode[LeadUpdate](row); err == nil {
			return v.ID.ID().N
		}
	case KindItemUpdate:
		if v, err := decode[ItemUpdate](row); err == nil && v.EntityTypeID == 1 {
			return v.ID.ID().N
		}
	}
	return 0
}

// writesLead reports whether rows of the kind write a lead (its portal
// event is then b24desk's own echo).
func writesLead(kind string) bool {
	return kind == KindLeadAdd || kind == KindLeadUpdate || kind == KindItemUpdate
}

// dateModifyCommand reads the DATE_MODIFY of the lead a batch command
// wrote (id: its ID parameter, or the $result of its crm.lead.add).
func dateModifyCommand(id any) bitrix.BatchCmd {
	return bitrix.LeadListCommand(bitrix.ListOptions{Filter: map[string]any{"ID": id}, Select: []string{"ID", "DATE_MODIFY"}})
}

// dateModify reads the DATE_MODIFY of a dateModifyCommand's answer.
func dateModify(r bitrix.BatchResult) time.Time {
	if r.Err != nil {
		return time.Time{}
	}
	var rows []struct {
		DateModify bitrix.FlexTime `json:"DATE_MODIFY"`
	}
	if json.Unmarshal(r.Result, &rows) != nil || len(rows) != 1 {
		return time.Time{}
	}
	return rows[0].DateModify.Time
}
