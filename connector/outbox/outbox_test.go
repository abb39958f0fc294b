package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/rs/zerolog"
)

var t0 = time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	dir    string
	clk    *clock.Manual
	portal *fakePortal
	st     *store.Store
	ob     *Outbox
}

func newHarness(t *testing.T, p *fakePortal) *harness {
	h := &harness{t: t, dir: t.TempDir(), clk: clock.NewManual(t0), portal: p}
	h.open()
	t.Cleanup(func() { _ = h.st.Close() })
	return h
}

// open (re)opens the state and builds a fresh outbox, as a restart does.
func (h *harness) open() {
	st, err := store.Open(context.Background(), h.dir, zerolog.Nop())
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	h.ob = New(st, h.portal, h.clk, zerolog.Nop(), Config{Jitter: -1})
	h.ob.OnDone(KindLeadAdd, func(ctx context.Context, tx *store.Tx, row Row, result json.RawMessage) error {
		id, err := LeadIDFromResult(result)
		if err != nil {
			return err
		}
		return tx.PutSetting(ctx, "lead:"+row.DedupeKey, fmt.Sprint(id))
	})
}

// restart simulates a crash: the store is closed without any cleanup and
// opened again by a new outbox.
func (h *harness) restart() {
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// drain runs the outbox, moving the clock to the next due time between rounds and
// restarting after a crash, until nothing is left to deliver.
func (h *harness) drain() {
	h.t.Helper()
	for range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		h.portal.mu.Lock()
		h.portal.crash = cancel
		h.portal.mu.Unlock()
		err := h.ob.Flush(ctx)
		crashed := ctx.Err() != nil
		cancel()
		if crashed {
			h.restart()
			continue
		}
		if err != nil {
			h.t.Fatalf("flush: %v", err)
		}
		st, err := h.ob.Stats(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if st.Depth == 0 {
			return
		}
		next, found, err := h.st.NextOutboxDue(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if !found {
			return // rows blocked behind a parked row never become due by themselves
		}
		h.clk.Set(later(h.clk.Now().Add(time.Second), next))
	}
	h.t.Fatal("outbox never drained")
}

func (h *harness) enqueue(e Entry) int64 {
	h.t.Helper()
	id, created, err := h.ob.Enqueue(context.Background(), nil, e)
	if err != nil || !created {
		h.t.Fatalf("enqueue %s: created=%v err=%v", e.DedupeKey, created, err)
	}
	return id
}

// enqueueTicket queues a new ticket's writes in one transaction, as intake does.
func (h *harness) enqueueTicket(origin string) {
	h.t.Helper()
	group := GroupFor(origin)
	err := h.st.WithTx(context.Background(), func(tx *store.Tx) error {
		entries := []Entry{
			{Kind: KindLeadAdd, DedupeKey: origin, GroupKey: group,
				Payload: map[string]any{"fields": map[string]any{"TITLE": "Printer on fire", "SOURCE_ID": "B24D_TECH"}}},
			{Kind: KindTimelineComment, DedupeKey: origin + ":comment", GroupKey: group,
				Payload: map[string]any{"fields": map[string]any{"ENTITY_ID": LeadID, "ENTITY_TYPE": "lead", "COMMENT": "hello"}}},
			{Kind: KindTodoAdd, DedupeKey: origin + ":todo", GroupKey: group,
				Payload: map[string]any{"ownerTypeId": 1, "ownerId": LeadID, "deadline": "2026-05-14T11:00:00+00:00", "description": "SLA"}},
			{Kind: KindNotify, DedupeKey: origin + ":notify", GroupKey: group,
				Payload: map[string]any{"USER_ID": 1, "MESSAGE": "New ticket [URL=/crm/lead/details/" + LeadID + "/]#" + LeadID + "[/URL]"}},
		}
		for _, e := range entries {
			if _, _, err := h.ob.Enqueue(context.Background(), tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func TestExactlyOnceUnderFaults(t *testing.T) {
	storm := func(f fault, n int) []fault { return slices.Repeat([]fault{f}, n) }
	tests := []struct {
		name   string
		faults []fault
	}{
		{"no faults", nil},
		{"timeout with the write applied", []fault{timeoutAfter}},
		{"write applied after the client gave up", []fault{lateApply}},
		{"503 storm", storm(limit503, 30)},
		{"429 operating limit", storm(limit429, 3)},
		{"portal down", storm(down, 8)},
		{"crash between call and commit", []fault{crash}},
		{"every step unlucky", []fault{timeoutAfter, ok, lateApply, crash, timeoutAfter, down, lateApply}},
		{"comment timeout then crash", []fault{ok, timeoutAfter, crash, crash}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newFakePortal(tt.faults...))
			h.enqueueTicket("mail:1")
			h.enqueueTicket("mail:1") // a second intake of the same mail is a no-op
			h.drain()

			if n := h.portal.leadsWithOrigin("mail:1"); n != 1 {
				t.Fatalf("%d leads with ORIGIN_ID mail:1, want 1", n)
			}
			if n := h.portal.commentsWith(Marker("mail:1:comment")); n != 1 {
				t.Fatalf("%d comments with the marker, want 1", n)
			}
			h.portal.mu.Lock()
			todos, notes := len(h.portal.todos), h.portal.notes["b24d:mail:1:notify"]
			calls := slices.Clone(h.portal.calls)
			var comment map[string]any
			for _, c := range h.portal.comments {
				comment = c
			}
			h.portal.mu.Unlock()
			if todos != 1 || notes < 1 {
				t.Fatalf("todos=%d notifications=%d, want 1 and ≥1 (a repeat replaces)", todos, notes)
			}
			// Order: nothing of the group before its lead exists.
			first := slices.Index(calls, "crm.lead.add")
			for i, c := range calls[:first] {
				t.Fatalf("call %d %s before crm.lead.add", i, c)
			}
			// The placeholder became the lead's ID, recorded by the hook.
			leadID, ok, err := h.st.Setting(context.Background(), "lead:mail:1")
			if err != nil || !ok {
				t.Fatalf("OnDone hook did not record the lead: %v %v", ok, err)
			}
			if fmt.Sprint(comment["ENTITY_ID"]) != leadID {
				t.Fatalf("comment on %v, want lead %s", comment["ENTITY_ID"], leadID)
			}
			st, _ := h.ob.Stats(context.Background())
			if st.Depth != 0 || st.Parked != 0 {
				t.Fatalf("stats after drain = %+v", st)
			}
		})
	}
}

func TestLimitsOnlyDelay(t *testing.T) {
	h := newHarness(t, newFakePortal(limit503, limit503, limit503, limit429))
	id := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "u1", Payload: map[string]any{"id": 5, "fields": map[string]any{"TITLE": "x"}}})
	ctx := context.Background()
	for range 4 {
		if err := h.ob.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		r, _ := h.st.OutboxRowByID(ctx, id)
		if r.Attempts != 0 || r.State != store.OutboxPending || !r.NextAttemptAt.After(h.clk.Now()) {
			t.Fatalf("after a limit: attempts=%d state=%s next=%v", r.Attempts, r.State, r.NextAttemptAt)
		}
		h.clk.Advance(time.Minute)
	}
	if err := h.ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := h.st.OutboxRowByID(ctx, id)
	if r.State != store.OutboxDone || r.Attempts != 1 || string(r.Result) != "true" {
		t.Fatalf("row = %+v", r)
	}
}

func TestBackoffSchedule(t *testing.T) {
	h := newHarness(t, newFakePortal(down, down, down, down))
	h.ob.cfg.UnknownDelay = time.Second
	id := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "u1", Payload: map[string]any{"id": 5}})
	ctx := context.Background()
	for i, want := range []time.Duration{5 * time.Second, 15 * time.Second, time.Minute, 5 * time.Minute} {
		if err := h.ob.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		r, _ := h.st.OutboxRowByID(ctx, id)
		if got := r.NextAttemptAt.Sub(h.clk.Now()); got != want || r.Attempts != i+1 {
			t.Fatalf("attempt %d: next in %v (attempts %d), want %v", i+1, got, r.Attempts, want)
		}
		if !strings.Contains(r.LastError, "transient") {
			t.Fatalf("last error %q", r.LastError)
		}
		h.clk.Set(r.NextAttemptAt)
	}
	for range 3 {
		if got := delayAfter(DefaultBackoff(), 50, 0.1, nil); got < 54*time.Minute || got > 66*time.Minute {
			t.Fatalf("jittered late delay %v, want 1h ± 10%%", got)
		}
	}
}

func TestParkedKeepsErrorAndBlocksGroup(t *testing.T) {
	h := newHarness(t, newFakePortal(invalid))
	h.enqueueTicket("mail:2")
	ctx := context.Background()
	h.drain()
	parked, err := h.st.OutboxInState(ctx, store.OutboxParked, 0)
	if err != nil || len(parked) != 1 || parked[0].Kind != KindLeadAdd {
		t.Fatalf("parked = %+v %v", parked, err)
	}
	if !strings.Contains(parked[0].LastError, "ERROR_CORE") {
		t.Fatalf("parked error lost: %q", parked[0].LastError)
	}
	h.portal.mu.Lock()
	ncalls := len(h.portal.calls)
	h.portal.mu.Unlock()
	if ncalls != 1 {
		t.Fatalf("%d calls: the group went on past a parked lead.add", ncalls)
	}
	h.clk.Set(t0.Add(time.Minute))
	st, _ := h.ob.Stats(ctx)
	if st.Parked != 1 || st.Depth != 3 || st.OldestAge != time.Minute {
		t.Fatalf("stats = %+v", st)
	}
	if err := h.ob.Retry(ctx, parked[0].ID); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if n := h.portal.leadsWithOrigin("mail:2"); n != 1 {
		t.Fatalf("%d leads after retry", n)
	}
	if err := h.ob.Retry(ctx, parked[0].ID); err == nil {
		t.Fatal("retry of a done row accepted")
	}
}

func TestDropUnblocksGroup(t *testing.T) {
	h := newHarness(t, newFakePortal(invalid))
	ctx := context.Background()
	a := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "a", GroupKey: "g", Payload: map[string]any{"id": 1}})
	b := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "b", GroupKey: "g", Payload: map[string]any{"id": 1}})
	h.drain()
	if err := h.ob.Drop(ctx, a); err != nil {
		t.Fatal(err)
	}
	h.drain()
	rb, _ := h.st.OutboxRowByID(ctx, b)
	ra, _ := h.st.OutboxRowByID(ctx, a)
	if rb.State != store.OutboxDone || ra.State != store.OutboxDropped {
		t.Fatalf("a=%s b=%s", ra.State, rb.State)
	}
}

