package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/rules"
)

func TestPruneOutboundMailAndAckCounts(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := start.Add(45 * 24 * time.Hour) // 2026-04-15
	retention := 30 * 24 * time.Hour      // cutoff 2026-03-16 09:00
	mails := []struct {
		key   string
		at    time.Time
		state MailOutState
		kept  bool
	}{
		{"old sent", start, MailSent, false},
		{"old failed", start, MailFailed, false},
		{"old sending", start, MailSending, true}, // unfinished work
		{"new sent", now.Add(-24 * time.Hour), MailSent, true},
		{"just inside", now.Add(-retention).Add(time.Minute), MailSent, true},
	}
	for i, m := range mails {
		if _, err := s.PutMailOut(ctx, MailOut{Key: m.key, LeadID: int64(i + 1), Kind: "reply",
			MessageID: m.key + "@b24desk", State: m.state}, m.at); err != nil {
			t.Fatal(err)
		}
	}
	acks := []struct {
		day  string
		kept bool
	}{
		{"2026-03-01", false},
		{"2026-03-14", false},
		{"2026-03-15", true}, // a day of margin before the cutoff's day
		{"2026-04-15", true},
	}
	for _, a := range acks {
		if ok, err := s.TakeAck(ctx, "c@example.com", a.day, 1); err != nil || !ok {
			t.Fatalf("take ack %s: %v %v", a.day, ok, err)
		}
	}

	for lead := range int64(2) { // live tickets: only the expiry prunes their echoes
		if err := s.UpsertTicket(ctx, ticket.Ticket{LeadID: lead + 1, Type: "B24D_TECH", CreatedAt: start}, start); err != nil {
			t.Fatal(err)
		}
	}
	echoes := map[int64]Echoes{
		1: {N: 2, Until: now.Add(-time.Second)}, // expired: pruned
		2: {N: 1, Until: now.Add(time.Minute)},  // still awaited: kept
	}
	for lead, x := range echoes {
		if err := s.PutExpectedEchoes(ctx, lead, x); err != nil {
			t.Fatal(err)
		}
	}

	res, err := s.Prune(ctx, now, retention)
	if err != nil {
		t.Fatal(err)
	}
	if res.MailOut != 2 || res.AckCounts != 2 || res.Echoes != 1 || res.TicketState != 0 {
		t.Errorf("prune = %+v, want 2 mail records, 2 ack counts and 1 echo record", res)
	}
	if x, err := s.ExpectedEchoes(ctx, 1); err != nil || x.N != 0 {
		t.Errorf("expired echoes of lead 1: %+v %v, want none", x, err)
	}
	if x, err := s.ExpectedEchoes(ctx, 2); err != nil || x != (Echoes{N: 1, Until: echoes[2].Until}) {
		t.Errorf("awaited echoes of lead 2: %+v %v, want %+v", x, err, echoes[2])
	}
	for _, m := range mails {
		_, err := s.MailOutByKey(ctx, m.key)
		if kept := err == nil; kept != m.kept {
			t.Errorf("%s: kept = %v, want %v (%v)", m.key, kept, m.kept, err)
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v", m.key, err)
		}
	}
	for _, a := range acks {
		// A kept count (1 of cap 1) refuses another; a pruned one takes it.
		ok, err := s.TakeAck(ctx, "c@example.com", a.day, 1)
		if err != nil {
			t.Fatal(err)
		}
		if kept := !ok; kept != a.kept {
			t.Errorf("ack day %s: kept = %v, want %v", a.day, kept, a.kept)
		}
	}

	again, err := s.Prune(ctx, now, retention)
	if err != nil || again.MailOut != 0 {
		t.Errorf("second prune = %+v, %v; want nothing more of the mail records", again, err)
	}
}

