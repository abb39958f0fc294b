package rules

import (
	"fmt"
	"sort"
	"time"
)

// Interval is a span of time; a zero End means it has not ended yet.
type Interval struct {
	Start, End time.Time
}

// Timeline is what the SLA clock needs to know about a ticket.
type Timeline struct {
	// Created is when the ticket was created: first response and resolution
	// count from here, also after a reclassification.
	Created time.Time
	// CustomerReply is the customer's latest reply after a staff answer; the
	// next_response target counts from it (zero: none).
	CustomerReply time.Time
	// Paused are the spans the ticket spent in a waiting stage.
	Paused []Interval
}

// Schedule is a policy applied to a ticket: each target's deadline and the
// fire times of its escalation steps.
type Schedule struct {
	Policy  string
	Targets []TargetSchedule
	// PastDataEnd is true when a deadline or step time lies after the last
	// date the calendar's holiday data covers: it was computed as if every
	// later weekday were an ordinary working day. The caller logs and
	// counts it (rules does no I/O).
	PastDataEnd bool
}

// TargetSchedule is one target's deadline and ladder.
type TargetSchedule struct {
	Target Target
	// Start is when the target's clock started.
	Start time.Time
	// Due is the deadline; zero while the ticket is paused before reaching it.
	Due time.Time
	// Paused is true when the deadline is unknown because the clock is paused.
	Paused bool
	Steps  []StepTime
}

// StepTime is an escalation step with its fire time.
type StepTime struct {
	// ID identifies the step for "done" bookkeeping: policy/target/index.
	ID     string
	Target Target
	Index  int
	At     string
	// FireAt is when the step fires (zero while paused before it).
	FireAt  time.Time
	Actions Actions
}

// Policy returns the first SLA policy whose condition holds for the input
// (with its decided ticket fields), or nil.
func (r *Rules) Policy(in *Input) *Policy {
	ev := newEval(in, r.BodyLimit)
	for _, p := range r.SLA {
		if p.When.eval0(ev) {
			return p
		}
	}
	return nil
}

// PolicyByName returns the policy with the name, or nil.
func (r *Rules) PolicyByName(name string) *Policy {
	for _, p := range r.SLA {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Schedule computes the policy's deadlines and step fire times for a
// ticket. Business time on the policy's calendar excludes the paused spans.
// A working-days target is converted to the working time it spans from the
// start, so pauses push it like any other. Steps falling outside working
// hours fire at the next opening unless the calendar is 24/7. After a
// reclassification call it with the new policy and the same timeline.
func (p *Policy) Schedule(tl Timeline) Schedule {
	s := Schedule{Policy: p.Name}
	pauses := mergePauses(tl.Paused)
	for _, t := range allTargets() {
		d, ok := p.Targets[t]
		if !ok {
			continue
		}
		start := tl.Created
		if t == NextResponse {
			if tl.CustomerReply.IsZero() {
				continue
			}
			start = tl.CustomerReply
		}
		ts := p.target(t, d, start, pauses)
		s.PastDataEnd = s.PastDataEnd || (!ts.Due.IsZero() && p.Calendar.PastDataEnd(ts.Due))
		for _, st := range ts.Steps {
			s.PastDataEnd = s.PastDataEnd || (!st.FireAt.IsZero() && p.Calendar.PastDataEnd(st.FireAt))
		}
		s.Targets = append(s.Targets, ts)
	}
	return s
}

func (p *Policy) target(t Target, d Duration, start time.Time, pauses []Interval) TargetSchedule {
	cal := p.Calendar
	ts := TargetSchedule{Target: t, Start: start}
	budget := d.Business
	if d.WorkingDays > 0 {
		due := cal.AddWorkingDays(start, d.WorkingDays)
		budget = cal.Elapsed(cal.NextOpen(start), due)
		if !pausedAfter(pauses, start) {
			ts.Due = due
		}
	}
	if ts.Due.IsZero() {
		due, ok := addPaused(cal, start, budget, pauses)
		ts.Due, ts.Paused = due, !ok
	}
	for i, st := range p.Ladders[t] {
		pos := budget * time.Duration(st.Percent) / 100
		if st.HasOffset {
			pos = budget + st.Offset
		}
		if pos < 0 {
			pos = 0
		}
		at, ok := addPaused(cal, start, pos, pauses)
		if ok && !cal.AlwaysOpen() && !cal.IsOpen(at) {
			at = cal.NextOpen(at)
		}
		ts.Steps = append(ts.Steps, StepTime{
			ID: fmt.Sprintf("%s/%s/%d", p.Name, t, i), Target: t, Index: i,
			At: st.At, FireAt: at, Actions: st.Actions,
		})
	}
	return ts
}

// Due returns, per target, the latest step whose fire time has come, unless
// it is done already: after downtime only the latest step of a ladder fires,
// never a burst. done reports whether a step ID was carried out.
func (s Schedule) Due(done func(id string) bool, now time.Time) []StepTime {
	var out []StepTime
	for _, t := range s.Targets {
		var latest *StepTime
		for i := range t.Steps {
			st := &t.Steps[i]
			if st.FireAt.IsZero() || st.FireAt.After(now) {
				continue
			}
			if latest == nil || !st.FireAt.Before(latest.FireAt) {
				latest = st
			}
		}
		if latest != nil && (done == nil || !done(latest.ID)) {
			out = append(out, *latest)
		}
	}
	return out
}

// Next returns the earliest fire time after now among steps not done, and
// false when none is left; the scheduler sleeps until then.
func (s Schedule) Next(done func(id string) bool, now time.Time) (time.Time, bool) {
	var best time.Time
	for _, t := range s.Targets {
		for _, st := range t.Steps {
			if st.FireAt.IsZero() || !st.FireAt.After(now) || (done != nil && done(st.ID)) {
				continue
			}
			if best.IsZero() || st.FireAt.Before(best) {
				best = st.FireAt
			}
		}
	}
	return best, !best.IsZero()
}

// addPaused returns the instant after start at which d of unpaused working
// time has passed; false when a pause that has not ended comes first.
func addPaused(cal *Calendar, start time.Time, d time.Duration, pauses []Interval) (time.Time, bool) {
	t, rem := start, d
	for _, p := range pauses {
		if !p.End.IsZero() && !p.End.After(t) {
			continue
		}
		ps := p.Start
		if ps.Before(t) {
			ps = t
		}
		if seg := cal.Elapsed(t, ps); seg >= rem {
			return cal.Add(t, rem), true
		} else {
			rem -= seg
		}
		if p.End.IsZero() {
			return time.Time{}, false
		}
		t = p.End
	}
	return cal.Add(t, rem), true
}

func pausedAfter(pauses []Interval, start time.Time) bool {
	for _, p := range pauses {
		if p.End.IsZero() || p.End.After(start) {
			return true
		}
	}
	return false
}

// mergePauses sorts pauses and merges overlapping ones; an open pause ends
// the list.
func mergePauses(in []Interval) []Interval {
	ps := make([]Interval, 0, len(in))
	for _, p := range in {
		if p.End.IsZero() || p.End.After(p.Start) {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Start.Before(ps[j].Start) })
	var out []Interval
	for _, p := range ps {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.End.IsZero() {
				break
			}
			if !p.Start.After(last.End) {
				if p.End.IsZero() || p.End.After(last.End) {
					last.End = p.End
				}
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
