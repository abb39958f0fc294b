package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// The ticket's to-do is the portal's native overdue mark: staff may mark it
// done or delete it at any time (bitrix24-api.md §10). b24desk then treats
// it as gone: it forgets it and, whenever it next has a deadline to show
// (a moved deadline, a re-route, a reopened ticket), adds a new one. The
// SLA itself is measured by stages and answers, never by the to-do.

// KindTodoDeadline is the outbox kind that moves a ticket's to-do to a new
// deadline with crm.activity.todo.updateDeadline, or adds a new to-do when
// the ticket has none (never added, or gone: completed or deleted by
// staff, or completed by b24desk when the ticket closed). Its payload names
// the lead, not the to-do: the to-do's ID is known only once its add went
// through (a row earlier in the same group, so it has always run first).
// Payload: {"lead": N, "deadline": "...", "responsible": N}.
const KindTodoDeadline = "sla.todo.deadline"

// KindTodoResponsible is the outbox kind that gives a ticket's to-do to its
// new assignee with crm.activity.todo.updateResponsibleUser (a re-route);
// a gone to-do is added again for the new assignee. Payload as
// KindTodoDeadline.
const KindTodoResponsible = "sla.todo.responsible"

// KindTodoUpdate is the outbox kind that completes a ticket's to-do with
// crm.activity.update {id, fields: {COMPLETED: "Y"}} (deprecated in favour
// of crm.activity.todo.*, but the method that completes an activity) when
// the ticket closes. A to-do already gone is left so. Idempotent: after an
// unknown outcome it is sent again. Payload: {"lead": N, "fields": {...}}.
// Rows with COMPLETED "N" (queued by older versions to reopen a to-do) add
// a new to-do instead: crm.activity.update does not set DEADLINE.
const KindTodoUpdate = "sla.todo.update"

// todoAdd is the todo.add write of a ticket's to-do (responsible 0: the
// portal's default, the webhook's user).
func todoAdd(lead int64, deadline string, responsible int64) outbox.TodoAdd {
	id := strconv.FormatInt(lead, 10)
	return outbox.TodoAdd{OwnerTypeID: 1, OwnerID: outbox.LeadOf(lead), Deadline: deadline,
		Title:       "SLA: ответить по обращению #" + id,
		Description: "Срок SLA по обращению #" + id + " (b24desk)", ResponsibleID: responsible}
}

// rememberTodo records the ID of a ticket's to-do when its todo.add is done.
func rememberTodo(ctx context.Context, tx *store.Tx, row outbox.Row, result json.RawMessage) error {
	lead, ok := outbox.TodoLead(row.DedupeKey)
	if !ok {
		return nil
	}
	id, err := todoID(result)
	if err != nil {
		return nil // an unreadable answer: the deadline kind falls back to the row
	}
	return tx.PutTicketTodo(ctx, lead, id)
}

// rememberResult records the to-do a KindTodoDeadline, KindTodoResponsible
// or KindTodoUpdate row left the ticket with: its result {"id": N}, with 0
// for none (a completed or gone to-do).
func rememberResult(ctx context.Context, tx *store.Tx, row outbox.Row, result json.RawMessage) error {
	var pl todoPayload
	if json.Unmarshal(row.Payload, &pl) != nil || pl.Lead <= 0 {
		return nil
	}
	id, err := todoID(result)
	if err != nil {
		id = 0
	}
	return tx.PutTicketTodo(ctx, pl.Lead, id)
}

func todoID(result json.RawMessage) (int64, error) {
	var r struct {
		ID bitrix.FlexInt `json:"id"`
	}
	if err := json.Unmarshal(result, &r); err != nil || r.ID <= 0 {
		return 0, fmt.Errorf("no to-do ID in %.40q", string(result))
	}
	return int64(r.ID), nil
}

func idResult(id int64) json.RawMessage {
	return json.RawMessage(`{"id":` + strconv.FormatInt(id, 10) + `}`)
}

// todoGone reports whether a crm.activity.* answer says the to-do can no
// longer be changed: deleted (NOT_FOUND) or completed by staff
// (api-reference/crm/timeline/activities/todo/crm-activity-todo-update-deadline.md,
// crm-activity-todo-update-responsible-user.md).
func todoGone(err error) bool {
	var ae *bitrix.APIError
	if errors.As(err, &ae) {
		switch strings.ToUpper(ae.Code) {
		case "CAN_NOT_UPDATE_COMPLETED_TODO", "CAN_NOT_UPDATE_RESPONSIBLE_USER_COMPLETED_TODO":
			return true
		}
	}
	return errors.Is(err, bitrix.ErrNotFound)
}

// todoPayload is the payload of the to-do kinds.
type todoPayload struct {
	Lead        int64             `json:"lead"`
	Deadline    string            `json:"deadline,omitempty"`
	Responsible int64             `json:"responsible,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"`
}

// todoWrite changes the ticket's to-do with method (updateDeadline or
// updateResponsibleUser), adding a new to-do when there is none or the
// portal says it is gone. Idempotent: after an unknown outcome the lookup
// finds a to-do the row added, else the row is sent again.
type todoWrite struct {
	st          *store.Store
	kind        string
	responsible bool // updateResponsibleUser, else updateDeadline
}

// Lane puts the to-do writes in the ticket's "todo" lane: side writes
// that never hold back the lead's own.
func (todoWrite) Lane() string { return "todo" }

// Lane: see todoWrite.
func (todoUpdate) Lane() string { return "todo" }

