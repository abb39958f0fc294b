package sim

import (
	"time"
)

// Todo is a to-do activity on a lead (crm.activity.todo.*).
type Todo struct {
	ID            int
	LeadID        int
	Title         string
	Description   string
	Deadline      time.Time
	ResponsibleID int
	Completed     bool
	Created       time.Time
}

func (p *Portal) todoAdd(c *call) (outcome, *apiError) {
	owner, _ := c.params.num("ownerTypeId", "OWNERTYPEID")
	id, _ := c.params.num("ownerId", "OWNERID")
	if owner != 1 || p.st.leads[id] == nil {
		return outcome{}, errf(400, "NOT_FOUND", "Owner not found")
	}
	dl, ok := parseDate(c.params.str("deadline", "DEADLINE"), p.loc)
	if !ok {
		return outcome{}, errf(400, "INVALID_ARG_VALUE", "Invalid value for parameter deadline")
	}
	t := &Todo{ID: p.st.next("activity"), LeadID: id, Title: c.params.str("title"), Description: c.params.str("description"),
		Deadline: dl, ResponsibleID: c.user, Created: p.clk.Now()}
	if r, ok := c.params.num("responsibleId"); ok && r > 0 {
		t.ResponsibleID = r
	}
	p.st.todos = append(p.st.todos, t)
	return plain(map[string]any{"id": t.ID}), nil
}

// Errors of the crm.activity.todo.update* methods. Docs:
// api-reference/crm/timeline/activities/todo/crm-activity-todo-update-deadline.md
// and crm-activity-todo-update-responsible-user.md ("Possible Error Codes").
var (
	errTodoNotFound           = errf(400, "NOT_FOUND", "Not found.")
	errTodoCompleted          = errf(400, "CAN_NOT_UPDATE_COMPLETED_TODO", "Completed activity cannot be modified")
	errTodoCompletedResponsib = errf(400, "CAN_NOT_UPDATE_RESPONSIBLE_USER_COMPLETED_TODO",
		"Cannot change the responsible user in a closed activity")
)

// openTodo finds the to-do a crm.activity.todo.update* call names by id,
// ownerTypeId and ownerId: NOT_FOUND when there is none (never made, or
// deleted by staff), completed when staff marked it done.
func (p *Portal) openTodo(c *call, completed *apiError) (*Todo, *apiError) {
	id, _ := c.params.num("id", "ID")
	owner, _ := c.params.num("ownerTypeId")
	lead, _ := c.params.num("ownerId")
	for _, t := range p.st.todos {
		if t.ID == id && owner == 1 && t.LeadID == lead {
			if t.Completed {
				return nil, completed
			}
			return t, nil
		}
	}
	return nil, errTodoNotFound
}

// todoUpdateDeadline is crm.activity.todo.updateDeadline {id, ownerTypeId,
// ownerId, value} → {"id": N}. A completed to-do cannot be changed.
func (p *Portal) todoUpdateDeadline(c *call) (outcome, *apiError) {
	dl, ok := parseDate(c.params.str("value", "deadline"), p.loc)
	if !ok {
		return outcome{}, errf(400, "WRONG_DATETIME_FORMAT", "Invalid value for parameter value")
	}
	t, err := p.openTodo(c, errTodoCompleted)
	if err != nil {
		return outcome{}, err
	}
	t.Deadline = dl
	return plain(map[string]any{"id": t.ID}), nil
}

// todoUpdateResponsible is crm.activity.todo.updateResponsibleUser {id,
// ownerTypeId, ownerId, responsibleId} → {"id": N}.
func (p *Portal) todoUpdateResponsible(c *call) (outcome, *apiError) {
	r, ok := c.params.num("responsibleId")
	if !ok || r <= 0 {
		return outcome{}, errf(400, "INVALID_ARG_VALUE", `Parameter "responsibleId" must be greater than 0`)
	}
	t, err := p.openTodo(c, errTodoCompletedResponsib)
	if err != nil {
		return outcome{}, err
	}
	t.ResponsibleID = r
	return plain(map[string]any{"id": t.ID}), nil
}

// activityUpdate is crm.activity.update {id, fields}: the deprecated method
// that still completes (COMPLETED Y/N) an activity. DEADLINE is not set
// directly (api-reference/crm/timeline/activities/activity-base/crm-activity-update.md:
// "This field is not set directly; the value is taken from START_TIME for
// calls and meetings, and from END_TIME for tasks"), so it is ignored like
// every other field the portal does not take.
func (p *Portal) activityUpdate(c *call) (outcome, *apiError) {
	id, ok := c.params.num("id", "ID")
	if !ok || id <= 0 {
		return outcome{}, errBadID
	}
	var t *Todo
	for _, x := range p.st.todos {
		if x.ID == id {
			t = x
		}
	}
	if t == nil {
		return outcome{}, errNotFound
	}
	f := upperKeys(c.params.obj("fields", "FIELDS"))
	if v, ok := f["COMPLETED"]; ok {
		t.Completed = truthy(v)
	}
	return plain(true), nil
}

func (p *Portal) todoRow(t *Todo) map[string]any {
	return map[string]any{
		"ID": idStr(t.ID), "OWNER_ID": idStr(t.LeadID), "OWNER_TYPE_ID": "1", "TYPE_ID": "6",
		"PROVIDER_ID": "CRM_TODO", "PROVIDER_TYPE_ID": "CRM_TODO", "SUBJECT": t.Title, "DESCRIPTION": t.Description,
		"DEADLINE": p.fmtTime(t.Deadline), "END_TIME": p.fmtTime(t.Deadline), "RESPONSIBLE_ID": idStr(t.ResponsibleID),
		"COMPLETED": yn(t.Completed), "CREATED": p.fmtTime(t.Created),
	}
}

func (p *Portal) activityList(c *call) (outcome, *apiError) {
	q := parseList(c.params)
	byID := map[int]*Todo{}
	ids := make([]int, 0, len(p.st.todos))
	for _, t := range p.st.todos {
		byID[t.ID] = t
		ids = append(ids, t.ID)
	}
	get := func(id int, f string) []string { return []string{str(p.todoRow(byID[id])[f])} }
	page, next, total := q.run(ids, get)
	rows := make([]any, 0, len(page))
	for _, id := range page {
		rows = append(rows, p.todoRow(byID[id]))
	}
	return outcome{result: rows, list: true, next: next, total: total}, nil
}
