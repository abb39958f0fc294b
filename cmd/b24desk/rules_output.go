package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/b24desk/b24desk/rules"
)

// decisionJSON is the --json output of `rules test`.
type decisionJSON struct {
	Type             string           `json:"type"`
	Priority         string           `json:"priority"`
	Tier             string           `json:"tier"`
	ClassifyRule     string           `json:"classify_rule"`
	ClassifyRules    []rules.Match    `json:"classify_rules"`
	RouteRule        string           `json:"route_rule"`
	Pool             string           `json:"pool"`
	Assignee         int              `json:"assignee"`
	Observers        []int            `json:"observers"`
	SLAPolicy        string           `json:"sla_policy"`
	Calendar         string           `json:"calendar"`
	FirstResponseDue string           `json:"first_response_due"`
	NextResponseDue  string           `json:"next_response_due,omitempty"`
	ResolutionDue    string           `json:"resolution_due"`
	Escalations      []escalationJSON `json:"escalations"`
	Spam             *spamVerdict     `json:"spam,omitempty"`
}

type escalationJSON struct {
	At      string        `json:"at"`
	Target  string        `json:"target"`
	Step    string        `json:"step"`
	Actions rules.Actions `json:"actions"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func writeDecisionJSON(w io.Writer, r *rules.Rules, d rules.Decision, sv *spamVerdict) error {
	out := decisionJSON{Spam: sv,
		Type: d.Type, Priority: d.Priority, Tier: d.Tier,
		ClassifyRules: d.Rules, RouteRule: d.Route.Rule, Pool: d.Route.Pool,
		Assignee: d.Route.User, Observers: d.Route.Observers,
		Escalations: []escalationJSON{},
	}
	if out.Observers == nil {
		out.Observers = []int{}
	}
	if out.ClassifyRules == nil {
		out.ClassifyRules = []rules.Match{}
	}
	if n := len(d.Rules); n > 0 {
		out.ClassifyRule = d.Rules[n-1].Rule
	}
	if d.Policy != nil {
		out.SLAPolicy = d.Policy.Name
		out.Calendar = d.Policy.Calendar.Name
		for _, t := range d.Schedule.Targets {
			switch t.Target {
			case rules.FirstResponse:
				out.FirstResponseDue = stamp(t.Due)
			case rules.NextResponse:
				out.NextResponseDue = stamp(t.Due)
			case rules.Resolution:
				out.ResolutionDue = stamp(t.Due)
			}
			for _, s := range t.Steps {
				out.Escalations = append(out.Escalations, escalationJSON{At: stamp(s.FireAt), Target: string(t.Target), Step: s.At, Actions: s.Actions})
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func writeDecisionText(w io.Writer, r *rules.Rules, in *rules.Input, d rules.Decision, at time.Time) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	if in.Lead != nil {
		p("input:     lead %s %q", orNone(in.Lead["ID"]), in.Subject)
	} else {
		p("input:     mail from %s, subject %q", orNone(in.From), in.Subject)
	}
	p("at:        %s", at.Format(time.RFC3339))
	switch {
	case d.TierRule != nil:
		p("tier:      %s  (%s)", d.Tier, d.TierRule.Why)
	case d.Tier != "":
		p("tier:      %s  (from the input)", d.Tier)
	default:
		p("tier:      (none: no tier matched)")
	}
	if len(d.Rules) == 0 {
		p("classify:  no rule matched")
	}
	for _, m := range d.Rules {
		p("classify:  %q: %s", m.Rule, m.Why)
	}
	typ := orNone(d.Type)
	if t, ok := r.TypeByCode(d.Type); ok {
		typ = fmt.Sprintf("%s (%s, %s)", t.Code, t.Name, t.Level)
	}
	p("type:      %s", typ)
	p("priority:  %s", orNone(d.Priority))
	switch {
	case !d.Routed:
		p("route:     not routed: assigned to %s already", in.Ticket.Assignee)
	case d.Route.Rule == "":
		p("route:     no route rule matched")
	default:
		p("route:     %q: %s", d.Route.Rule, d.Route.Why)
		fb := ""
		if d.Route.Fallback {
			fb = " (fallback: nobody in the pool is available)"
		}
		p("assignee:  user %d from pool %s%s", d.Route.User, d.Route.Pool, fb)
		if len(d.Route.Observers) > 0 {
			p("observers: %s", joinInts(d.Route.Observers))
		}
	}
	if d.Policy == nil {
		p("sla:       no policy matched")
		return
	}
	cal := d.Policy.Calendar
	extra := ""
	if cal.AlwaysOpen() {
		extra = ", open 24/7"
	}
	p("sla:       policy %q on calendar %s (%s%s)", d.Policy.Name, cal.Name, cal.Location, extra)
	for _, t := range d.Schedule.Targets {
		p("  %-15s due %s", t.Target, t.Due.In(cal.Location).Format(time.RFC3339))
		for _, s := range t.Steps {
			p("    step %-6s fires %s: %s", s.At, s.FireAt.In(cal.Location).Format(time.RFC3339), describeActions(s.Actions))
		}
	}
}

func describeActions(a rules.Actions) string {
	var parts []string
	if len(a.Notify) > 0 {
		parts = append(parts, "notify "+strings.Join(a.Notify, ", "))
	}
	for k, v := range a.Set {
		parts = append(parts, fmt.Sprintf("set %s=%s", k, v))
	}
	if a.Reassign != "" {
		parts = append(parts, "reassign to pool "+a.Reassign)
	}
	if a.Workflow != 0 {
		parts = append(parts, fmt.Sprintf("start workflow %d", a.Workflow))
	}
	return strings.Join(parts, "; ")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
