package ticket

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/rules"
)

// Opening is the plan of writes that opening a ticket from a mail needs:
// the lead to add (its ORIGINATOR_ID and ORIGIN_ID are set by the outbox's
// lead.add kind from the mail's Origin) and the type's business process to
// start on the new lead. The ticket engine queues both in the lead's group
// and keeps the ticket drafted until the lead exists.
type Opening struct {
	// Lead are the new lead's fields as sent (enumerations by item ID).
	Lead map[string]any
	// Feed: the lead.add registers a live-feed event (not for junk).
	Feed bool
	// Workflow is the type's template to start on the new lead (0: none;
	// the engine skips a template the portal starts by itself).
	Workflow int
}

// Open decides what a customer's mail opens at now, given the rules'
// decision for it (rules.Decide of m.Input(), created at now) and the
// portal's enumeration item IDs (enums; nil: none known): the ticket,
// drafted until its lead exists (no LeadID yet), and the opening plan.
// The lead shows the mail (title, name, e-mail, comments, files), its
// type as SOURCE_ID, the rules' fields, the routed assignee, the priority
// and SLA state by item ID and the first-response deadline; the ticket's
// LastWritten records what the lead.add writes that the SLA clock writes
// too, so that its first update of the ticket writes nothing again.
//
// A junk mail (m.Junk) opens a closed ticket in the rules' junk stage:
// its decision's assignee and SLA schedule are ignored (no assignee for
// the portal to notify, no SLA), no workflow, no live-feed event.
func Open(r *rules.Rules, m Mail, d rules.Decision, enums *schema.Map, now time.Time) (Ticket, Opening) {
	status := newStage(r)
	if m.Junk {
		d.Route, d.Schedule, d.Policy = rules.Assignment{}, rules.Schedule{}, nil
		status = JunkStage(r)
	}
	t := decided(d, now)
	t.OriginID, t.Status, t.Requester, t.SLAState = m.Origin, status, strings.ToLower(m.From), schema.StateOK
	fields := map[string]any{
		"TITLE":              m.Title,
		"NAME":               m.FirstName,
		"SOURCE_ID":          d.Type,
		"SOURCE_DESCRIPTION": m.Description,
		"STATUS_ID":          status,
		schema.FieldTier:     d.Tier,
		"COMMENTS":           m.Comments,
	}
	if m.LastName != "" {
		fields["LAST_NAME"] = m.LastName
	}
	if m.From != "" {
		fields["EMAIL"] = []map[string]string{{"VALUE": m.From, "VALUE_TYPE": "WORK"}}
	}
	for k, v := range d.Fields {
		fields[k] = v
	}
	if d.Route.User > 0 {
		fields["ASSIGNED_BY_ID"] = d.Route.User
	}
	if id, ok := EnumID(enums, schema.FieldPriority, d.Priority); ok {
		fields[schema.FieldPriority] = id
	}
	if id, ok := EnumID(enums, schema.FieldSLAState, schema.StateOK); ok && !m.Junk {
		fields[schema.FieldSLAState] = id
	}
	if m.SpamScore != nil {
		fields[schema.FieldSpamScore] = *m.SpamScore
	}
	for _, ts := range d.Schedule.Targets {
		switch ts.Target {
		case rules.FirstResponse:
			t.FirstResponseDue = ts.Due
		case rules.Resolution:
			t.ResolutionDue = ts.Due
		}
	}
	if !t.FirstResponseDue.IsZero() {
		fields[schema.FieldSLADue] = t.FirstResponseDue.Format(time.RFC3339)
	}
	if len(m.Files) > 0 {
		fields[schema.FieldFiles] = fileFields(m.Files)
	}
	t.NextDueAt, _ = d.Schedule.Next(nil, now)
	t.LastWritten, _ = json.Marshal(map[string]any{"STATUS_ID": status, "SOURCE_ID": d.Type,
		"ASSIGNED_BY_ID": fields["ASSIGNED_BY_ID"], schema.FieldSLADue: fields[schema.FieldSLADue],
		schema.FieldSLAState: fields[schema.FieldSLAState]})
	p := Opening{Lead: fields, Feed: !m.Junk}
	if m.Junk {
		t.ClosedAt, t.SLAState = now, ""
	} else {
		p.Workflow = TypeWorkflow(r, d.Type)
	}
	return t, p
}