func TestPlaceholderWithoutLeadParks(t *testing.T) {
	h := newHarness(t, newFakePortal())
	id := h.enqueue(Entry{Kind: KindTimelineComment, DedupeKey: "c", GroupKey: "g",
		Payload: map[string]any{"fields": map[string]any{"ENTITY_ID": LeadID, "COMMENT": "x"}}})
	h.drain()
	r, _ := h.st.OutboxRowByID(context.Background(), id)
	if r.State != store.OutboxParked || !strings.Contains(r.LastError, "no done lead.add") {
		t.Fatalf("row = %s %q", r.State, r.LastError)
	}
}

func TestHookFailureCompletesLater(t *testing.T) {
	h := newHarness(t, newFakePortal())
	fail := true
	h.ob.OnDone(KindLeadAdd, func(context.Context, *store.Tx, Row, json.RawMessage) error {
		if fail {
			return errors.New("disk trouble")
		}
		return nil
	})
	h.enqueue(Entry{Kind: KindLeadAdd, DedupeKey: "mail:3", Payload: map[string]any{"fields": map[string]any{}}})
	ctx := context.Background()
	if err := h.ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := h.st.Setting(ctx, "lead:mail:3"); ok {
		t.Fatal("the first hook's write survived the failed completion")
	}
	fail = false
	h.drain()
	if n := h.portal.leadsWithOrigin("mail:3"); n != 1 {
		t.Fatalf("%d leads", n)
	}
	if _, ok, _ := h.st.Setting(ctx, "lead:mail:3"); !ok {
		t.Fatal("completion never ran")
	}
}

