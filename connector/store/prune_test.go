package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
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

// The leads of pruneTickets' tickets.
const (
	open          = 10
	closed        = 11 // closed long ago: a customer reply can still reopen it
	deletedNow    = 12 // deleted yesterday
	deletedOld    = 13 // deleted before the cutoff
	deletedInside = 14 // deleted a minute after the cutoff
)

// pruneTickets opens a state with a mail ticket of each lead above,
// created at start, and the time (now) and retention to prune it with.
func pruneTickets(t *testing.T) (s *Store, start, now time.Time, retention time.Duration) {
	t.Helper()
	ctx := context.Background()
	s = openTest(t, t.TempDir())
	start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now = start.Add(45 * 24 * time.Hour)
	retention = 30 * 24 * time.Hour
	deleted := map[int64]time.Time{open: {}, closed: {}, deletedNow: now.Add(-24 * time.Hour),
		deletedOld: start.Add(24 * time.Hour), deletedInside: now.Add(-retention).Add(time.Minute)}
	for _, lead := range []int64{open, closed, deletedNow, deletedOld, deletedInside} {
		tt := ticket.Ticket{LeadID: lead, OriginID: fmt.Sprint("m-", lead), Type: "B24D_TECH", Status: "NEW",
			Requester: fmt.Sprintf("ivan%d@client.example", lead), CreatedAt: start,
			LastWritten: json.RawMessage(`{"STATUS_ID":"NEW"}`)}
		if lead == closed {
			tt.Status, tt.ClosedAt = "CONVERTED", start.Add(time.Hour)
		}
		if err := s.UpsertTicket(ctx, tt, start); err != nil {
			t.Fatal(err)
		}
		if at := deleted[lead]; !at.IsZero() {
			tt.Delete(at) // desk's transition, saved when the deletion is seen
			if err := s.UpsertTicket(ctx, tt, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s, start, now, retention
}

// TestPruneTicketState: the per-ticket tables keep the rows of open,
// closed and recently deleted tickets, and lose those of tickets deleted
// longer than the retention ago and of leads the state has no ticket
// for; mail drafts go once their lead.add will never be done.
func TestPruneTicketState(t *testing.T) {
	ctx := context.Background()
	s, start, now, retention := pruneTickets(t)
	const noTicket = 15 // state of a lead the store has no ticket for
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
	return columnOf[int64](t, s, `SELECT DISTINCT lead_id FROM `+table+` ORDER BY lead_id`)
}

// columnOf reads the values of the one column the query selects.
func columnOf[T any](t *testing.T, s *Store, query string, args ...any) []T {
	t.Helper()
	rows, err := s.q.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPruneForgetsDeletedTickets: the rows a ticket deleted longer than
// the retention ago keeps lose their personal data (requester, its mails'
// Message-ID and note, its thread's Message-IDs, hashed: still found),
// everything else in them stays; open, closed and recently deleted
// tickets keep theirs.
func TestPruneForgetsDeletedTickets(t *testing.T) {
	ctx := context.Background()
	s, start, now, retention := pruneTickets(t)
	tickets := []int64{open, closed, deletedNow, deletedOld, deletedInside}
	mid := func(lead int64, n string) string { return fmt.Sprintf("%s-%d@client.example", n, lead) }
	for _, lead := range tickets {
		for i, st := range []MessageState{MessageDone, MessageReplied, MessageSpooled} {
			m := Message{DedupeKey: fmt.Sprintf("mbox:support/1/%d%d", lead, i), Mailbox: "support", UIDValidity: 1,
				UID: uint32(lead*10) + uint32(i), MessageID: mid(lead, string(st)), State: st, LeadID: lead, Error: "note " + string(st)}
			if _, _, err := s.SpoolMessage(ctx, m, start); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range []ThreadEntry{{MessageID: mid(lead, "in"), LeadID: lead, Direction: DirectionIn},
			{MessageID: mid(lead, "out"), LeadID: lead, Direction: DirectionOut}} {
			if err := s.PutThread(ctx, e, start); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := map[int64]ticket.Ticket{}
	for _, lead := range tickets {
		tt, err := s.Ticket(ctx, lead)
		if err != nil {
			t.Fatal(err)
		}
		before[lead] = tt
	}

	res, err := s.Prune(ctx, now, retention)
	if err != nil {
		t.Fatal(err)
	}
	// Lead 13: its ticket row, two handled mails, two thread entries.
	if res.PersonalData != 5 {
		t.Errorf("prune = %+v, want 5 rows of personal data forgotten", res)
	}
	for _, lead := range tickets {
		forgotten := lead == deletedOld
		tt, err := s.Ticket(ctx, lead)
		if err != nil {
			t.Fatal(err)
		}
		want := before[lead]
		if forgotten {
			want.Requester = ""
		}
		if !reflect.DeepEqual(tt, want) {
			t.Errorf("ticket %d after prune:\n %+v\nwant\n %+v", lead, tt, want)
		}
		for i, st := range []MessageState{MessageDone, MessageReplied, MessageSpooled} {
			m, err := s.Message(ctx, fmt.Sprintf("mbox:support/1/%d%d", lead, i))
			if err != nil {
				t.Fatal(err)
			}
			wantID, wantNote := mid(lead, string(st)), "note "+string(st)
			if forgotten && st != MessageSpooled { // a spooled mail is still work
				wantID, wantNote = "", ""
			}
			if m.MessageID != wantID || m.Error != wantNote || m.LeadID != lead || m.State != st ||
				m.Mailbox != "support" || m.UID != uint32(lead*10)+uint32(i) {
				t.Errorf("mail %d/%s after prune: %+v, want Message-ID %q, note %q", lead, st, m, wantID, wantNote)
			}
		}
		for _, dir := range []Direction{DirectionIn, DirectionOut} {
			id := mid(lead, string(dir))
			e, found, err := s.LookupThread(ctx, "unknown@client.example", id)
			if err != nil || !found || e.LeadID != lead || e.Direction != dir {
				t.Errorf("thread entry %s after prune: %+v %v %v, want lead %d", id, e, found, err, lead)
			}
			if stored := threadKeysOf(t, s, lead); forgotten == slices.Contains(stored, id) {
				t.Errorf("thread keys of lead %d: %v; Message-ID %s kept = %v, want %v", lead, stored, id, !forgotten, !forgotten)
			}
		}
	}

	// A Message-ID of the forgotten thread recorded again (a copy of a
	// mail read again) is forgotten by the next run; the hash stays once.
	if err := s.PutThread(ctx, ThreadEntry{MessageID: mid(deletedOld, "in"), LeadID: deletedOld, Direction: DirectionIn}, now); err != nil {
		t.Fatal(err)
	}
	again, err := s.Prune(ctx, now, retention)
	if err != nil || again.PersonalData != 1 {
		t.Errorf("second prune = %+v, %v; want the one entry recorded again", again, err)
	}
	if keys := threadKeysOf(t, s, deletedOld); len(keys) != 2 || !strings.HasPrefix(keys[0], hashedThreadPrefix) || !strings.HasPrefix(keys[1], hashedThreadPrefix) {
		t.Errorf("thread keys of the forgotten ticket: %v, want two hashes", keys)
	}
	if e, found, err := s.LookupThread(ctx, mid(deletedOld, "in")); err != nil || !found || e.LeadID != deletedOld {
		t.Errorf("forgotten thread entry: %+v %v %v", e, found, err)
	}
	third, err := s.Prune(ctx, now, retention)
	if err != nil || third.PersonalData != 0 {
		t.Errorf("third prune = %+v, %v; want nothing more", third, err)
	}
}

// threadKeysOf lists the thread index keys of the lead, sorted.
func threadKeysOf(t *testing.T, s *Store, lead int64) []string {
	t.Helper()
	return columnOf[string](t, s, `SELECT message_id FROM thread_index WHERE lead_id = ? ORDER BY message_id`, lead)
}
