package replay

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/report"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// StaffNote is printed with every replay.
const StaffNote = "Staff behaviour is taken as it was: answers, waiting for the customer, closings, reopenings, reclassifications and reassignments keep their recorded times; the replay does not guess that other targets would have made anyone faster."

// Options say what to replay.
type Options struct {
	// From and To bound the period [From, To): the tickets created in it
	// are replayed.
	From, To time.Time
	// Now is when open tickets' deadlines are judged (as in the report).
	Now time.Time
	// By is the grouping of the side-by-side table (report.Groupings).
	By string
	// Location is the zone the report cuts weeks in (nil: UTC).
	Location *time.Location
	// Current are the rules in force (names, levels and calendars of what
	// really happened, the old targets a change's reason is told by, the
	// actions of the steps that fired); nil when they cannot be read.
	Current *rules.Rules
	// New are the rules replayed.
	New *rules.Rules
	// Inputs are the kept classification inputs by lead ID.
	Inputs map[int64]rules.Input
}

// Result sets the replay beside what really happened.
type Result struct {
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	Now          time.Time `json:"now"`
	By           string    `json:"by"`
	Note         string    `json:"note"`
	RoutingStart string    `json:"routing_start"`
	Tickets      int       `json:"tickets"`
	// Classified are the tickets classified and routed again from their
	// kept inputs; AsRecorded kept their recorded type, tier, priority
	// and assignee (hand-made leads, or older than the inputs).
	Classified int      `json:"classified_again"`
	AsRecorded int      `json:"kept_as_recorded"`
	Actual     Side     `json:"actual"`
	Replay     Side     `json:"replay"`
	Changes    []Change `json:"changes"`
}

// Side is one column of the comparison: what happened, or the replay.
type Side struct {
	Report    *report.Report `json:"report"`
	Types     map[string]int `json:"tickets_by_type"`
	Levels    map[string]int `json:"tickets_by_level"`
	Assignees map[string]int `json:"tickets_by_assignee"`
	// Pools are known for the replay only (the history keeps assignees).
	Pools map[string]int `json:"tickets_by_pool,omitempty"`
	// Escalations are the ladder steps fired; the rest count their actions
	// (one notification per recipient entry).
	Escalations   int `json:"escalations"`
	Notifications int `json:"notifications"`
	Reassignments int `json:"reassignments"`
	FieldSets     int `json:"field_sets"`
	Workflows     int `json:"workflows"`
	// UnknownSteps are fired steps the current rules no longer name (their
	// actions are not counted).
	UnknownSteps int `json:"unknown_steps,omitempty"`
}

// Reasons a ticket's outcome changes.
const (
	ReasonPolicy   = "new policy"
	ReasonTarget   = "new target"
	ReasonCalendar = "new calendar"
	// ReasonRecorded: same policy, target and calendar as the current
	// rules, yet another deadline: the recorded one was computed under
	// rules in force earlier.
	ReasonRecorded = "rules changed during the period"
	// ReasonUnknown: the current rules could not be read.
	ReasonUnknown = "new target or calendar"
)

// Change is one ticket whose target outcome differs under the new rules.
type Change struct {
	LeadID    int64     `json:"lead_id"`
	Target    string    `json:"target"`
	Before    string    `json:"before"`
	After     string    `json:"after"`
	Reason    string    `json:"reason"`
	Detail    string    `json:"detail"`
	DueBefore time.Time `json:"due_before,omitzero"`
	DueAfter  time.Time `json:"due_after,omitzero"`
	Met       time.Time `json:"met,omitzero"`
}

