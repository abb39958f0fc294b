package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// draft is what the lead.add hook needs to record the new ticket (kept
// in the state until then).
type draft = store.MailDraft

// newTicket decides type, priority, tier, assignee and SLA with the rules
// and queues the lead.add (and the type's workflow) in the lead's group.
// Spam (the filter's verdict v, or an upstream X-Spam-Flag with spam:
// junk) is created in the junk stage, closed: not routed, no SLA, no
// workflow, no live-feed event (and outbound sends no acknowledgement).
func (i *Intake) newTicket(ctx context.Context, tx *store.Tx, msg *mimeparse.Message, origin string,
	related int64, oversize bool, row store.Message, v verdict, now time.Time) (outcome, error) {
	key := outbox.MailLeadKey(origin)
	if _, err := tx.OutboxRowByKey(ctx, key); err == nil {
		// The same mail came in another mailbox (or again): one ticket.
		return outcome{state: store.MessageTicketed, result: ResultDuplicate, wait: wait{Outbox: key, Quarantine: oversize}}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return outcome{}, err
	}
	if t, err := tx.TicketByOrigin(ctx, origin); err == nil {
		return outcome{state: store.MessageTicketed, result: ResultDuplicate, wait: wait{Lead: t.LeadID, Quarantine: oversize}}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return outcome{}, err
	}
	r := i.opts.Rules()
	if r == nil {
		return outcome{}, errors.New("no rules loaded")
	}
	st, err := sla.RouteState(ctx, tx, r)
	if err != nil {
		return outcome{}, err
	}
	if i.opts.Departments != nil {
		st.Departments = i.opts.Departments()
	}
	in := i.input(msg)
	d := r.Decide(in, st, now)
	if err := keepForReplay(ctx, tx, r, origin, in, now); err != nil {
		return outcome{}, err
	}
	junk := msg.Spam || v.spam
	if junk {
		d = junkDecision(d)
	} else if err := sla.SaveRouteState(ctx, tx, st, d.State); err != nil {
		return outcome{}, err
	}
	status := "NEW"
	if len(r.Statuses.New) > 0 {
		status = r.Statuses.New[0]
	}
	if junk {
		status = junkStage(r)
	}
	first, last := splitName(msg.From)
	fields := map[string]any{
		"TITLE":              mimeparse.CleanLine(mimeparse.CleanSubjectTag(msg.Subject, i.opts.Threading.TagFormat)),
		"NAME":               mimeparse.CleanLine(first),
		"SOURCE_ID":          d.Type,
		"SOURCE_DESCRIPTION": mimeparse.CleanLine(i.name + " " + msg.MessageID),
		"ORIGINATOR_ID":      outbox.OriginatorID,
		"ORIGIN_ID":          origin,
		"STATUS_ID":          status,
		schema.FieldTier:     d.Tier,
	}
	if last != "" {
		fields["LAST_NAME"] = mimeparse.CleanLine(last)
	}
	if msg.From.Addr != "" {
		fields["EMAIL"] = []map[string]string{{"VALUE": msg.From.Addr, "VALUE_TYPE": "WORK"}}
	}
	for k, v := range d.Fields {
		fields[k] = v
	}
	if d.Route.User > 0 {
		fields["ASSIGNED_BY_ID"] = d.Route.User
	}
	m := i.opts.Schema()
	enum := func(field, value string) {
		if m == nil || value == "" {
			return
		}
		if id, ok := m.EnumID(field, value); ok {
			fields[field] = id
		}
	}
	enum(schema.FieldPriority, d.Priority)
	if !junk {
		enum(schema.FieldSLAState, schema.StateOK)
	}
	if v.checked {
		fields[schema.FieldSpamScore] = v.res.Score
	}
	var firstDue, resolutionDue time.Time
	for _, t := range d.Schedule.Targets {
		switch t.Target {
		case rules.FirstResponse:
			firstDue = t.Due
		case rules.Resolution:
			resolutionDue = t.Due
		}
	}
	if !firstDue.IsZero() {
		fields[schema.FieldSLADue] = firstDue.Format(time.RFC3339)
	}
	var attachRaw []byte
	if msg.Partial || len(strings.TrimSpace(msg.Text)) > CommentsTextCap {
		attachRaw = row.Raw
	}
	files, left := i.files(msg, attachRaw)
	if len(files) > 0 {
		fields[schema.FieldFiles] = fileData(files)
	}
	fields["COMMENTS"] = comments(msg, related, oversize, left, i.opts.Mailbox.MaxSize)
	if n := v.note(); n != "" {
		fields["COMMENTS"] = fields["COMMENTS"].(string) + "\n\n" + mimeparse.EscapeBBCode(n)
	}

	group := outbox.GroupFor(origin)
	if _, _, err := i.opts.Outbox.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: key, GroupKey: group,
		Payload: outbox.LeadAdd{Fields: fields, Params: outbox.Feed(!junk)},
	}); err != nil {
		return outcome{}, err
	}
	if !junk {
		if err := i.workflow(ctx, tx, r, m, d.Type, origin, group); err != nil {
			return outcome{}, err
		}
	}
	nextDue, _ := d.Schedule.Next(nil, now)
	// What the lead.add wrote, so that the SLA clock's first update of the
	// new ticket writes nothing again (the SLA state included).
	written, _ := json.Marshal(map[string]any{"STATUS_ID": status, "SOURCE_ID": d.Type,
		"ASSIGNED_BY_ID": fields["ASSIGNED_BY_ID"], schema.FieldSLADue: fields[schema.FieldSLADue],
		schema.FieldSLAState: fields[schema.FieldSLAState]})
	dr := draft{Row: row.DedupeKey, MessageID: msg.MessageID, Ticket: store.Ticket{
		OriginID: origin, Type: d.Type, Status: status, Assignee: int64(d.Route.User), Tier: d.Tier,
		Priority: d.Priority, Policy: d.Schedule.Policy, Requester: strings.ToLower(msg.From.Addr),
		CreatedAt: now, FirstResponseDue: firstDue, ResolutionDue: resolutionDue, NextDueAt: nextDue,
		SLAState: schema.StateOK, LastWritten: written,
	}}
	result := ResultTicket
	if junk {
		dr.Ticket.ClosedAt, dr.Ticket.SLAState, result = now, "", ResultJunk
	}
	if err := tx.PutMailDraft(ctx, dr, now); err != nil {
		return outcome{}, err
	}
	if msg.MessageID != "" {
		// A reply that comes before the lead exists finds its ticket
		// through this pending entry (and waits for the lead).
		e := store.ThreadEntry{MessageID: msg.MessageID, Direction: store.DirectionIn, OriginID: origin}
		if err := tx.PutThread(ctx, e, now); err != nil {
			return outcome{}, err
		}
	}
	return outcome{state: store.MessageTicketed, result: result, ticket: d.Type,
		wait: wait{Outbox: key, Quarantine: oversize}}, nil
}