// TestPruneTicketState: the per-ticket tables keep the rows of open,
// closed and recently deleted tickets, and lose those of tickets deleted
// longer than the retention ago and of leads the state has no ticket
// for; mail drafts go once their lead.add will never be done.
func TestPruneTicketState(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := start.Add(45 * 24 * time.Hour)
	retention := 30 * 24 * time.Hour
	cutoff := now.Add(-retention)

	const (
		open          = 10
		closed        = 11 // closed long ago: a customer reply can still reopen it
		deletedNow    = 12 // deleted yesterday
		deletedOld    = 13 // deleted before the cutoff
		deletedInside = 14 // deleted a minute after the cutoff
		noTicket      = 15 // state of a lead the store has no ticket for
	)
	tickets := []struct {
		lead    int64
		deleted time.Time // zero: not deleted
	}{
		{open, time.Time{}}, {closed, time.Time{}}, {deletedNow, now.Add(-24 * time.Hour)},
		{deletedOld, start.Add(24 * time.Hour)}, {deletedInside, cutoff.Add(time.Minute)},
	}
	for _, tk := range tickets {
		tt := ticket.Ticket{LeadID: tk.lead, OriginID: fmt.Sprint("o-", tk.lead), Type: "B24D_TECH", Status: "NEW", CreatedAt: start}
		if tk.lead == closed {
			tt.Status, tt.ClosedAt = "CONVERTED", start.Add(time.Hour)
		}
		if err := s.UpsertTicket(ctx, tt, start); err != nil {
			t.Fatal(err)
		}
		if !tk.deleted.IsZero() {
			tt.Delete(tk.deleted) // desk's transition, saved when the deletion is seen
			if err := s.UpsertTicket(ctx, tt, tk.deleted); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, lead := range []int64{open, closed, deletedNow, deletedOld, deletedInside, noTicket} {
		err := s.WithTx(ctx, func(tx *Tx) error {
			tl := Timeline{CustomerReply: start, Paused: []rules.Interval{{Start: start, End: start.Add(time.Hour)}, {Start: start.Add(2 * time.Hour)}}}
			return errors.Join(
				tx.PutTicketTimeline(ctx, lead, tl),
				tx.PutTicketTodo(ctx, lead, 100+lead),
				tx.PutExpectedEchoes(ctx, lead, Echoes{N: 1, Until: now.Add(time.Minute)}), // not expired
				tx.QueueSpamLesson(ctx, SpamLesson{Lead: lead, Class: "spam", QueuedAt: start}),
				tx.PutSpamTaught(ctx, lead, "ham"),
				markStep(ctx, tx, StepDone{LeadID: lead, Target: TargetResolution, Step: "p1/resolution/0", DoneAt: start}))
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Drafts of mail tickets, each with its lead.add in some state.
	drafts := []struct {
		origin string
		at     time.Time
		row    OutboxState // "": no outbox row
		rowAt  time.Time
		kept   bool
	}{
		{"d-pending", start, OutboxPending, start, true}, // waits for its lead however old
		{"d-unknown", start, OutboxUnknown, start, true},
		{"d-parked", start, OutboxParked, start, true}, // an operator may retry it
		{"d-dropped", start, OutboxDropped, now.Add(-time.Hour), false},
		{"d-dropped-pruned", start, OutboxDropped, start, false}, // its row is pruned in the same run
		{"d-gone", start, "", time.Time{}, false},
		{"d-young-gone", now.Add(-24 * time.Hour), "", time.Time{}, true}, // within the retention
	}
	for _, d := range drafts {
		if err := s.PutMailDraft(ctx, MailDraft{Ticket: draftTicket(d.origin), Row: "k-" + d.origin}, d.at); err != nil {
			t.Fatal(err)
		}
		if d.row == "" {
			continue
		}
		id, _, err := s.EnqueueOutbox(ctx, OutboxRow{Kind: "lead.add", Payload: json.RawMessage(`{}`),
			DedupeKey: MailLeadKeyPrefix + d.origin, GroupKey: "ticket:" + d.origin}, d.at)
		if err != nil {
			t.Fatal(err)
		}
		if d.row != OutboxPending {
			if err := s.UpdateOutbox(ctx, OutboxRow{ID: id, State: d.row, NextAttemptAt: d.rowAt}, d.rowAt); err != nil {
				t.Fatal(err)
			}
		}
	}

	res, err := s.Prune(ctx, now, retention)
	if err != nil {
		t.Fatal(err)
	}
	// Leads 13 and 15 lose 8 rows each: a timeline, two pauses, a to-do,
	// echoes, a queued lesson, a taught class and an escalation step done.
	if res.TicketState != 16 || res.MailDrafts != 3 || res.Echoes != 0 {
		t.Errorf("prune = %+v, want 16 ticket state rows, 3 drafts, no expired echoes", res)
	}
	kept := []int64{open, closed, deletedNow, deletedInside}
	for _, table := range ticketStateTables {
		if got := leadsIn(t, s, table); !reflect.DeepEqual(got, kept) {
			t.Errorf("%s holds leads %v, want %v", table, got, kept)
		}
	}
	if tl, found, err := s.TicketTimeline(ctx, deletedInside); err != nil || !found || len(tl.Paused) != 2 {
		t.Errorf("timeline of a ticket deleted inside the retention: %+v %v %v, want it whole", tl, found, err)
	}
	if tt, err := s.Ticket(ctx, deletedOld); err != nil || !tt.Deleted {
		t.Errorf("the old deleted ticket's own row: %+v %v, want it kept, deleted", tt, err)
	}
	for _, d := range drafts {
		_, found, err := s.MailDraft(ctx, d.origin)
		if err != nil {
			t.Fatal(err)
		}
		if found != d.kept {
			t.Errorf("draft %s: kept = %v, want %v", d.origin, found, d.kept)
		}
	}

	again, err := s.Prune(ctx, now, retention)
	if err != nil || again.TicketState != 0 || again.MailDrafts != 0 {
		t.Errorf("second prune = %+v, %v; want no more ticket state or drafts", again, err)
	}
}

// markStep records the step done, failing unless it is new.
func markStep(ctx context.Context, tx *Tx, s StepDone) error {
	isNew, err := tx.MarkStepDone(ctx, s)
	if err == nil && !isNew {
		err = fmt.Errorf("step %+v was done already", s)
	}
	return err
}

// leadsIn lists the leads a per-ticket table holds rows of.
func leadsIn(t *testing.T, s *Store, table string) []int64 {
	t.Helper()
	rows, err := s.q.QueryContext(context.Background(), `SELECT DISTINCT lead_id FROM `+table+` ORDER BY lead_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var leads []int64
	for rows.Next() {
		var lead int64
		if err := rows.Scan(&lead); err != nil {
			t.Fatal(err)
		}
		leads = append(leads, lead)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return leads
}
