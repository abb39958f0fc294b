package sim

import (
	"testing"
)

// TestActivityUpdate: crm.activity.update completes and reopens a to-do and
// moves its deadline; crm.activity.list and Todos report COMPLETED.
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
		day       int
	}{
		{name: "complete", fields: map[string]any{"COMPLETED": "Y"}, completed: "Y", day: 15},
		{name: "repeat is harmless", fields: map[string]any{"COMPLETED": "Y"}, completed: "Y", day: 15},
		{name: "reopen and move", fields: map[string]any{"COMPLETED": "N", "DEADLINE": "2026-05-18T12:00:00+03:00"}, completed: "N", day: 18},
		{name: "lowercase key, unknown field ignored", fields: map[string]any{"completed": "Y", "NO_SUCH": 1}, completed: "Y", day: 18},
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
			if len(td) != 1 || td[0].Completed != (tt.completed == "Y") || td[0].Deadline.Day() != tt.day {
				t.Fatalf("todos %+v", td)
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
		{name: "bad deadline", params: map[string]any{"id": todo["id"], "fields": map[string]any{"DEADLINE": "soon"}}, desc: "Invalid value for field DEADLINE"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			mustErr(t, post(t, p, srv, "crm.activity.update", tt.params), 400, "", tt.desc)
		})
	}
}