// junkDecision keeps the rules' type, priority and tier of a spam ticket
// and drops what would make work: the assignee (the portal notifies
// them), the SLA schedule and the routing state's advance.
func junkDecision(d rules.Decision) rules.Decision {
	d.Route = rules.Assignment{}
	d.Schedule = rules.Schedule{}
	d.Policy = nil
	return d
}

// workflow queues the type's business process unless setup found that the
// portal starts its template by itself (schema.Map.StartsByItself).
func (i *Intake) workflow(ctx context.Context, tx *store.Tx, r *rules.Rules, m *schema.Map, typ, origin, group string) error {
	t, ok := r.TypeByCode(typ)
	if !ok || t.WorkflowTemplate <= 0 {
		return nil
	}
	if m.StartsByItself(t.WorkflowTemplate) {
		return nil
	}
	_, _, err := i.opts.Outbox.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: "mail.workflow:" + origin, GroupKey: group,
		// The zero LeadRef: the lead this ticket's lead.add creates.
		Payload: outbox.WorkflowStart{TemplateID: int64(t.WorkflowTemplate)},
	})
	return err
}

// input converts a parsed mail into what the rules see.
func (i *Intake) input(msg *mimeparse.Message) rules.Input {
	in := rules.Input{
		Mailbox: i.name, From: strings.ToLower(msg.From.Addr), FromName: msg.From.Name,
		Subject: msg.Subject, Body: msg.Text, Headers: msg.Header, Size: int64(msg.Size),
	}
	for _, a := range msg.To {
		in.To = append(in.To, a.Addr)
	}
	for _, a := range msg.Cc {
		in.Cc = append(in.Cc, a.Addr)
	}
	for _, a := range msg.Attachments {
		in.Attachments = append(in.Attachments, rules.Attachment{Name: a.Filename, ContentType: a.ContentType, Size: int64(a.Size)})
	}
	return in
}

// CommentsTextCap is the most of a mail's text that goes into a new
// lead's COMMENTS (before escaping); a longer text is cut, with a note, and
// the original mail is attached as original.eml.
const CommentsTextCap = 64 << 10

// comments renders the lead's COMMENTS (BB codes): the customer's text
// (at most CommentsTextCap of it) escaped so that it stays text
// (mimeparse.EscapeBBCode), then notes (a related ticket, an oversize original, files left out,
// parsing problems).
func comments(msg *mimeparse.Message, related int64, oversize bool, left []string, maxSize any) string {
	var notes []string
	if related > 0 {
		notes = append(notes, fmt.Sprintf("Связано с обращением #%d / Related to ticket #%d", related, related))
	}
	if oversize {
		notes = append(notes, fmt.Sprintf("Письмо больше допустимого размера (%v): здесь заголовки и первая текстовая часть, оригинал в карантине / The mail exceeds the size cap (%v): headers and first text part only, the original is in the quarantine folder", maxSize, maxSize))
	}
	if len(left) > 0 {
		notes = append(notes, leftOutNote(left))
	}
	if msg.Partial {
		note := "Письмо разобрано не полностью, оригинал приложен (original.eml) / The mail was only partly readable; the original is attached"
		if len(msg.Problems) > 0 {
			note += ": " + strings.Join(msg.Problems[:min(len(msg.Problems), 3)], "; ")
		}
		notes = append(notes, note)
	}
	text := strings.TrimSpace(msg.Text)
	if len(text) > CommentsTextCap {
		text = strings.ToValidUTF8(text[:CommentsTextCap], "")
		notes = append(notes, fmt.Sprintf("Текст письма обрезан до %d КиБ, оригинал приложен (original.eml) / The text is cut at %d KiB; the original is attached (original.eml)", CommentsTextCap>>10, CommentsTextCap>>10))
	}
	var b strings.Builder
	b.WriteString(mimeparse.EscapeBBCode(text))
	for _, n := range notes {
		b.WriteString("\n\n" + mimeparse.EscapeBBCode(n))
	}
	return b.String()
}
