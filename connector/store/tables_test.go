package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

var t0 = time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)

func TestCursorAndThread(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if _, found, err := s.Cursor(ctx, "support"); err != nil || found {
		t.Fatalf("fresh cursor: found=%v err=%v", found, err)
	}
	want := Cursor{Mailbox: "support", UIDValidity: 7, LastUID: 42, LastOKAt: t0}
	if err := s.SetCursor(ctx, want); err != nil {
		t.Fatal(err)
	}
	want.LastUID = 43
	if err := s.SetCursor(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Cursor(ctx, "support")
	if err != nil || !found || got != want {
		t.Fatalf("cursor = %+v %v %v, want %+v", got, found, err, want)
	}

	if err := s.PutThread(ctx, ThreadEntry{MessageID: "<a@x>", LeadID: 5, Direction: DirectionIn}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutThread(ctx, ThreadEntry{MessageID: "<a@x>", LeadID: 6, Direction: DirectionOut}, t0); err != nil {
		t.Fatal(err)
	}
	e, found, err := s.LookupThread(ctx, "<none@x>", "", "<a@x>")
	if err != nil || !found || e.LeadID != 5 || e.Direction != DirectionIn {
		t.Fatalf("lookup = %+v %v %v", e, found, err)
	}
	if _, found, _ := s.LookupThread(ctx, "<none@x>"); found {
		t.Fatal("unknown Message-ID found")
	}
}

func TestMessages(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	m := Message{DedupeKey: "k1", Mailbox: "support", UID: 9, MessageID: "<m@x>", Raw: []byte("raw mail")}
	id, created, err := s.SpoolMessage(ctx, m, t0)
	if err != nil || !created {
		t.Fatalf("spool: %v %v", created, err)
	}
	id2, created, err := s.SpoolMessage(ctx, m, t0)
	if err != nil || created || id2 != id {
		t.Fatalf("second spool: id %d/%d created %v err %v", id2, id, created, err)
	}
	spooled, err := s.MessagesInState(ctx, MessageSpooled, 0)
	if err != nil || len(spooled) != 1 || string(spooled[0].Raw) != "raw mail" {
		t.Fatalf("spooled = %+v %v", spooled, err)
	}
	if err := s.MarkMessage(ctx, "k1", MessageTicketed, 77, "", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkMessage(ctx, "k1", MessageDone, 0, "", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Message(ctx, "k1")
	if err != nil || got.State != MessageDone || got.LeadID != 77 || !got.CreatedAt.Equal(t0) {
		t.Fatalf("message = %+v %v", got, err)
	}
	if err := s.MarkMessage(ctx, "nope", MessageDone, 0, "", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark unknown: %v", err)
	}
	if _, err := s.Message(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
}

func TestTickets(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	tk := ticket.Ticket{
		LeadID: 10, OriginID: "mail:1", Type: "B24D_TECH", Status: "NEW", Assignee: 3, Tier: "enterprise",
		Priority: "high", Policy: "std", Requester: "a@b.c", CreatedAt: t0,
		FirstResponseDue: t0.Add(2 * time.Hour), ResolutionDue: t0.Add(48 * time.Hour),
		PausedTotal: 90 * time.Second, NextDueAt: t0.Add(90 * time.Minute), SLAState: "ok",
		LastWritten: json.RawMessage(`{"UF_CRM_B24D_SLA_STATE":"1"}`),
	}
	if err := s.UpsertTicket(ctx, tk, t0); err != nil {
		t.Fatal(err)
	}
	late := tk
	late.LeadID, late.OriginID, late.NextDueAt = 11, "", t0.Add(3*time.Hour)
	if err := s.UpsertTicket(ctx, late, t0); err != nil {
		t.Fatal(err)
	}
	closed := tk
	closed.LeadID, closed.OriginID, closed.NextDueAt, closed.ClosedAt = 12, "mail:3", t0, t0
	if err := s.UpsertTicket(ctx, closed, t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got.OriginID != tk.OriginID || !got.FirstResponseDue.Equal(tk.FirstResponseDue) || got.PausedTotal != tk.PausedTotal ||
		!got.FirstResponseMet.IsZero() || string(got.LastWritten) != string(tk.LastWritten) || got.Requester != "a@b.c" {
		t.Fatalf("ticket round trip: %+v", got)
	}
	byOrigin, err := s.TicketByOrigin(ctx, "mail:1")
	if err != nil || byOrigin.LeadID != 10 {
		t.Fatalf("by origin: %+v %v", byOrigin, err)
	}
	due, err := s.DueTickets(ctx, t0.Add(2*time.Hour), 0)
	if err != nil || len(due) != 1 || due[0].LeadID != 10 {
		t.Fatalf("due = %+v %v (closed ticket 12 and not-yet-due 11 must be left out)", due, err)
	}
	open, err := s.OpenTickets(ctx, 0, 0)
	if err != nil || len(open) != 2 {
		t.Fatalf("open = %d %v", len(open), err)
	}
	got.FirstResponseMet = t0.Add(time.Hour)
	if err := s.UpsertTicket(ctx, got, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got2, _ := s.Ticket(ctx, 10)
	if !got2.FirstResponseMet.Equal(t0.Add(time.Hour)) || !got2.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("update lost: %+v", got2)
	}
	if _, err := s.Ticket(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing ticket: %v", err)
	}
}

func TestStepsEventsRoutingSchema(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	step := StepDone{LeadID: 1, Target: "resolution", Step: "80pct", DoneAt: t0}
	for i, want := range []bool{true, false} {
		isNew, err := s.MarkStepDone(ctx, step)
		if err != nil || isNew != want {
			t.Fatalf("mark step #%d: new=%v err=%v", i, isNew, err)
		}
	}
	if steps, _ := s.StepsDone(ctx, 1); len(steps) != 1 || !steps[0].DoneAt.Equal(t0) {
		t.Fatalf("steps = %+v", steps)
	}
	if err := s.ClearSteps(ctx, 1, "resolution"); err != nil {
		t.Fatal(err)
	}
	if steps, _ := s.StepsDone(ctx, 1); len(steps) != 0 {
		t.Fatalf("steps after clear = %+v", steps)
	}
	for i, want := range []bool{true, false} {
		isNew, err := s.SeenEvent(ctx, "ONCRMLEADUPDATE:7:123", t0)
		if err != nil || isNew != want {
			t.Fatalf("seen #%d: new=%v err=%v", i, isNew, err)
		}
	}
	if err := s.SetRoutingPosition(ctx, "l1", 3); err != nil {
		t.Fatal(err)
	}
	if pos, err := s.RoutingPosition(ctx, "l1"); err != nil || pos != 3 {
		t.Fatalf("pos = %d %v", pos, err)
	}
	if pos, err := s.RoutingPosition(ctx, "l2"); err != nil || pos != 0 {
		t.Fatalf("unset pos = %d %v", pos, err)
	}
	if err := s.PutSchemaValue(ctx, "enum:UF_CRM_B24D_PRIORITY", "high", "45"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.SchemaValue(ctx, "enum:UF_CRM_B24D_PRIORITY", "high"); err != nil || !ok || v != "45" {
		t.Fatalf("schema value = %q %v %v", v, ok, err)
	}
	if m, err := s.SchemaMap(ctx, "enum:UF_CRM_B24D_PRIORITY"); err != nil || m["high"] != "45" || len(m) != 1 {
		t.Fatalf("schema map = %v %v", m, err)
	}
}

func TestRefreshTokenTakesTurns(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if err := s.SaveToken(ctx, Token{AccessToken: "a0", RefreshToken: "r0"}, t0); err != nil {
		t.Fatal(err)
	}
	// Two refreshers that both saw access token a0 fail: only one may spend
	// the refresh token; the other must find the new pair and keep it.
	var mu sync.Mutex
	spent := map[string]int{}
	refresh := func(ctx context.Context, cur Token, found bool) (Token, error) {
		if !found {
			return Token{}, errors.New("no token")
		}
		if cur.AccessToken != "a0" {
			return cur, nil
		}
		mu.Lock()
		spent[cur.RefreshToken]++
		mu.Unlock()
		return Token{AccessToken: "a1", RefreshToken: "r1", ExpiresAt: t0.Add(time.Hour)}, nil
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := s.RefreshToken(ctx, t0, refresh); err != nil || tok.AccessToken != "a1" {
				t.Errorf("refresh = %v %v", tok.AccessToken, err)
			}
		}()
	}
	wg.Wait()
	if spent["r0"] != 1 {
		t.Fatalf("refresh token r0 spent %d times, want 1", spent["r0"])
	}
	tok, found, err := s.LoadToken(ctx)
	if err != nil || !found || tok.RefreshToken != "r1" || !tok.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("stored token: %v %v", found, err)
	}
	if got := tok.String(); got != "store.Token{redacted}" {
		t.Fatalf("token prints %q", got)
	}
}

func TestOutboxRowsAndPrune(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	add := func(key, group string) int64 {
		id, created, err := s.EnqueueOutbox(ctx, OutboxRow{Kind: "k", Payload: json.RawMessage(`{}`), DedupeKey: key, GroupKey: group}, t0)
		if err != nil || !created {
			t.Fatalf("enqueue %s: %v %v", key, created, err)
		}
		return id
	}
	a1, a2, b1 := add("a1", "g:a"), add("a2", "g:a"), add("b1", "")
	if _, created, _ := s.EnqueueOutbox(ctx, OutboxRow{Kind: "k", Payload: json.RawMessage(`{}`), DedupeKey: "a1"}, t0); created {
		t.Fatal("duplicate dedupe key enqueued")
	}
	ids := func() []int64 {
		rows, err := s.DueOutbox(ctx, t0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(); len(got) != 2 || got[0] != a1 || got[1] != b1 {
		t.Fatalf("due = %v, want [%d %d] (a2 waits behind a1)", got, a1, b1)
	}
	r, _ := s.OutboxRowByID(ctx, a1)
	r.State = OutboxParked
	if err := s.UpdateOutbox(ctx, r, t0); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 1 || got[0] != b1 {
		t.Fatalf("due = %v: a parked row must block its group", got)
	}
	r.State, r.Result = OutboxDone, json.RawMessage(`"55"`)
	if err := s.UpdateOutbox(ctx, r, t0); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 2 || got[0] != a2 {
		t.Fatalf("due = %v after a1 done", got)
	}
	if res, ok, err := s.OutboxGroupResult(ctx, "g:a", "k"); err != nil || !ok || string(res) != `"55"` {
		t.Fatalf("group result = %s %v %v", res, ok, err)
	}
	st, err := s.OutboxStats(ctx)
	if err != nil || st.Pending != 2 || st.Parked != 0 || !st.OldestPending.Equal(t0) {
		t.Fatalf("stats = %+v %v", st, err)
	}

	// Retention: finished history and raw copies of finished mails go, work stays.
	if _, _, err := s.SpoolMessage(ctx, Message{DedupeKey: "m-old-done", Raw: []byte("x"), State: MessageDone}, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SpoolMessage(ctx, Message{DedupeKey: "m-old-spooled", Raw: []byte("x")}, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SpoolMessage(ctx, Message{DedupeKey: "m-new-done", Raw: []byte("x"), State: MessageDone}, t0.Add(40*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(ctx, t0.Add(45*24*time.Hour), 30*24*time.Hour)
	if err != nil || res.RawMails != 1 || res.OutboxHistory != 1 {
		t.Fatalf("prune = %+v %v", res, err)
	}
	for key, wantRaw := range map[string]bool{"m-old-done": false, "m-old-spooled": true, "m-new-done": true} {
		m, err := s.Message(ctx, key)
		if err != nil || (m.Raw != nil) != wantRaw {
			t.Errorf("%s: raw kept = %v, want %v (%v)", key, m.Raw != nil, wantRaw, err)
		}
	}
	if _, err := s.OutboxRowByID(ctx, a1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("done row not pruned: %v", err)
	}
}