// Run replays the history records (store.History) of the period under
// o.New. It is pure: same records and options, same result.
func Run(list []store.HistoryTicket, o Options) (*Result, error) {
	if o.New == nil {
		return nil, fmt.Errorf("replay: no rules to replay")
	}
	if o.By == "" {
		o.By = report.ByType
	}
	tickets := make([]store.HistoryTicket, 0, len(list))
	for _, h := range list {
		if !h.Deleted && !h.CreatedAt.Before(o.From) && (o.To.IsZero() || h.CreatedAt.Before(o.To)) {
			tickets = append(tickets, h)
		}
	}
	sort.SliceStable(tickets, func(i, j int) bool {
		if !tickets[i].CreatedAt.Equal(tickets[j].CreatedAt) {
			return tickets[i].CreatedAt.Before(tickets[j].CreatedAt)
		}
		return tickets[i].LeadID < tickets[j].LeadID
	})
	res := &Result{From: o.From, To: o.To, Now: o.Now, By: o.By, Note: StaffNote, RoutingStart: RoutingStart,
		Tickets: len(tickets), Actual: newSide(false), Replay: newSide(true), Changes: []Change{}}
	rt := newRouter()
	replayed := make([]store.HistoryTicket, 0, len(tickets))
	for _, h := range tickets {
		in, ok := o.Inputs[h.LeadID]
		if ok {
			res.Classified++
		} else {
			res.AsRecorded++
		}
		x := replayOne(h, in, ok, o, rt)
		replayed = append(replayed, x.h)
		res.Actual.count(h, o.Current, "")
		res.Actual.countSteps(actualSteps(h, o.Current))
		res.Replay.count(x.h, o.New, x.pool)
		res.Replay.countSteps(x.fired, 0)
		res.Changes = append(res.Changes, changes(h, x, o)...)
	}
	sort.SliceStable(res.Changes, func(i, j int) bool { return res.Changes[i].LeadID < res.Changes[j].LeadID })
	var err error
	if res.Actual.Report, err = report.Compute(tickets, reportOptions(o, o.Current)); err != nil {
		return nil, err
	}
	if res.Replay.Report, err = report.Compute(replayed, reportOptions(o, o.New)); err != nil {
		return nil, err
	}
	return res, nil
}

func reportOptions(o Options, r *rules.Rules) report.Options {
	return report.Options{From: o.From, To: o.To, By: o.By, Now: o.Now, Rules: r, Location: o.Location}
}

// replayed is one ticket under the new rules.
type replayed struct {
	h      store.HistoryTicket
	policy *rules.Policy
	pool   string
	fired  []rules.StepTime
	tl     rules.Timeline
}

// replayOne classifies, routes and schedules one ticket under o.New with
// the recorded facts; staff's own changes of type, tier and assignee stand.
func replayOne(h store.HistoryTicket, in rules.Input, hasInput bool, o Options, rt *router) replayed {
	r := o.New
	f := factsOf(h)
	x := replayed{h: h}
	typ, prio, tier, user := h.Type, h.Priority, h.Tier, f.firstUser
	if hasInput {
		c := r.Classify(&in)
		typ, prio, tier = c.Type, c.Priority, c.Tier
		if f.staffType {
			typ = h.Type
		}
		if f.staffTier {
			tier = h.Tier
		}
	} else if h.SenderDomain != "" {
		in.From = "@" + h.SenderDomain // from_domain conditions still work
	}
	in.Ticket = rules.Ticket{Type: typ, Priority: prio, Tier: tier}
	if hasInput {
		a := rt.route(r, &in, h.CreatedAt, f.firstUser, h.ClosedAt)
		x.pool, user = a.Pool, int64(a.User)
	}
	if user > 0 {
		in.Ticket.Assignee = strconv.FormatInt(user, 10)
	}
	x.h.Type, x.h.Priority, x.h.Tier, x.h.Policy = typ, prio, tier, ""
	x.h.Assignee = user
	if f.reassigned || !hasInput {
		x.h.Assignee = h.Assignee
	}
	x.policy = r.Policy(&in)
	x.tl = rules.Timeline{Created: h.CreatedAt, Paused: f.pauses}
	x.h.Targets = nil
	x.h.Events = nil
	for _, e := range h.Events {
		if e.Kind != store.EventEscalation {
			x.h.Events = append(x.h.Events, e)
		}
	}
	var sched rules.Schedule
	if x.policy != nil {
		x.h.Policy = x.policy.Name
		sched = x.policy.Schedule(x.tl)
	}
	for _, name := range []string{store.TargetFirstResponse, store.TargetResolution} {
		met := metOf(h, name, 1)
		var due time.Time
		for _, ts := range sched.Targets {
			if string(ts.Target) == name {
				due = ts.Due
				x.fired = append(x.fired, firedSteps(ts.Steps, met, f, o.Now)...)
			}
		}
		if !due.IsZero() || !met.IsZero() {
			x.h.Targets = append(x.h.Targets, store.HistoryTarget{Target: name, Cycle: 1, Start: h.CreatedAt, Due: due, Met: met})
		}
	}
	for _, tg := range h.Targets {
		if tg.Target != store.TargetNextResponse || x.policy == nil {
			continue
		}
		tl := x.tl
		tl.CustomerReply = tg.Start
		var due time.Time
		for _, ts := range x.policy.Schedule(tl).Targets {
			if ts.Target == rules.NextResponse {
				due = ts.Due
				x.fired = append(x.fired, firedSteps(ts.Steps, tg.Met, f, o.Now)...)
			}
		}
		x.h.Targets = append(x.h.Targets, store.HistoryTarget{Target: tg.Target, Cycle: tg.Cycle, Start: tg.Start, Due: due, Met: tg.Met})
	}
	for _, st := range x.fired {
		x.h.Events = append(x.h.Events, store.HistoryEvent{At: st.FireAt, Kind: store.EventEscalation, Value: st.ID})
	}
	sort.SliceStable(x.h.Events, func(i, j int) bool { return x.h.Events[i].At.Before(x.h.Events[j].At) })
	return x
}

