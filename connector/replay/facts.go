package replay

import (
	"strconv"
	"time"

	"github.com/b24desk/b24desk/connector/report"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// facts are what a recorded ticket says about people, independent of the
// rules: when it waited for the customer, was closed, reopened, answered,
// and whether staff changed its type, tier or assignee after intake.
type facts struct {
	pauses     []rules.Interval
	closed     []rules.Interval // closed (or deleted) spans; End zero: still closed
	staffType  bool             // a type set after the intake's (reclassified)
	staffTier  bool
	reassigned bool  // an assignee set after the intake's
	firstUser  int64 // the assignee the intake chose (0: none)
}

func factsOf(h store.HistoryTicket) facts {
	var f facts
	var types, tiers, users int
	for _, e := range h.Events {
		switch e.Kind {
		case store.EventType:
			types++
		case store.EventTier:
			tiers++
		case store.EventAssignee:
			users++
			if users == 1 {
				f.firstUser, _ = strconv.ParseInt(e.Value, 10, 64)
			}
		}
	}
	f.pauses = report.Spans(h.Events, []string{store.EventPaused}, store.EventResumed)
	f.closed = report.Spans(h.Events, []string{store.EventClosed, store.EventDeleted}, store.EventReopened)
	f.staffType, f.staffTier, f.reassigned = types > 1, tiers > 1, users > 1
	return f
}

// metOf is the recorded time staff met the target's cycle (zero: not met).
func metOf(h store.HistoryTicket, target string, cycle int) time.Time {
	for _, tg := range h.Targets {
		if tg.Target == target && tg.Cycle == cycle {
			return tg.Met
		}
	}
	return time.Time{}
}

// openAt reports whether the ticket was open (not closed or deleted) at
// t; at the very moment it closes it still counts as open, at the moment
// it reopens still as closed.
func (f facts) openAt(t time.Time) bool {
	for _, c := range f.closed {
		if t.After(c.Start) && (c.End.IsZero() || !t.After(c.End)) {
			return false
		}
	}
	return true
}
