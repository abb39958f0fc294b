package sim

import (
	"encoding/json"
	"testing"
)

// TestActivityUpdate: crm.activity.update completes and reopens a to-do;
// crm.activity.list and Todos report COMPLETED. DEADLINE is not taken
// (api-reference/crm/timeline/activities/activity-base/crm-activity-update.md:
// "This field is not set directly").
func TestActivityUpdate(t *testing.T) {
	p, srv := testPortal(t, Options{})
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "x"}}))
	todo := ok(t, post(t, p, srv, "crm.activity.todo.add", map[string]any{"ownerTypeId": 1, "ownerId": 1,
		"deadline": "2026-05-15T10:00:00+03:00", "title": "SLA"})).(map[string]any)
	completed := func() string {
		t.Helper()
		rows := ok(t, post(t, p, srv, "crm.activity.list", map[string]any{
			"filter": map[string]any{"OWNER_ID": 1, "OWNER_TYPE_ID": 1}, "select": []string{"ID", "COMPLETED"}})).([]any)
		if len(rows) != 1 {
			t.Fatalf("activity list %v", rows)
		}
		return rows[0].(map[string]any)["COMPLETED"].(string)
	}
	if got := completed(); got != "N" {
		t.Fatalf("new to-do COMPLETED %q", got)
	}
	tests := []struct {
		name      string
		fields    map[string]any
		completed string
	}{
		{name: "complete", fields: map[string]any{"COMPLETED": "Y"}, completed: "Y"},
		{name: "repeat is harmless", fields: map[string]any{"COMPLETED": "Y"}, completed: "Y"},
		{name: "reopen, DEADLINE ignored", fields: map[string]any{"COMPLETED": "N", "DEADLINE": "2026-05-18T12:00:00+03:00"}, completed: "N"},
		{name: "lowercase key, unknown field ignored", fields: map[string]any{"completed": "Y", "NO_SUCH": 1}, completed: "Y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ok(t, post(t, p, srv, "crm.activity.update", map[string]any{"id": todo["id"], "fields": tt.fields})) != true {
				t.Fatal("result not true")
			}
			if got := completed(); got != tt.completed {
				t.Fatalf("COMPLETED %q, want %q", got, tt.completed)
			}
			td := p.Todos()
			if len(td) != 1 || td[0].Completed != (tt.completed == "Y") || td[0].Deadline.Day() != 15 {
				t.Fatalf("todos %+v (deadline must stay the 15th)", td)
			}
		})
	}
	errs := []struct {
		name   string
		params map[string]any
		desc   string
	}{
		{name: "no id", params: map[string]any{"fields": map[string]any{"COMPLETED": "Y"}}, desc: "ID is not defined or invalid."},
		{name: "unknown id", params: map[string]any{"id": 999, "fields": map[string]any{"COMPLETED": "Y"}}, desc: "Not found"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			mustErr(t, post(t, p, srv, "crm.activity.update", tt.params), 400, "", tt.desc)
		})
	}
}

// TestTodoStaffActions: staff mark a to-do done or delete it in the portal
// at any time; then crm.activity.todo.updateDeadline and
// crm.activity.todo.updateResponsibleUser answer 400
// CAN_NOT_UPDATE_COMPLETED_TODO / CAN_NOT_UPDATE_RESPONSIBLE_USER_COMPLETED_TODO
// or NOT_FOUND, as listed in "Possible Error Codes" of
// api-reference/crm/timeline/activities/todo/crm-activity-todo-update-deadline.md
// and crm-activity-todo-update-responsible-user.md. Both answer {"id": N}
// on success ("Response Handling" of the same pages).
func TestTodoStaffActions(t *testing.T) {
	p, srv := testPortal(t, Options{})
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "x"}}))
	add := func() json.Number {
		t.Helper()
		r := ok(t, post(t, p, srv, "crm.activity.todo.add", map[string]any{"ownerTypeId": 1, "ownerId": 1,
			"deadline": "2026-05-15T10:00:00+03:00", "title": "SLA", "responsibleId": 1})).(map[string]any)
		return r["id"].(json.Number)
	}
	deadline := func(id json.Number) answer {
		return post(t, p, srv, "crm.activity.todo.updateDeadline", map[string]any{"id": id, "ownerTypeId": 1,
			"ownerId": 1, "value": "2026-05-16T10:00:00+03:00"})
	}
	responsible := func(id json.Number) answer {
		return post(t, p, srv, "crm.activity.todo.updateResponsibleUser", map[string]any{"id": id, "ownerTypeId": 1,
			"ownerId": 1, "responsibleId": 7})
	}

	open := add()
	if r := ok(t, deadline(open)).(map[string]any); r["id"] != open {
		t.Fatalf("updateDeadline result %v", r)
	}
	if r := ok(t, responsible(open)).(map[string]any); r["id"] != open {
		t.Fatalf("updateResponsibleUser result %v", r)
	}
	if td := p.Todos()[0]; td.Deadline.Day() != 16 || td.ResponsibleID != 7 {
		t.Fatalf("to-do after updates %+v", td)
	}
	mustErr(t, post(t, p, srv, "crm.activity.todo.updateResponsibleUser", map[string]any{"id": open, "ownerTypeId": 1,
		"ownerId": 1, "responsibleId": 0}), 400, "INVALID_ARG_VALUE", "")

	done := add()
	id, _ := done.Int64()
	if err := p.CompleteTodo(int(id)); err != nil {
		t.Fatal(err)
	}
	mustErr(t, deadline(done), 400, "CAN_NOT_UPDATE_COMPLETED_TODO", "Completed activity cannot be modified")
	mustErr(t, responsible(done), 400, "CAN_NOT_UPDATE_RESPONSIBLE_USER_COMPLETED_TODO", "")

	gone := add()
	id, _ = gone.Int64()
	if err := p.DeleteTodo(int(id)); err != nil {
		t.Fatal(err)
	}
	mustErr(t, deadline(gone), 400, "NOT_FOUND", "")
	mustErr(t, responsible(gone), 400, "NOT_FOUND", "")
	if n := len(p.Todos()); n != 2 {
		t.Fatalf("%d to-dos after a delete, want 2", n)
	}
	// Another owner is not the to-do's: NOT_FOUND too.
	mustErr(t, post(t, p, srv, "crm.activity.todo.updateDeadline", map[string]any{"id": open, "ownerTypeId": 1,
		"ownerId": 2, "value": "2026-05-16T10:00:00+03:00"}), 400, "NOT_FOUND", "")
}