// TakeIn decides what a lead the portal made becomes as a ticket, given
// the rules' decision (d, its Type the ticket's type; created: the
// ticket's creation) for the input in read from the lead, and the portal's
// enumeration item IDs (enums; nil: none known): the ticket and the plan
// of writes on the lead. The lead keeps its own stage and, unless the
// decision routed it to someone, its assignee; the plan writes the routed
// assignee, the decided priority and tier the lead lacks and starts the
// type's workflow. An adopted lead (one of the rules' intake sources) has
// its type written as SOURCE_ID and its channel kept in FieldChannel, and
// its ticket's origin is AdoptedOrigin. The stage the lead is in is the
// caller's to enter (EnterStage), with the ticket's timeline.
func TakeIn(r *rules.Rules, lead *bitrix.Lead, in rules.Input, d rules.Decision, enums *schema.Map, adopted bool, created time.Time) (Ticket, Plan) {
	t := decided(d, created)
	t.LeadID = lead.ID
	if t.Assignee == 0 {
		t.Assignee = lead.AssignedByID
	}
	t.LastWritten = Written{"SOURCE_ID": lead.SourceID, "STATUS_ID": lead.StatusID}.Raw()
	fields := map[string]string{}
	if adopted {
		t.OriginID = AdoptedOrigin(lead.ID)
		fields["SOURCE_ID"] = d.Type
		fields[schema.FieldChannel] = lead.SourceID
	}
	if d.Route.User > 0 {
		fields["ASSIGNED_BY_ID"] = strconv.Itoa(d.Route.User)
	}
	if in.Ticket.Priority == "" {
		if id, ok := EnumID(enums, schema.FieldPriority, d.Priority); ok {
			fields[schema.FieldPriority] = id
		}
	}
	if lead.Fields[schema.FieldTier] == nil && d.Tier != "" {
		fields[schema.FieldTier] = d.Tier
	}
	return t, Plan{Fields: fields, Why: "intake", Workflow: TypeWorkflow(r, d.Type), WorkflowWhy: "created"}
}

// decided is a new ticket as its decision made it, created at created:
// its type, tier, priority, SLA policy and, when the decision routed it
// to someone, its assignee.
func decided(d rules.Decision, created time.Time) Ticket {
	t := Ticket{Type: d.Type, Tier: d.Tier, Priority: d.Priority, CreatedAt: created}
	if d.Policy != nil {
		t.Policy = d.Policy.Name
	}
	if d.Route.User > 0 {
		t.Assignee = int64(d.Route.User)
	}
	return t
}

// AdoptedOrigin is the origin key of a ticket adopted from an intake
// source's lead (a mail's ticket has the mail's ORIGIN_ID): its
// classification inputs are kept under it for `rules replay`. No mail's
// ORIGIN_ID looks like it.
func AdoptedOrigin(lead int64) string { return "lead:" + strconv.FormatInt(lead, 10) }

// TypeWorkflow is the workflow template of a ticket type (0: none).
func TypeWorkflow(r *rules.Rules, typ string) int {
	if t, ok := r.TypeByCode(typ); ok {
		return t.WorkflowTemplate
	}
	return 0
}

// JunkStage is the stage spam tickets are created in.
func JunkStage(r *rules.Rules) string {
	if r.Spam.JunkStage != "" {
		return r.Spam.JunkStage
	}
	return rules.DefaultJunkStage
}

// newStage is the stage a mail's ticket is created in: the rules' first
// `new` stage, else NEW.
func newStage(r *rules.Rules) string {
	if len(r.Statuses.New) > 0 {
		return r.Statuses.New[0]
	}
	return "NEW"
}

// EnumID is the item ID of an enumeration field's value, to write the
// field; false when the value is empty or enums (nil: none known) has no
// item for it.
func EnumID(enums *schema.Map, field, value string) (string, bool) {
	if enums == nil || value == "" {
		return "", false
	}
	return enums.EnumID(field, value)
}

// fileFields renders files for a file user field.
func fileFields(files []bitrix.FileData) []map[string][2]string {
	out := make([]map[string][2]string, 0, len(files))
	for _, f := range files {
		out = append(out, map[string][2]string{"fileData": {f.Name, f.Base64}})
	}
	return out
}
