package sim

import (
	"fmt"
	"strings"
	"time"
)

// Call is one request the portal received (batch commands are not listed
// separately: a batch is one call).
type Call struct {
	Method string
	At     time.Time // portal clock
	Status int       // HTTP status; 0 when the connection was dropped
	Code   string    // error code, "" on success
}

func (p *Portal) record(name string, status int, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.calls = append(p.st.calls, Call{Method: name, At: p.clk.Now(), Status: status, Code: code})
}

// Calls returns the requests received so far, oldest first.
func (p *Portal) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.st.calls...)
}

// ResetCalls forgets the recorded calls.
func (p *Portal) ResetCalls() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.calls = nil
}

// Leads returns every lead as crm.lead.get would, in ID order.
func (p *Portal) Leads() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]map[string]any, 0, len(p.st.leadIDs))
	for _, id := range p.st.leadIDs {
		out = append(out, p.renderLead(p.st.leads[id], selectAll()))
	}
	return out
}

// LeadCount returns the number of leads.
func (p *Portal) LeadCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.st.leadIDs)
}

// Lead returns one lead as crm.lead.get would.
func (p *Portal) Lead(id int) (map[string]any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.st.leads[id]
	if l == nil {
		return nil, false
	}
	return p.renderLead(l, selectAll()), true
}

// File returns a stored file (of a file user field or a comment).
func (p *Portal) File(id int) (File, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.st.files[id]
	if f == nil {
		return File{}, false
	}
	return *f, true
}

// Comments returns the timeline comments of a lead, oldest first.
func (p *Portal) Comments(leadID int) []Comment {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Comment
	for _, c := range p.st.comments {
		if c.LeadID == leadID {
			out = append(out, *c)
		}
	}
	return out
}

// Notifications returns the current notifications (a repeated TAG has
// replaced the earlier one).
func (p *Portal) Notifications() []Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Notification(nil), p.st.notes...)
}

// WorkflowStarts returns every started workflow, automatic ones included.
func (p *Portal) WorkflowStarts() []WorkflowStart {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]WorkflowStart(nil), p.st.workflows...)
}

// Todos returns the to-dos on leads.
func (p *Portal) Todos() []Todo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Todo, 0, len(p.st.todos))
	for _, t := range p.st.todos {
		out = append(out, *t)
	}
	return out
}

// CompleteTodo is a staff member clicking "Done" on a to-do in the portal:
// crm.activity.todo.update* answer CAN_NOT_UPDATE_COMPLETED_TODO for it from
// then on (api-reference/crm/timeline/activities/todo/crm-activity-todo-update-deadline.md).
func (p *Portal) CompleteTodo(id int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.st.todos {
		if t.ID == id {
			t.Completed = true
			return nil
		}
	}
	return fmt.Errorf("sim: no to-do %d", id)
}

// DeleteTodo is a staff member deleting a to-do in the portal: it is gone
// from crm.activity.list, and crm.activity.todo.update* answer NOT_FOUND.
func (p *Portal) DeleteTodo(id int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, t := range p.st.todos {
		if t.ID == id {
			p.st.todos = append(p.st.todos[:i:i], p.st.todos[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("sim: no to-do %d", id)
}

// ForgetMethods makes the portal answer 404 ERROR_METHOD_NOT_FOUND for the
// methods, as an older or trimmed-down portal does (bitrix24-api.md §2;
// the docs' system errors, _includes/system-errors.md, do not list it: the
// simulator answers with the code and status real portals send).
func (p *Portal) ForgetMethods(names ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st.unknown == nil {
		p.st.unknown = map[string]bool{}
	}
	for _, n := range names {
		p.st.unknown[strings.ToLower(n)] = true
	}
}

// SetCRMMode switches the CRM mode: 1 classic (with leads), 2 simple.
func (p *Portal) SetCRMMode(mode int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.crmMode = mode
}

// SetAdmin sets whether the webhook's user is an administrator.
func (p *Portal) SetAdmin(admin bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.admin = admin
}

// SetScopes sets the scopes the webhook (and the app) have.
func (p *Portal) SetScopes(scopes ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.scopes = append([]string(nil), scopes...)
}

// AddUser adds an employee; a zero ID gets the next free one. It returns the ID.
func (p *Portal) AddUser(u User) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u.ID == 0 {
		u.ID = p.st.next("user")
	} else if u.ID > p.st.seq["user"] {
		p.st.seq["user"] = u.ID
	}
	p.st.users = append(p.st.users, u)
	return u.ID
}

// AddDepartment adds a department; a zero ID gets the next free one.
func (p *Portal) AddDepartment(d Department) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d.ID == 0 {
		d.ID = p.st.next("dept")
	}
	p.st.depts = append(p.st.depts, d)
	return d.ID
}

// AddTemplate adds a lead business process template; a zero ID gets the
// next free one. It returns the ID.
func (p *Portal) AddTemplate(t Template) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.ID == 0 {
		t.ID = p.st.next("template")
	}
	p.st.templates = append(p.st.templates, t)
	return t.ID
}

// SetLeadFields changes a lead as a staff member does in the portal UI:
// DATE_MODIFY moves, the update event fires and AUTO_EXECUTE 2/3 workflows
// start.
func (p *Portal) SetLeadFields(id int, fields map[string]any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.st.leads[id]
	if l == nil {
		return fmt.Errorf("sim: lead %d not found", id)
	}
	p.applyLeadFields(l, upperKeys(fields), p.opts.WebhookUserID, false)
	p.afterLeadWrite(l, false)
	return nil
}

// DeleteLead deletes a lead as a staff member does; the delete event fires.
func (p *Portal) DeleteLead(id int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st.leads[id] == nil {
		return fmt.Errorf("sim: lead %d not found", id)
	}
	p.deleteLead(id)
	p.fireEvent("ONCRMLEADDELETE", id)
	return nil
}

// SeedLeads creates n leads fast, without events or workflows; fn (may be
// nil) returns the fields of lead i (upper-case keys as crm.lead.add).
func (p *Portal) SeedLeads(n int, fn func(i int) map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range n {
		var f map[string]any
		if fn != nil {
			f = fn(i)
		}
		if f == nil {
			f = map[string]any{"TITLE": "Seeded lead " + idStr(i+1)}
		}
		p.createLead(upperKeysMap(f), p.opts.WebhookUserID)
	}
}

func upperKeysMap(m map[string]any) params {
	out := make(params, len(m))
	for k, v := range m {
		out[strings.ToUpper(k)] = v
	}
	return out
}