func (k todoWrite) payload(row outbox.Row) (todoPayload, error) {
	var pl todoPayload
	if err := json.Unmarshal(row.Payload, &pl); err != nil || pl.Lead <= 0 || pl.Deadline == "" {
		return pl, fmt.Errorf("%s payload must name the lead and the deadline", k.kind)
	}
	return pl, nil
}

func (k todoWrite) Do(ctx context.Context, p outbox.Portal, row outbox.Row) (json.RawMessage, error) {
	pl, err := k.payload(row)
	if err != nil {
		return nil, err
	}
	id, err := currentTodo(ctx, k.st, pl.Lead)
	if err != nil {
		return nil, err
	}
	if id > 0 {
		var cmd bitrix.BatchCmd
		if k.responsible {
			if pl.Responsible <= 0 {
				return idResult(id), nil
			}
			cmd = bitrix.TodoUpdateResponsibleCommand(id, 1, pl.Lead, pl.Responsible)
		} else {
			deadline, err := time.Parse(time.RFC3339, pl.Deadline)
			if err != nil {
				return nil, fmt.Errorf("%s payload: deadline %q is not RFC 3339", k.kind, pl.Deadline)
			}
			cmd = bitrix.TodoUpdateDeadlineCommand(id, 1, pl.Lead, deadline)
		}
		resp, err := p.Call(ctx, cmd.Method, cmd.Params)
		if err == nil {
			return resp.Result, nil
		}
		if !todoGone(err) {
			return nil, err
		}
	}
	return addTodo(ctx, p, row, pl)
}

// addTodo adds a new to-do for the row (its Marker in the description) and
// returns {"id": N}; a lead that is gone itself gets none ({"id": 0}).
func addTodo(ctx context.Context, p outbox.Portal, row outbox.Row, pl todoPayload) (json.RawMessage, error) {
	t := todoAdd(pl.Lead, pl.Deadline, pl.Responsible)
	deadline, err := time.Parse(time.RFC3339, t.Deadline)
	if err != nil {
		return nil, fmt.Errorf("to-do of lead %d: deadline %q is not RFC 3339", pl.Lead, t.Deadline)
	}
	cmd := bitrix.TodoAddCommand(bitrix.Todo{OwnerTypeID: 1, Deadline: deadline, Title: t.Title,
		Description: t.Description + "\n" + outbox.Marker(row.DedupeKey), ResponsibleID: t.ResponsibleID},
		bitrix.KnownID(pl.Lead))
	resp, err := p.Call(ctx, cmd.Method, cmd.Params)
	if errors.Is(err, bitrix.ErrNotFound) {
		return idResult(0), nil // the lead was deleted: nothing to show
	}
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (k todoWrite) Lookup(ctx context.Context, p outbox.Portal, row outbox.Row) (json.RawMessage, bool, error) {
	l, _, err := k.LookupOf(ctx, row)
	if err != nil {
		return nil, false, err
	}
	return l.Run(ctx, p)
}

// LookupOf is Lookup as one command: the worker batches it with others.
func (k todoWrite) LookupOf(_ context.Context, row outbox.Row) (outbox.Lookup, bool, error) {
	pl, err := k.payload(row)
	if err != nil {
		return outbox.Lookup{}, false, err
	}
	return outbox.TodoLookup(1, strconv.FormatInt(pl.Lead, 10), outbox.Marker(row.DedupeKey)), true, nil
}

// todoUpdate completes the ticket's to-do with crm.activity.update.
type todoUpdate struct{ st *store.Store }

func (k todoUpdate) Do(ctx context.Context, p outbox.Portal, row outbox.Row) (json.RawMessage, error) {
	var pl todoPayload
	if err := json.Unmarshal(row.Payload, &pl); err != nil || pl.Lead <= 0 || len(pl.Fields) == 0 {
		return nil, fmt.Errorf("%s payload must name the lead and the fields", KindTodoUpdate)
	}
	if pl.Fields["COMPLETED"] == "N" && pl.Fields["DEADLINE"] != "" {
		pl.Deadline = pl.Fields["DEADLINE"]
		return addTodo(ctx, p, row, pl)
	}
	id, err := currentTodo(ctx, k.st, pl.Lead)
	if err != nil || id == 0 {
		return idResult(0), err
	}
	done := pl.Fields["COMPLETED"] != "N"
	cmd := bitrix.ActivityUpdateCommand(id, bitrix.ActivityFields{Completed: &done})
	_, err = p.Call(ctx, cmd.Method, cmd.Params)
	if err != nil && !todoGone(err) {
		return nil, err
	}
	return idResult(0), nil // completed (or gone): no to-do left to change
}

func (todoUpdate) Lookup(context.Context, outbox.Portal, outbox.Row) (json.RawMessage, bool, error) {
	return nil, false, nil
}

// currentTodo finds the ticket's to-do ID: the recorded one (kept beyond
// the outbox history's retention), else the done todo.add row; 0 when it
// has none b24desk may change.
func currentTodo(ctx context.Context, st *store.Store, lead int64) (int64, error) {
	id, found, err := st.TicketTodo(ctx, lead)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", bitrix.ErrTransient, err)
	}
	if found {
		return id, nil
	}
	row, err := st.OutboxRowByKey(ctx, outbox.TodoKey(lead))
	if errors.Is(err, store.ErrNotFound) || (err == nil && row.State == store.OutboxDropped) {
		return 0, nil
	}
	if err != nil || row.State != store.OutboxDone {
		// Not added yet: try again later.
		return 0, fmt.Errorf("%w: to-do of lead %d not added yet", bitrix.ErrTransient, lead)
	}
	if id, err = todoID(row.Result); err != nil {
		return 0, nil
	}
	return id, nil
}
