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

func (p *Portal) todoUpdateDeadline(c *call) (outcome, *apiError) {
	id, _ := c.params.num("id", "ID")
	owner, _ := c.params.num("ownerTypeId")
	lead, _ := c.params.num("ownerId")
	dl, ok := parseDate(c.params.str("value", "deadline"), p.loc)
	if !ok {
		return outcome{}, errf(400, "INVALID_ARG_VALUE", "Invalid value for parameter value")
	}
	for _, t := range p.st.todos {
		if t.ID == id && owner == 1 && t.LeadID == lead {
			t.Deadline = dl
			return plain(map[string]any{"id": t.ID}), nil
		}
	}
	return outcome{}, errf(400, "NOT_FOUND", "Activity not found")
}

// activityUpdate is crm.activity.update {id, fields}: the deprecated method
// that still completes (COMPLETED Y/N) an activity; DEADLINE moves it.
// Other fields are ignored, as the portal ignores fields it does not know.
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
	if v, ok := f["DEADLINE"]; ok {
		dl, ok := parseDate(str(v), p.loc)
		if !ok {
			return outcome{}, errf(400, "", "Invalid value for field DEADLINE")
		}
		t.Deadline = dl
	}
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