func TestEnqueueUnknownKind(t *testing.T) {
	h := newHarness(t, newFakePortal())
	_, _, err := h.ob.Enqueue(context.Background(), nil, Entry{Kind: "nope", DedupeKey: "x", Payload: 1})
	if !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("err = %v", err)
	}
}

func TestRunWakesOnEnqueue(t *testing.T) {
	h := newHarness(t, newFakePortal())
	h.ob.cfg.MaxIdle = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.ob.Run(ctx) }()
	id := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "w", Payload: map[string]any{"id": 1}})
	for range 500 {
		r, err := h.st.OutboxRowByID(context.Background(), id)
		if err == nil && r.State == store.OutboxDone {
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	t.Fatal("Run did not deliver the row it was woken for")
}

// TestParkedRowAlarm: a parked row sends one notification to each alert
// user (queued in the outbox, tagged with the row), and a refused alarm
// does not raise an alarm of its own.
func TestParkedRowAlarm(t *testing.T) {
	h := newHarness(t, newFakePortal(invalid, invalid))
	h.ob = New(h.st, h.portal, h.clk, zerolog.Nop(), Config{Jitter: -1, AlertUsers: []int64{1, 7}})
	id := h.enqueue(Entry{DedupeKey: "u", GroupKey: GroupFor("5"),
		Payload: LeadUpdate{ID: LeadOf(5), Fields: map[string]any{"TITLE": "x"}, Params: Feed(false)}})
	h.drain()
	r, _ := h.st.OutboxRowByID(context.Background(), id)
	if r.State != store.OutboxParked {
		t.Fatalf("row %s, want parked", r.State)
	}
	// The first alarm was refused too (parked, no alarm of its own); the
	// second went out.
	tag := fmt.Sprintf("b24d:parked:%d", id)
	h.portal.mu.Lock()
	sent := h.portal.notes[tag]
	h.portal.mu.Unlock()
	if sent != 1 {
		t.Fatalf("%d alarms with TAG %s delivered, want 1", sent, tag)
	}
	st, _ := h.ob.Stats(context.Background())
	if st.Parked != 2 || st.Depth != 0 {
		t.Fatalf("stats %+v: want the write and one alarm parked, nothing else left", st)
	}
	parked, _ := h.st.OutboxInState(context.Background(), store.OutboxParked, 0)
	for _, p := range parked {
		if line := ParkedLine(p); !strings.Contains(line, fmt.Sprintf("row %d", p.ID)) || !strings.Contains(line, "ERROR_CORE") {
			t.Errorf("parked line %q", line)
		}
	}
}

// TestUnknownWaitsFromTheFailure: a write whose call took longer than the
// lookup delay (2 minutes of a 90 s delay) and whose outcome is unknown is
// looked up no sooner than the lookup delay after the call ended, not at
// once while it may still land (a late write would then be sent again).
func TestUnknownWaitsFromTheFailure(t *testing.T) {
	p := newFakePortal(timeoutAfter)
	h := newHarness(t, p)
	p.during = func() { h.clk.Advance(2 * time.Minute) }
	id := h.enqueue(Entry{Kind: KindLeadAdd, DedupeKey: "slow",
		Payload: map[string]any{"fields": map[string]any{"TITLE": "Slow", "ORIGIN_ID": "slow", "ORIGINATOR_ID": OriginatorID}}})
	ctx := context.Background()
	if err := h.ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := h.st.OutboxRowByID(ctx, id)
	failedAt := t0.Add(2 * time.Minute)
	if r.State != store.OutboxUnknown || r.NextAttemptAt.Before(failedAt.Add(90*time.Second)) {
		t.Fatalf("after a slow unknown outcome: state %s, next attempt %v, want unknown, not before %v",
			r.State, r.NextAttemptAt, failedAt.Add(90*time.Second))
	}
	p.during = nil
	h.drain()
	if n := p.leadsWithOrigin("slow"); n != 1 {
		t.Fatalf("%d leads, want 1", n)
	}
}
