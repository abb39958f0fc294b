package sla_test

import (
	"context"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/sla"
)

// TestSchedulerTicksWithInjectedClock: the cron schedule only triggers the
// tick; the time the tick works with is the injected clock's, far from the
// wall clock here (March 2026), as the recorded step and next due time show.
func TestSchedulerTicksWithInjectedClock(t *testing.T) {
	created := time.Date(2026, 3, 10, 10, 0, 0, 0, msk)
	e := newClockEnv(t, created)
	if err := e.st.UpsertTicket(context.Background(), newTicket(1, created), created); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 12, 30, 0, 0, msk) // past the 2h first response
	e.clk.Set(now)

	s, err := sla.NewScheduler(e.sla, "@every 1s")
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()

	deadline := time.Now().Add(30 * time.Second) // a bound against hanging, not a timing assertion
	for len(e.stepsDone(t, 1)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no tick ran within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	steps := e.stepsDone(t, 1)
	if len(steps) != 1 || steps[0].Step != "enterprise/first_response/1" || !steps[0].DoneAt.Equal(now) {
		t.Fatalf("steps %+v, want the 100%% step done at the injected time %v", steps, now)
	}
	tk, err := e.st.Ticket(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !tk.NextDueAt.After(now) || tk.NextDueAt.Year() != 2026 {
		t.Fatalf("next due %v, want after the injected time %v", tk.NextDueAt, now)
	}
}

func TestNewSchedulerRejectsBadSpec(t *testing.T) {
	e := newClockEnv(t, time.Date(2026, 3, 10, 10, 0, 0, 0, msk))
	for _, spec := range []string{"@every nonsense", "* * *", "@sometimes"} {
		if _, err := sla.NewScheduler(e.sla, spec); err == nil {
			t.Errorf("spec %q accepted", spec)
		}
	}
	if _, err := sla.NewScheduler(e.sla, ""); err != nil {
		t.Errorf("default spec: %v", err)
	}
}
