package rules

import (
	"reflect"
	"testing"
	"time"
)

const engineSrc = `version: 1
types:
  - {code: TECH, name: Tech, level: L1}
  - {code: MAP, name: Map, level: L1}
  - {code: OUTAGE, name: Outage, level: L2}
statuses: {new: [NEW], answered: [IN_PROCESS], waiting: [WAIT], closed: [DONE, JUNK], on_customer_reply: IN_PROCESS}
pools:
  l1: {users: [11, 12, 13], strategy: round_robin, fallback: 1}
  least: {users: [11, 12, 13], strategy: least_open, fallback: 1}
  fixed: {users: [11, 12], strategy: fixed, fallback: 2}
  dept: {department: 5, fallback: 3}
  empty: {users: [], fallback: 4}
  im: {users: [21, 22], strategy: fixed, fallback: 1}
away: [12]
unassigned_users: [1]
calendars:
  msk: {timezone: Europe/Moscow, week: {mon-fri: "10:00-19:00"}, holidays: [2026-03-09]}
  always: {timezone: Europe/Moscow, week: {mon-sun: "00:00-24:00"}}
tiers:
  - {name: vip, when: {from_domain: vip.ru}}
  - {name: std}
classify:
  - {name: urgent, when: {subject: '(?i)срочно'}, set: {priority: high}, continue: true}
  - {name: outage, when: {subject: '(?i)не работает'}, set: {type: OUTAGE, priority: critical, UF_CRM_B24D_CATEGORY: site}}
  - {name: map, when: {body: 'карт'}, set: {type: MAP}}
  - {name: default, set: {type: TECH, priority: normal}}
route:
  - {name: l2, when: {type: OUTAGE}, assign: im, observers: [pool:l1, '99', '21']}
  - {name: first line, assign: l1}
sla:
  - name: vip
    when: {tier: vip}
    calendar: always
    first_response: 1h
    escalate:
      first_response:
        - {at: 50%, notify: [assignee]}
        - {at: 100%, notify: [pool:im], set: {priority: critical}}
        - {at: +30m, reassign: im}
  - name: outage
    when: {type: OUTAGE}
    calendar: msk
    first_response: 2h
    next_response: 1h
    resolution: 2wd
    escalate:
      first_response:
        - {at: 80%, notify: [assignee]}
        - {at: 100%, notify: [assignee, pool:im]}
      resolution:
        - {at: -1h, notify: [assignee]}
  - name: std
    calendar: msk
    first_response: 8h
    escalate:
      first_response:
        - {at: 0%, notify: ['21']}
        - {at: 100%, notify: [assignee]}
`

func TestClassifySemantics(t *testing.T) {
	r := parseOK(t, engineSrc)
	tests := []struct {
		name            string
		in              Input
		typ, prio, tier string
		rules           []string
		fields          map[string]string
	}{
		{"first match wins", Input{Subject: "Не работает сайт", Body: "карта"}, "OUTAGE", "critical", "std", []string{"outage"}, map[string]string{"UF_CRM_B24D_CATEGORY": "site"}},
		{"continue keeps earlier value", Input{Subject: "СРОЧНО не работает", From: "a@vip.ru"}, "OUTAGE", "high", "vip", []string{"urgent", "outage"}, map[string]string{"UF_CRM_B24D_CATEGORY": "site"}},
		{"catch-all", Input{Subject: "вопрос"}, "TECH", "normal", "std", []string{"default"}, nil},
		{"person's type kept", Input{Subject: "Не работает", Ticket: Ticket{Type: "MAP"}}, "MAP", "critical", "std", []string{"outage"}, map[string]string{"UF_CRM_B24D_CATEGORY": "site"}},
		{"input tier kept", Input{From: "x@vip.ru", Ticket: Ticket{Tier: "std"}}, "TECH", "normal", "std", []string{"default"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := r.Classify(&tt.in)
			var names []string
			for _, m := range c.Rules {
				names = append(names, m.Rule)
				if m.Why == "" {
					t.Errorf("rule %s has no why", m.Rule)
				}
			}
			if c.Type != tt.typ || c.Priority != tt.prio || c.Tier != tt.tier || !reflect.DeepEqual(names, tt.rules) || !reflect.DeepEqual(c.Fields, tt.fields) {
				t.Fatalf("got %s/%s/%s %v %v, want %s/%s/%s %v %v", c.Type, c.Priority, c.Tier, names, c.Fields, tt.typ, tt.prio, tt.tier, tt.rules, tt.fields)
			}
		})
	}
}

