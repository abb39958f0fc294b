package mail

import (
	"testing"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/rules"
)

// A mail routed to a department pool goes to a member of the department
// (the members the daemon read from the portal), not to the fallback user.
func TestRouteToDepartmentPool(t *testing.T) {
	s := imaptest.StartMemory(t)
	e := newEnv(t, s, nil)
	// The first-line pool becomes the IT department (no listed users).
	dept := *e.rules.Pools["l1-operators"]
	dept.Users, dept.Department, dept.Strategy = nil, 5, rules.RoundRobin
	pools := map[string]*rules.Pool{}
	for name, p := range e.rules.Pools {
		pools[name] = p
	}
	pools["l1-operators"] = &dept
	r := *e.rules
	r.Pools = pools
	e.rules = &r

	for _, c := range []struct {
		deps map[int][]int
		want string
	}{
		{deps: map[int][]int{5: {41, 42}}, want: "41"},
		{deps: nil, want: "1"}, // members unknown: the pool's fallback user
	} {
		e.deps = c.deps
		before := len(e.portal.Leads())
		e.appendMail(imaptest.Mail("Ivan <ivan@example.com>", "support@example.test",
			"Вопрос по личному кабинету "+c.want, "Здравствуйте, подскажите, где сменить телефон в профиле?"))
		e.round()
		leads := e.portal.Leads()
		if len(leads) != before+1 {
			t.Fatalf("%d leads, want %d", len(leads), before+1)
		}
		if got := str(leads[len(leads)-1]["ASSIGNED_BY_ID"]); got != c.want {
			t.Errorf("departments %v: assigned to %s, want %s", c.deps, got, c.want)
		}
	}
}
