package desk_test

import (
	"strings"
	"testing"

	"github.com/b24desk/b24desk/bitrix/sim"
)

// departmentPool makes incident-managers a department pool (department 7).
func departmentPool(t *testing.T) func(string) string {
	return func(text string) string {
		old := "incident-managers: {users: [21], strategy: fixed, fallback: 1}"
		if !strings.Contains(text, old) {
			t.Fatalf("rules example has no %q", old)
		}
		return strings.Replace(text, old, "incident-managers: {department: 7, strategy: fixed, fallback: 1}", 1)
	}
}

// calls counts the calls of a method the portal received.
func (e *env) calls(method string) int {
	n := 0
	for _, c := range e.portal.Calls() {
		if c.Method == method {
			n++
		}
	}
	return n
}

// TestDepartmentPoolNotified: a step notifying pool:NAME of a department
// pool reaches the department's active members, read with one user.get per
// tick; routing to the pool picks among them too.
func TestDepartmentPoolNotified(t *testing.T) {
	e := newEnvRules(t, at(10, 10, 0), departmentPool(t))
	e.portal.AddDepartment(sim.Department{ID: 7, Name: "Incidents", Parent: 1})
	for _, u := range []sim.User{
		{ID: 22, Name: "Inna", Active: true, Departments: []int{7}},
		{ID: 23, Name: "Fired", Active: false, Departments: []int{7}},
		{ID: 24, Name: "Ivan", Active: true, Departments: []int{3, 7}},
		{ID: 25, Name: "Other", Active: true, Departments: []int{3}},
	} {
		e.portal.AddUser(u)
	}
	id := e.mailTicket("enterprise", 11)
	e.portal.ResetCalls()
	e.clk.Set(at(10, 12, 0)) // 100%: assignee and pool:incident-managers
	e.tick()
	if n := e.calls("user.get"); n != 1 {
		t.Fatalf("%d user.get calls in one tick, want 1", n)
	}
	perUser := map[int]int{}
	for _, n := range e.notes(id) {
		if strings.Contains(n.Message, "(100%)") {
			perUser[n.UserID]++
		}
	}
	want := map[int]int{11: 1, 22: 1, 24: 1}
	if len(perUser) != len(want) || perUser[11] != 1 || perUser[22] != 1 || perUser[24] != 1 {
		t.Fatalf("100%% notifications per user %v, want %v", perUser, want)
	}

	// A reclassified ticket is routed to the department pool's first member.
	other := e.mailTicket("enterprise", 12)
	e.staff(other, map[string]any{"SOURCE_ID": "B24D_INCIDENT"})
	if got := e.ticket(other).Assignee; got != 22 {
		t.Fatalf("reclassified ticket assigned to %d, want 22 (department 7)", got)
	}
}

// TestDepartmentPoolEmpty: a department without members notifies the
// pool's fallback.
func TestDepartmentPoolEmpty(t *testing.T) {
	e := newEnvRules(t, at(10, 10, 0), departmentPool(t))
	id := e.mailTicket("enterprise", 11)
	e.clk.Set(at(10, 12, 0))
	e.tick()
	got := map[int]bool{}
	for _, n := range e.notes(id) {
		got[n.UserID] = true
	}
	if len(got) != 2 || !got[11] || !got[1] {
		t.Fatalf("notified users %v, want the assignee 11 and the fallback 1", got)
	}
}
