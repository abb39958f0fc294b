package replay

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/report"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Target outcomes as a change shows them.
const (
	outcomeMet      = "met"
	outcomeBreached = "breached"
)

// outcomes judges a record's first response and resolution the way the
// report does (report.Compute over the one ticket): met, breached, or ""
// (pending or no such target).
func outcomes(h store.HistoryTicket, r *rules.Rules, o Options) (fr, res string) {
	rep, err := report.Compute([]store.HistoryTicket{h}, report.Options{From: h.CreatedAt, Now: o.Now, Rules: r})
	if err != nil {
		return "", ""
	}
	judge := func(ts report.TargetStats) string {
		switch {
		case ts.Met > 0:
			return outcomeMet
		case ts.Breached > 0:
			return outcomeBreached
		}
		return ""
	}
	return judge(rep.Total.FirstResponse), judge(rep.Total.Resolution)
}

// changes lists the targets whose outcome flips between met and breached
// under the new rules, each with its reason.
func changes(h store.HistoryTicket, x replayed, o Options) []Change {
	fr0, res0 := outcomes(h, o.Current, o)
	fr1, res1 := outcomes(x.h, o.New, o)
	var out []Change
	for _, c := range []struct {
		target        string
		before, after string
	}{{store.TargetFirstResponse, fr0, fr1}, {store.TargetResolution, res0, res1}} {
		if c.before == "" || c.after == "" || c.before == c.after {
			continue
		}
		ch := Change{LeadID: h.LeadID, Target: c.target, Before: c.before, After: c.after,
			DueBefore: dueOf(h, c.target), DueAfter: dueOf(x.h, c.target), Met: metOf(h, c.target, 1)}
		ch.Reason, ch.Detail = reason(h, x, rules.Target(c.target), o.Current)
		out = append(out, ch)
	}
	return out
}

// reason tells why a target's outcome changed: another policy applies, the
// same policy has another target, or its calendar counts other hours.
func reason(h store.HistoryTicket, x replayed, target rules.Target, cur *rules.Rules) (string, string) {
	name := ""
	if x.policy != nil {
		name = x.policy.Name
	}
	if h.Policy != name {
		why := ""
		switch {
		case h.Type != x.h.Type:
			why = fmt.Sprintf(" (type %s → %s)", dash(h.Type), dash(x.h.Type))
		case h.Tier != x.h.Tier:
			why = fmt.Sprintf(" (tier %s → %s)", dash(h.Tier), dash(x.h.Tier))
		case h.Priority != x.h.Priority:
			why = fmt.Sprintf(" (priority %s → %s)", dash(h.Priority), dash(x.h.Priority))
		}
		return ReasonPolicy, fmt.Sprintf("policy %s → %s%s", dash(h.Policy), dash(name), why)
	}
	var old *rules.Policy
	if cur != nil {
		old = cur.PolicyByName(h.Policy)
	}
	if old == nil {
		return ReasonUnknown, "policy " + dash(name)
	}
	if od, nd := old.Targets[target], x.policy.Targets[target]; od != nd {
		return ReasonTarget, fmt.Sprintf("policy %s %s %s → %s", name, target, duration(od), duration(nd))
	}
	if old.Calendar.Name != x.policy.Calendar.Name {
		return ReasonCalendar, fmt.Sprintf("policy %s calendar %s → %s", name, old.Calendar.Name, x.policy.Calendar.Name)
	}
	if dueUnder(old, x.tl, target).Equal(dueUnder(x.policy, x.tl, target)) {
		return ReasonRecorded, "the recorded deadline was computed under rules in force earlier"
	}
	return ReasonCalendar, fmt.Sprintf("policy %s calendar %s: working hours or holidays differ", name, x.policy.Calendar.Name)
}

func dueUnder(p *rules.Policy, tl rules.Timeline, target rules.Target) time.Time {
	for _, ts := range p.Schedule(tl).Targets {
		if ts.Target == target {
			return ts.Due
		}
	}
	return time.Time{}
}

func dueOf(h store.HistoryTicket, target string) time.Time {
	for _, tg := range h.Targets {
		if tg.Target == target && tg.Cycle == 1 {
			return tg.Due
		}
	}
	return time.Time{}
}

// duration shows a target length as the rules file writes it.
func duration(d rules.Duration) string {
	switch {
	case d.IsZero():
		return "none"
	case d.WorkingDays > 0:
		return strconv.Itoa(d.WorkingDays) + " working days"
	}
	s := d.Business.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
