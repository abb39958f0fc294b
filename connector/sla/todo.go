package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// KindTodoDeadline is the outbox kind that moves a ticket's to-do to a new
// deadline. Its payload names the lead, not the to-do: the to-do's ID is
// known only once its todo.add went through (a row earlier in the same
// group, so it has always run first). Payload: {"lead": N, "deadline": "..."}.
const KindTodoDeadline = "sla.todo.deadline"

// KindTodoUpdate is the outbox kind that changes a ticket's to-do with
// crm.activity.update {id, fields} (documented as deprecated in favour of
// crm.activity.todo.*, but the method that completes an activity):
// COMPLETED "Y" when the ticket closes, "N" with a new DEADLINE when it is
// reopened. Idempotent: after an unknown outcome it is sent again. Like
// KindTodoDeadline its payload names the lead: {"lead": N, "fields": {...}}.
const KindTodoUpdate = "sla.todo.update"

// todoIDKeyPrefix names the state setting holding a ticket's to-do ID
// (kept beyond the outbox history's retention).
const todoIDKeyPrefix = "sla.todo:"

// TodoKey is the dedupe key of a ticket's one to-do.
func TodoKey(leadID int64) string { return "todo:" + strconv.FormatInt(leadID, 10) }

// rememberTodo records the ID of a ticket's to-do when its todo.add is done.
func rememberTodo(ctx context.Context, tx *store.Tx, row outbox.Row, result json.RawMessage) error {
	lead, ok := strings.CutPrefix(row.DedupeKey, "todo:")
	if !ok {
		return nil
	}
	id, err := todoID(result)
	if err != nil {
		return nil // an unreadable answer: the deadline kind falls back to the row
	}
	return tx.PutSetting(ctx, todoIDKeyPrefix+lead, strconv.FormatInt(id, 10))
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

// todoDeadline sends crm.activity.todo.updateDeadline for the ticket's
// to-do (idempotent: after an unknown outcome it is sent again).
type todoDeadline struct{ st *store.Store }

func (k todoDeadline) Do(ctx context.Context, p outbox.Portal, row outbox.Row) (json.RawMessage, error) {
	var pl struct {
		Lead     int64  `json:"lead"`
		Deadline string `json:"deadline"`
	}
	if err := json.Unmarshal(row.Payload, &pl); err != nil || pl.Lead <= 0 {
		return nil, fmt.Errorf("%s payload must name the lead", KindTodoDeadline)
	}
	id, err := k.todo(ctx, pl.Lead)
	if err != nil {
		return nil, err
	}
	resp, err := p.Call(ctx, "crm.activity.todo.updateDeadline", map[string]any{
		"id": id, "ownerTypeId": 1, "ownerId": pl.Lead, "value": pl.Deadline})
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

// todoUpdate sends crm.activity.update for the ticket's to-do.
type todoUpdate struct{ st *store.Store }

func (k todoUpdate) Do(ctx context.Context, p outbox.Portal, row outbox.Row) (json.RawMessage, error) {
	var pl struct {
		Lead   int64             `json:"lead"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal(row.Payload, &pl); err != nil || pl.Lead <= 0 || len(pl.Fields) == 0 {
		return nil, fmt.Errorf("%s payload must name the lead and the fields", KindTodoUpdate)
	}
	id, err := todoDeadline(k).todo(ctx, pl.Lead)
	if err != nil {
		return nil, err
	}
	resp, err := p.Call(ctx, "crm.activity.update", map[string]any{"id": id, "fields": pl.Fields})
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (todoUpdate) Lookup(context.Context, outbox.Portal, outbox.Row) (json.RawMessage, bool, error) {
	return nil, false, nil
}

func (todoDeadline) Lookup(context.Context, outbox.Portal, outbox.Row) (json.RawMessage, bool, error) {
	return nil, false, nil
}

// todo finds the to-do ID: the recorded one, else the done todo.add row.
func (k todoDeadline) todo(ctx context.Context, lead int64) (int64, error) {
	v, found, err := k.st.Setting(ctx, todoIDKeyPrefix+strconv.FormatInt(lead, 10))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", bitrix.ErrTransient, err)
	}
	if found {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			return id, nil
		}
	}
	row, err := k.st.OutboxRowByKey(ctx, TodoKey(lead))
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("%s: lead %d has no to-do", KindTodoDeadline, lead)
	}
	if err != nil || row.State != store.OutboxDone {
		// Not added yet: try again later.
		return 0, fmt.Errorf("%w: to-do of lead %d not added yet", bitrix.ErrTransient, lead)
	}
	return todoID(row.Result)
}