// firedSteps are the ladder steps that would have fired: their time came
// by now, no later than the target was met, and while the ticket was open
// (the daemon fires each step at its time; a step due the very moment
// staff act fires first).
func firedSteps(steps []rules.StepTime, met time.Time, f facts, now time.Time) []rules.StepTime {
	var out []rules.StepTime
	for _, st := range steps {
		if st.FireAt.IsZero() || st.FireAt.After(now) || (!met.IsZero() && st.FireAt.After(met)) || !f.openAt(st.FireAt) {
			continue
		}
		out = append(out, st)
	}
	return out
}

// actualSteps are the actions of the steps that really fired (by their
// recorded IDs in the current rules) and how many the rules no longer name.
func actualSteps(h store.HistoryTicket, cur *rules.Rules) ([]rules.StepTime, int) {
	var out []rules.StepTime
	unknown := 0
	for _, e := range h.Events {
		if e.Kind != store.EventEscalation {
			continue
		}
		st, ok := stepByID(cur, e.Value)
		if !ok {
			unknown++
			continue
		}
		out = append(out, st)
	}
	return out, unknown
}

// stepByID finds a ladder step by its ID policy/target/index.
func stepByID(r *rules.Rules, id string) (rules.StepTime, bool) {
	if r == nil {
		return rules.StepTime{}, false
	}
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return rules.StepTime{}, false
	}
	j := strings.LastIndexByte(id[:i], '/')
	n, err := strconv.Atoi(id[i+1:])
	if j < 0 || err != nil {
		return rules.StepTime{}, false
	}
	p := r.PolicyByName(id[:j])
	if p == nil {
		return rules.StepTime{}, false
	}
	ladder := p.Ladders[rules.Target(id[j+1:i])]
	if n < 0 || n >= len(ladder) {
		return rules.StepTime{}, false
	}
	return rules.StepTime{ID: id, Target: rules.Target(id[j+1 : i]), Index: n, At: ladder[n].At, Actions: ladder[n].Actions}, true
}

func newSide(pools bool) Side {
	s := Side{Types: map[string]int{}, Levels: map[string]int{}, Assignees: map[string]int{}}
	if pools {
		s.Pools = map[string]int{}
	}
	return s
}

// count adds a ticket to the side's per-type, level, assignee and pool
// counts.
func (s *Side) count(h store.HistoryTicket, r *rules.Rules, pool string) {
	s.Types[dash(h.Type)]++
	level := "-"
	if r != nil {
		if t, ok := r.TypeByCode(h.Type); ok && t.Level != "" {
			level = t.Level
		}
	}
	s.Levels[level]++
	who := "-"
	if h.Assignee > 0 {
		who = "user " + strconv.FormatInt(h.Assignee, 10)
	}
	s.Assignees[who]++
	if s.Pools != nil {
		s.Pools[dash(pool)]++
	}
}

// countSteps adds fired steps and their actions.
func (s *Side) countSteps(steps []rules.StepTime, unknown int) {
	s.Escalations += len(steps) + unknown
	s.UnknownSteps += unknown
	for _, st := range steps {
		s.Notifications += len(st.Actions.Notify)
		if st.Actions.Reassign != "" {
			s.Reassignments++
		}
		s.FieldSets += len(st.Actions.Set)
		if st.Actions.Workflow > 0 {
			s.Workflows++
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
