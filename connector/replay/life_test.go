package replay_test

import (
	"context"
	"maps"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// life builds a ticket history the way the daemon does: intake decides
// with the rules in force (rules.Decide, the routing positions in the
// state) and keeps the replay inputs; staff actions change the ticket's
// stage, pauses and met times; the real SLA clock (sla.Clock) recomputes
// deadlines and fires escalation steps at their times; the store records
// the history as it does in production.
type life struct {
	tb  testing.TB
	r   *rules.Rules
	st  *store.Store
	sla *sla.Clock
	clk *clock.Manual
	now time.Time
	// acts are the staff actions, run in time order by play.
	acts []act
}

type act struct {
	at     time.Time
	id     int64
	intake bool // do creates the ticket
	do     func(t *ticket.Ticket, tl *rules.Timeline, tx *store.Tx) error
}

func newLife(tb testing.TB, r *rules.Rules, start time.Time) *life {
	tb.Helper()
	st, err := store.Open(context.Background(), tb.TempDir(), zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	clk := clock.NewManual(start)
	ob := outbox.New(st, nil, clk, zerolog.Nop(), outbox.Config{Jitter: -1})
	c, err := sla.New(sla.Options{Store: st, Outbox: ob, Rules: func() *rules.Rules { return r }, Clock: clk, Log: zerolog.Nop()})
	if err != nil {
		tb.Fatal(err)
	}
	return &life{tb: tb, r: r, st: st, sla: c, clk: clk, now: start}
}

// mail is a ticket arriving by mail at at (intake runs when play reaches it).
func (l *life) mail(id int64, at time.Time, from, subject, body string) {
	l.acts = append(l.acts, act{at: at, id: id, intake: true, do: func(_ *ticket.Ticket, _ *rules.Timeline, tx *store.Tx) error {
		ctx := context.Background()
		in := rules.Input{Mailbox: "support", From: from, Subject: subject, Body: body}
		next, err := tx.RoutingPositions(ctx, maps.Keys(l.r.Pools))
		if err != nil {
			return err
		}
		d := l.r.Decide(in, rules.RouteState{Next: next}, at)
		if err := tx.SetRoutingPositions(ctx, next, d.State.Next); err != nil {
			return err
		}
		origin := "mail:" + strconv.FormatInt(id, 10)
		b, err := replay.Keep(l.r, in)
		if err != nil {
			return err
		}
		if err := tx.PutReplayInput(ctx, origin, at, b); err != nil {
			return err
		}
		t := ticket.Ticket{LeadID: id, OriginID: origin, Type: d.Type, Status: "NEW", Assignee: int64(d.Route.User),
			Tier: d.Tier, Priority: d.Priority, Policy: d.Schedule.Policy, Requester: from, CreatedAt: at,
			SLAState: schema.StateOK}
		return l.sla.Update(ctx, tx, &t, at)
	}})
}

// lead is a ticket that did not come by mail (a hand-made portal lead): it
// has no kept inputs.
func (l *life) lead(id int64, at time.Time, typ, tier, policy string, assignee int64) {
	l.acts = append(l.acts, act{at: at, id: id, intake: true, do: func(_ *ticket.Ticket, _ *rules.Timeline, tx *store.Tx) error {
		t := ticket.Ticket{LeadID: id, Type: typ, Status: "NEW", Assignee: assignee, Tier: tier, Policy: policy,
			Requester: "someone@lead.example", CreatedAt: at, SLAState: schema.StateOK}
		return l.sla.Update(context.Background(), tx, &t, at)
	}})
}

func (l *life) staff(id int64, at time.Time, f func(t *ticket.Ticket, tl *rules.Timeline)) {
	l.acts = append(l.acts, act{at: at, id: id, do: func(t *ticket.Ticket, tl *rules.Timeline, _ *store.Tx) error {
		f(t, tl)
		return nil
	}})
}

// answer: the assignee answers (the answered stage meets first response,
// and the next response after a customer's reply).
func (l *life) answer(id int64, at time.Time) {
	l.staff(id, at, func(t *ticket.Ticket, tl *rules.Timeline) {
		if !t.PausedSince.IsZero() {
			t.Resume(tl, at)
		}
		t.Status = "IN_PROCESS"
		if t.FirstResponseMet.IsZero() {
			t.FirstResponseMet = at
		}
		if !tl.CustomerReply.IsZero() && t.NextResponseMet.Before(tl.CustomerReply) {
			t.NextResponseMet = at
		}
	})
}

// reply: the customer writes again (desk.CustomerReplied): a next-response
// cycle starts, and a ticket waiting for them goes back to work.
func (l *life) reply(id int64, at time.Time) {
	l.acts = append(l.acts, act{at: at, id: id, do: func(t *ticket.Ticket, tl *rules.Timeline, tx *store.Tx) error {
		if err := tx.CustomerReplyHistory(context.Background(), id, at); err != nil {
			return err
		}
		tl.CustomerReply = at
		if t.Status == "B24D_WAIT" {
			t.Resume(tl, at)
			t.Status = "IN_PROCESS"
		}
		return tx.ClearSteps(context.Background(), id, string(rules.NextResponse))
	}})
}

// wait: staff ask the customer and wait (the clock pauses).
func (l *life) wait(id int64, at time.Time) {
	l.staff(id, at, func(t *ticket.Ticket, tl *rules.Timeline) {
		t.Status = "B24D_WAIT"
		t.Pause(tl, at)
	})
}

// close: staff close the ticket (resolution met).
func (l *life) close(id int64, at time.Time) {
	l.staff(id, at, func(t *ticket.Ticket, tl *rules.Timeline) {
		t.Resume(tl, at)
		t.Status = "PROCESSED"
		if t.FirstResponseMet.IsZero() {
			t.FirstResponseMet = at
		}
		t.ResolutionMet, t.ClosedAt, t.NextDueAt = at, at, time.Time{}
	})
}

// reopen: the ticket opens again (the resolution clock runs again).
func (l *life) reopen(id int64, at time.Time) {
	l.staff(id, at, func(t *ticket.Ticket, _ *rules.Timeline) {
		t.Status = "IN_PROCESS"
		t.ClosedAt, t.ResolutionMet = time.Time{}, time.Time{}
	})
}

// reassign: staff hand the ticket to another user.
func (l *life) reassign(id int64, at time.Time, user int64) {
	l.staff(id, at, func(t *ticket.Ticket, _ *rules.Timeline) { t.Assignee = user })
}

// play runs the actions in time order up to end, ticking the SLA clock at
// every due time in between as the scheduler does.
func (l *life) play(end time.Time) {
	l.tb.Helper()
	ctx := context.Background()
	sort.SliceStable(l.acts, func(i, j int) bool { return l.acts[i].at.Before(l.acts[j].at) })
	for _, a := range l.acts {
		l.tickUntil(a.at)
		l.clk.Set(a.at)
		err := l.st.WithTx(ctx, func(tx *store.Tx) error {
			if a.intake {
				return a.do(nil, nil, tx)
			}
			t, err := tx.Ticket(ctx, a.id)
			if err != nil {
				return err
			}
			tl, err := sla.LoadTimeline(ctx, tx, t)
			if err != nil {
				return err
			}
			if err := a.do(&t, &tl, tx); err != nil {
				return err
			}
			if err := sla.SaveTimeline(ctx, tx, t.LeadID, tl); err != nil {
				return err
			}
			return l.sla.Update(ctx, tx, &t, a.at)
		})
		if err != nil {
			l.tb.Fatalf("ticket %d at %s: %v", a.id, a.at, err)
		}
	}
	l.tickUntil(end)
	l.clk.Set(end)
}

// tickUntil runs the SLA clock at each ticket's next due time up to t.
func (l *life) tickUntil(t time.Time) {
	l.tb.Helper()
	ctx := context.Background()
	for range 10000 {
		due, err := l.st.DueTickets(ctx, t, 1)
		if err != nil {
			l.tb.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		at := due[0].NextDueAt
		l.clk.Set(at)
		if _, err := l.sla.Tick(ctx, at); err != nil {
			l.tb.Fatal(err)
		}
	}
	l.tb.Fatal("the SLA clock does not settle")
}

// history reads back the period's records and kept inputs.
func (l *life) history(from, to time.Time) ([]store.HistoryTicket, map[int64]rules.Input) {
	l.tb.Helper()
	ctx := context.Background()
	list, err := l.st.History(ctx, from, to)
	if err != nil {
		l.tb.Fatal(err)
	}
	raw, err := l.st.ReplayInputs(ctx, from, to)
	if err != nil {
		l.tb.Fatal(err)
	}
	inputs, bad := replay.DecodeAll(raw)
	if bad > 0 {
		l.tb.Fatalf("%d inputs unreadable", bad)
	}
	return list, inputs
}