func TestPickStrategies(t *testing.T) {
	r := parseOK(t, engineSrc)
	t.Run("round robin skips away and inactive, wraps", func(t *testing.T) {
		st := RouteState{Inactive: map[int]bool{13: true}}
		var got []int
		for i := 0; i < 3; i++ {
			var u int
			u, _, st = r.Pick("l1", st)
			got = append(got, u)
		}
		if !reflect.DeepEqual(got, []int{11, 11, 11}) {
			t.Fatalf("got %v", got)
		}
		st = RouteState{}
		got = nil
		for i := 0; i < 4; i++ {
			var u int
			u, _, st = r.Pick("l1", st)
			got = append(got, u)
		}
		if !reflect.DeepEqual(got, []int{11, 13, 11, 13}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("state passed in is not changed", func(t *testing.T) {
		st := RouteState{Next: map[string]int{"l1": 2}, Open: map[int]int{11: 1}}
		_, _, next := r.Pick("l1", st)
		if st.Next["l1"] != 2 || st.Open[11] != 1 {
			t.Fatalf("input state changed: %+v", st)
		}
		if next.Next["l1"] != 0 || next.Open[13] != 1 {
			t.Fatalf("next state %+v", next)
		}
	})
	t.Run("least open", func(t *testing.T) {
		u, _, st := r.Pick("least", RouteState{Open: map[int]int{11: 5, 13: 2}})
		if u != 13 || st.Open[13] != 3 {
			t.Fatalf("got %d %v", u, st.Open)
		}
	})
	t.Run("fixed takes the first available", func(t *testing.T) {
		if u, fb, _ := r.Pick("fixed", RouteState{}); u != 11 || fb {
			t.Fatalf("got %d %v", u, fb)
		}
		if u, fb, _ := r.Pick("fixed", RouteState{Away: map[int]bool{11: true}}); u != 2 || !fb {
			t.Fatalf("all away: got %d fallback=%v, want 2 true", u, fb)
		}
	})
	t.Run("department members from the caller", func(t *testing.T) {
		if u, fb, _ := r.Pick("dept", RouteState{Departments: map[int][]int{5: {77, 78}}}); u != 77 || fb {
			t.Fatalf("got %d %v", u, fb)
		}
		if u, fb, _ := r.Pick("dept", RouteState{}); u != 3 || !fb {
			t.Fatalf("unknown department members: got %d %v", u, fb)
		}
	})
	t.Run("empty pool falls back", func(t *testing.T) {
		if u, fb, _ := r.Pick("empty", RouteState{}); u != 4 || !fb {
			t.Fatalf("got %d %v", u, fb)
		}
	})
}

func TestRouteAndDecide(t *testing.T) {
	r := parseOK(t, engineSrc)
	created := mustTime(t, "2026-03-06T17:00:00+03:00")
	d := r.Decide(Input{Subject: "Не работает"}, RouteState{}, created)
	if d.Route.Rule != "l2" || d.Route.User != 21 || !reflect.DeepEqual(d.Route.Observers, []int{11, 12, 13, 99}) {
		t.Fatalf("route %+v", d.Route)
	}
	if d.Policy == nil || d.Policy.Name != "outage" {
		t.Fatalf("policy %+v", d.Policy)
	}
	fr := d.Schedule.Targets[0]
	if fr.Target != FirstResponse || !fr.Due.Equal(mustTime(t, "2026-03-06T19:00:00+03:00")) || !fr.Steps[1].FireAt.Equal(mustTime(t, "2026-03-10T10:00:00+03:00")) {
		t.Fatalf("first response %+v", fr)
	}
	d = r.Decide(Input{Subject: "вопрос", Ticket: Ticket{Assignee: "55"}}, RouteState{}, created)
	if d.Routed {
		t.Fatal("a lead with an assignee was routed")
	}
	d = r.Decide(Input{Subject: "вопрос", Ticket: Ticket{Assignee: "1"}}, RouteState{}, created)
	if !d.Routed || d.Route.User != 11 {
		t.Fatalf("unassigned user not routed: %+v", d.Route)
	}
}

func TestStatuses(t *testing.T) {
	r := parseOK(t, engineSrc)
	for id, want := range map[string]State{"NEW": StateNew, "IN_PROCESS": StateAnswered, "WAIT": StateWaiting, "DONE": StateClosed, "JUNK": StateClosed, "OTHER": StateOpen} {
		if got := r.StateOf(id); got != want {
			t.Errorf("StateOf(%s) = %s, want %s", id, got, want)
		}
	}
	s := r.Statuses
	if !s.MeetsFirstResponse("DONE") || s.MeetsFirstResponse("NEW") || !s.Paused("WAIT") || s.OnCustomerReply != "IN_PROCESS" {
		t.Error("status helpers")
	}
}

func TestScheduleSteps(t *testing.T) {
	r := parseOK(t, engineSrc)
	vip := r.PolicyByName("vip")
	std := r.PolicyByName("std")
	tests := []struct {
		name  string
		p     *Policy
		tl    Timeline
		due   string
		fires []string
	}{
		{"24/7 fires at exact times, also at night", vip, Timeline{Created: mustTime(t, "2026-03-07T23:40:00+03:00")},
			"2026-03-08T00:40:00+03:00", []string{"2026-03-08T00:10:00+03:00", "2026-03-08T00:40:00+03:00", "2026-03-08T01:10:00+03:00"}},
		{"steps at closing time fire at next opening", std, Timeline{Created: mustTime(t, "2026-03-05T11:00:00+03:00")},
			"2026-03-05T19:00:00+03:00", []string{"2026-03-05T11:00:00+03:00", "2026-03-06T10:00:00+03:00"}},
		{"0% step outside hours waits for opening", std, Timeline{Created: mustTime(t, "2026-03-07T03:00:00+03:00")},
			"2026-03-10T18:00:00+03:00", []string{"2026-03-10T10:00:00+03:00", "2026-03-10T18:00:00+03:00"}},
		{"pause pushes the deadline", std, Timeline{Created: mustTime(t, "2026-03-05T10:00:00+03:00"),
			Paused: []Interval{{mustTime(t, "2026-03-05T12:00:00+03:00"), mustTime(t, "2026-03-06T12:00:00+03:00")}}},
			"2026-03-06T18:00:00+03:00", []string{"2026-03-05T10:00:00+03:00", "2026-03-06T18:00:00+03:00"}},
		{"open pause: deadline unknown", std, Timeline{Created: mustTime(t, "2026-03-05T10:00:00+03:00"),
			Paused: []Interval{{Start: mustTime(t, "2026-03-05T12:00:00+03:00")}}},
			"", []string{"2026-03-05T10:00:00+03:00", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.p.Schedule(tt.tl)
			ts := s.Targets[0]
			if (tt.due == "") != ts.Due.IsZero() || (tt.due != "" && !ts.Due.Equal(mustTime(t, tt.due))) || ts.Paused != (tt.due == "") {
				t.Fatalf("due %s paused=%v, want %q", ts.Due.Format(time.RFC3339), ts.Paused, tt.due)
			}
			var fires []string
			for _, st := range ts.Steps {
				if st.FireAt.IsZero() {
					fires = append(fires, "")
				} else {
					fires = append(fires, st.FireAt.In(tt.p.Calendar.Location).Format(time.RFC3339))
				}
			}
			if !reflect.DeepEqual(fires, tt.fires) {
				t.Fatalf("fires %v, want %v", fires, tt.fires)
			}
		})
	}
}

func TestDueLatestOnly(t *testing.T) {
	r := parseOK(t, engineSrc)
	p := r.PolicyByName("outage")
	created := mustTime(t, "2026-03-02T10:00:00+03:00")
	s := p.Schedule(Timeline{Created: created, CustomerReply: mustTime(t, "2026-03-02T12:00:00+03:00")})
	if len(s.Targets) != 3 {
		t.Fatalf("targets %+v", s.Targets)
	}
	done := map[string]bool{}
	isDone := func(id string) bool { return done[id] }
	// After a long downtime both first-response steps and the resolution
	// step are due: only the latest of each target fires.
	now := mustTime(t, "2026-03-20T10:00:00+03:00")
	due := s.Due(isDone, now)
	var ids []string
	for _, st := range due {
		ids = append(ids, st.ID)
		done[st.ID] = true
	}
	if want := []string{"outage/first_response/1", "outage/resolution/0"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("due %v, want %v", ids, want)
	}
	if again := s.Due(isDone, now); len(again) != 0 {
		t.Fatalf("done steps fired again: %v", again)
	}
	// Before anything is due.
	if early := s.Due(isDone, created); len(early) != 0 {
		t.Fatalf("due at creation: %v", early)
	}
	if next, ok := s.Next(nil, created); !ok || !next.Equal(mustTime(t, "2026-03-02T11:36:00+03:00")) {
		t.Fatalf("next %s %v", next, ok)
	}
	// resolution 2wd from Monday 10:00 = Wednesday 10:00, step at -1h.
	if res := s.Targets[2]; res.Target != Resolution || !res.Due.Equal(mustTime(t, "2026-03-04T10:00:00+03:00")) || !res.Steps[0].FireAt.Equal(mustTime(t, "2026-03-03T18:00:00+03:00")) {
		t.Fatalf("resolution %+v", res)
	}
}

func TestReclassification(t *testing.T) {
	r := parseOK(t, engineSrc)
	created := mustTime(t, "2026-03-02T10:00:00+03:00")
	// An L1 ticket becomes an outage at 13:00: the outage policy counts from
	// creation, so its 2h first response is already past.
	in := Input{Subject: "вопрос", Ticket: Ticket{Type: "OUTAGE"}}
	p := r.Policy(&in)
	if p == nil || p.Name != "outage" {
		t.Fatalf("policy %v", p)
	}
	s := p.Schedule(Timeline{Created: created})
	now := mustTime(t, "2026-03-02T13:00:00+03:00")
	if !s.Targets[0].Due.Before(now) {
		t.Fatalf("not breached: %s", s.Targets[0].Due)
	}
	due := s.Due(nil, now)
	if len(due) != 1 || due[0].ID != "outage/first_response/1" {
		t.Fatalf("due %+v", due)
	}
}

func TestMergePauses(t *testing.T) {
	a := mustTime(t, "2026-03-02T10:00:00Z")
	h := time.Hour
	got := mergePauses([]Interval{{a.Add(3 * h), a.Add(5 * h)}, {a, a.Add(h)}, {a.Add(30 * time.Minute), a.Add(2 * h)}, {a.Add(6 * h), time.Time{}}, {a.Add(7 * h), a.Add(8 * h)}})
	want := []Interval{{a, a.Add(2 * h)}, {a.Add(3 * h), a.Add(5 * h)}, {a.Add(6 * h), time.Time{}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}
