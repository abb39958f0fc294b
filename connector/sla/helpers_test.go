package sla_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// msk is the example rules' calendar zone.
var msk = time.FixedZone("MSK", 3*3600)

// clockEnv is a state, an outbox that is never run (writes only queue) and
// the SLA clock with the example rules, on a manual clock.
type clockEnv struct {
	clk *clock.Manual
	st  *store.Store
	sla *sla.Clock
}

func newClockEnv(tb testing.TB, start time.Time) clockEnv {
	tb.Helper()
	r, _, err := rules.Load("../../config/rules.example.yaml", start)
	if err != nil {
		tb.Fatalf("rules: %v", err)
	}
	st, err := store.Open(context.Background(), tb.TempDir(), zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	clk := clock.NewManual(start)
	ob := outbox.New(st, nil, clk, zerolog.Nop(), outbox.Config{Jitter: -1})
	c, err := sla.New(sla.Options{Store: st, Outbox: ob, Rules: func() *rules.Rules { return r },
		Clock: clk, Log: zerolog.Nop()})
	if err != nil {
		tb.Fatal(err)
	}
	return clockEnv{clk: clk, st: st, sla: c}
}

// newTicket is an enterprise ticket created at created, due to be looked at
// then.
func newTicket(id int64, created time.Time) ticket.Ticket {
	return ticket.Ticket{LeadID: id, OriginID: "mail:" + strconv.FormatInt(id, 10), Type: "B24D_TECH", Status: "NEW",
		Assignee: 11, Tier: "enterprise", Priority: "normal", Policy: "enterprise", CreatedAt: created,
		NextDueAt: created, SLAState: schema.StateOK}
}

// stepsDone returns the escalation steps recorded for the ticket.
func (e clockEnv) stepsDone(tb testing.TB, id int64) []store.StepDone {
	tb.Helper()
	var out []store.StepDone
	err := e.st.WithTx(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = tx.StepsDone(context.Background(), id)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
