package report

import (
	"slices"
	"time"

	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// ticket is one history record with what the figures need: its policy's
// calendar and its pause spans.
type ticket struct {
	h      store.HistoryTicket
	cal    *rules.Calendar // nil: wall-clock hours
	pauses []rules.Interval
	now    time.Time
}

func newTicket(h store.HistoryTicket, o Options) ticket {
	tk := ticket{h: h, now: o.Now}
	if o.Rules != nil {
		if p := o.Rules.PolicyByName(h.Policy); p != nil {
			tk.cal = p.Calendar
		}
	}
	tk.pauses = Spans(h.Events, []string{store.EventPaused}, store.EventResumed)
	return tk
}

func (tk ticket) openNow() bool { return tk.h.ClosedAt.IsZero() && !tk.h.Deleted }

// workHours is the working time from a to b on the ticket's calendar, less
// the time paused in between when unpaused is true.
func (tk ticket) workHours(a, b time.Time, unpaused bool) float64 {
	d := tk.elapsed(a, b)
	if unpaused {
		d -= tk.pausedBetween(a, b)
	}
	if d < 0 {
		d = 0
	}
	return round(d.Hours())
}

func (tk ticket) elapsed(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if tk.cal == nil {
		return b.Sub(a)
	}
	return tk.cal.Elapsed(a, b)
}

// pausedBetween is the working time of the pauses within [a, b]; an open
// pause lasts until now.
func (tk ticket) pausedBetween(a, b time.Time) time.Duration {
	var sum time.Duration
	for _, p := range tk.pauses {
		s, e := p.Start, p.End
		if e.IsZero() {
			e = tk.now
		}
		if s.Before(a) {
			s = a
		}
		if e.After(b) {
			e = b
		}
		sum += tk.elapsed(s, e)
	}
	return sum
}

// pausedHours is the working time the ticket spent waiting for the
// customer (until now for a pause still open).
func (tk ticket) pausedHours() float64 {
	if len(tk.pauses) == 0 {
		return 0
	}
	return round(tk.pausedBetween(tk.h.CreatedAt, tk.now).Hours())
}

func (tk ticket) escalations() int {
	n := 0
	for _, e := range tk.h.Events {
		if e.Kind == store.EventEscalation {
			n++
		}
	}
	return n
}

type targetState int

const (
	stateNone targetState = iota // the policy has no such target
	stateMet
	stateBreached
	statePending
)

// outcome is a target's result: met in time, breached (met late, or its
// deadline passed unmet), or still pending; hours is the working time it
// took less pauses (-1 while unmet).
type outcome struct {
	state targetState
	hours float64
}

// outcome judges the target's first cycle (first response, resolution).
func (tk ticket) outcome(target string) outcome {
	for _, tg := range tk.h.Targets {
		if tg.Target != target || tg.Cycle != 1 {
			continue
		}
		switch {
		case !tg.Met.IsZero():
			o := outcome{state: stateMet, hours: tk.workHours(tg.Start, tg.Met, true)}
			if !tg.Due.IsZero() && tg.Met.After(tg.Due) {
				o.state = stateBreached
			}
			return o
		case !tg.Due.IsZero() && !tg.Due.After(tk.now):
			return outcome{state: stateBreached, hours: -1}
		case tk.openNow():
			return outcome{state: statePending, hours: -1} // also paused before its deadline
		default:
			return outcome{state: stateNone} // closed without a record of meeting it
		}
	}
	return outcome{state: stateNone}
}

// Spans are the intervals of a ticket's history that open with an event
// of one of the start kinds and close with the next end event (End zero:
// still open). A start while a span is open and an end while none is are
// ignored. Pauses: Spans(ev, {paused}, resumed); closed spans:
// Spans(ev, {closed, deleted}, reopened).
func Spans(events []store.HistoryEvent, start []string, end string) []rules.Interval {
	var out []rules.Interval
	var open time.Time
	for _, e := range events {
		switch {
		case slices.Contains(start, e.Kind):
			if open.IsZero() {
				open = e.At
			}
		case e.Kind == end:
			if !open.IsZero() {
				out = append(out, rules.Interval{Start: open, End: e.At})
				open = time.Time{}
			}
		}
	}
	if !open.IsZero() {
		out = append(out, rules.Interval{Start: open})
	}
	return out
}
