package store

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/rules"
)

func TestTicketTimeline(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if _, found, err := s.TicketTimeline(ctx, 1); found || err != nil {
		t.Fatalf("fresh timeline: found %v, %v", found, err)
	}
	want := Timeline{CustomerReply: t0.Add(time.Minute), Paused: []rules.Interval{
		{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)},
		{Start: t0.Add(3 * time.Hour)}, // open
	}}
	err := s.WithTx(ctx, func(tx *Tx) error { return tx.PutTicketTimeline(ctx, 1, want) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutTicketTimeline(ctx, 2, Timeline{}); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.TicketTimeline(ctx, 1)
	if err != nil || !found || !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline = %+v %v %v, want %+v", got, found, err, want)
	}
	// Saved again: the spans are replaced, not added to.
	want.Paused = want.Paused[:1]
	want.CustomerReply = time.Time{}
	if err := s.PutTicketTimeline(ctx, 1, want); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.TicketTimeline(ctx, 1); !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline saved again = %+v, want %+v", got, want)
	}
	if got, found, _ := s.TicketTimeline(ctx, 2); !found || got.CustomerReply.IsZero() != true || len(got.Paused) != 0 {
		t.Fatalf("other lead's timeline = %+v %v", got, found)
	}
}

func TestTicketTodo(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if _, found, err := s.TicketTodo(ctx, 7); found || err != nil {
		t.Fatalf("fresh to-do: found %v, %v", found, err)
	}
	for _, c := range []struct{ put, want int64 }{{55, 55}, {0, 0}, {-3, 0}, {56, 56}} {
		if err := s.PutTicketTodo(ctx, 7, c.put); err != nil {
			t.Fatal(err)
		}
		if id, found, err := s.TicketTodo(ctx, 7); !found || err != nil || id != c.want {
			t.Fatalf("after put %d: to-do %d %v %v, want %d", c.put, id, found, err, c.want)
		}
	}
	if _, found, _ := s.TicketTodo(ctx, 8); found {
		t.Fatal("another lead has the to-do")
	}
}

func TestExpectedEchoes(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if x, err := s.ExpectedEchoes(ctx, 3); x != (Echoes{}) || err != nil {
		t.Fatalf("fresh echoes = %+v, %v", x, err)
	}
	want := Echoes{N: 2, Until: t0.Add(2 * time.Minute)}
	if err := s.PutExpectedEchoes(ctx, 3, want); err != nil {
		t.Fatal(err)
	}
	if x, err := s.ExpectedEchoes(ctx, 3); x != want || err != nil {
		t.Fatalf("echoes = %+v, %v; want %+v", x, err, want)
	}
	if err := s.PutExpectedEchoes(ctx, 3, Echoes{N: 0, Until: want.Until}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ticket_echoes`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d echo rows left after none were expected (%v)", n, err)
	}
}

// draftTicket is a new ticket as the mail intake drafts it.
func draftTicket(origin string) ticket.Ticket {
	return ticket.Ticket{OriginID: origin, Type: "B24D_TECH", Status: "NEW", Assignee: 5, Tier: "gold",
		Priority: "high", Policy: "p1", Requester: "a@example.com", CreatedAt: t0,
		FirstResponseDue: t0.Add(time.Hour), ResolutionDue: t0.Add(8 * time.Hour), NextDueAt: t0.Add(48 * time.Minute),
		SLAState: "ok", LastWritten: json.RawMessage(`{"STATUS_ID":"NEW"}`), PausedTotal: 90 * time.Second}
}

func TestMailDraft(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if _, found, err := s.MailDraft(ctx, "o-1"); found || err != nil {
		t.Fatalf("fresh draft: found %v, %v", found, err)
	}
	want := MailDraft{Ticket: draftTicket("o-1"), MessageID: "<m1@x>", Row: "k1"}
	err := s.WithTx(ctx, func(tx *Tx) error { return tx.PutMailDraft(ctx, want, t0) })
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := s.MailDraft(ctx, "o-1")
	want.Ticket.UpdatedAt = t0
	if err != nil || !found || !reflect.DeepEqual(got, want) {
		t.Fatalf("draft = %+v %v %v\nwant %+v", got, found, err, want)
	}
	// Drafted again (the mail handled again): replaced whole.
	want.Ticket.Type, want.Ticket.ClosedAt, want.Row = "B24D_SALES", t0.Add(time.Second), "k2"
	if err := s.PutMailDraft(ctx, want, t0); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.MailDraft(ctx, "o-1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("draft replaced = %+v\nwant %+v", got, want)
	}
	if err := s.DeleteMailDraft(ctx, "o-1"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.MailDraft(ctx, "o-1"); found {
		t.Fatal("draft found after delete")
	}
	if err := s.PutMailDraft(ctx, MailDraft{Ticket: ticket.Ticket{Type: "x"}}, t0); err == nil {
		t.Fatal("a draft without an origin was stored")
	}
	bad := MailDraft{Ticket: draftTicket("o-2")}
	bad.Ticket.LastWritten = json.RawMessage(`{`)
	if err := s.PutMailDraft(ctx, bad, t0); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("a draft with a broken last-written: %v", err)
	}
}

func TestMailWait(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if w, err := s.MailWaitOf(ctx, "k1"); w != (MailWait{}) || err != nil {
		t.Fatalf("fresh wait = %+v, %v", w, err)
	}
	want := MailWait{Outbox: "mail.lead:o-1", Lead: 9, Quarantine: true}
	if err := s.PutMailWait(ctx, "k1", want); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMailWait(ctx, "k2", MailWait{Lead: 10}); err != nil {
		t.Fatal(err)
	}
	if w, err := s.MailWaitOf(ctx, "k1"); w != want || err != nil {
		t.Fatalf("wait = %+v, %v; want %+v", w, err, want)
	}
	want.Quarantine = false
	if err := s.PutMailWait(ctx, "k1", want); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.MailWaitOf(ctx, "k1"); w != want {
		t.Fatalf("wait replaced = %+v; want %+v", w, want)
	}
	if err := s.DeleteMailWait(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.MailWaitOf(ctx, "k1"); w != (MailWait{}) {
		t.Fatalf("wait after delete = %+v", w)
	}
	if w, _ := s.MailWaitOf(ctx, "k2"); w.Lead != 10 {
		t.Fatalf("other mail's wait = %+v", w)
	}
}

func TestSpamLessonQueue(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	for _, l := range []SpamLesson{{Lead: 3, Class: "spam", QueuedAt: t0}, {Lead: 1, Class: "ham", QueuedAt: t0},
		{Lead: 3, Class: "ham", QueuedAt: t0.Add(time.Minute)}} {
		if err := s.QueueSpamLesson(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SpamLessons(ctx, 10)
	want := []SpamLesson{{Lead: 1, Class: "ham", QueuedAt: t0}, {Lead: 3, Class: "ham", QueuedAt: t0.Add(time.Minute)}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("lessons = %+v, %v; want %+v", got, err, want)
	}
	if got, _ := s.SpamLessons(ctx, 1); len(got) != 1 || got[0].Lead != 1 {
		t.Fatalf("first page = %+v", got)
	}
	if l, found, err := s.SpamLessonOf(ctx, 3); !found || err != nil || l != want[1] {
		t.Fatalf("lesson of 3 = %+v %v %v", l, found, err)
	}
	if err := s.DeleteSpamLesson(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.SpamLessonOf(ctx, 3); found {
		t.Fatal("lesson found after delete")
	}
	if c, err := s.SpamTaught(ctx, 3); c != "" || err != nil {
		t.Fatalf("taught before = %q, %v", c, err)
	}
	for _, c := range []string{"spam", "ham"} {
		if err := s.PutSpamTaught(ctx, 3, c); err != nil {
			t.Fatal(err)
		}
		if got, err := s.SpamTaught(ctx, 3); got != c || err != nil {
			t.Fatalf("taught = %q, %v; want %q", got, err, c)
		}
	}
}

// beforeTicketTables is the schema version before the per-ticket state
// moved out of settings (versions never change once released).
const beforeTicketTables = 13

// buildOld makes the state of dir at version on this run's engine,
// holding the settings rows, as an older binary left it.
func buildOld(t *testing.T, dir string, version int, settings map[string]string) {
	t.Helper()
	ctx := context.Background()
	if !onPostgres() {
		if err := BuildOldState(ctx, dir, version, settings); err != nil {
			t.Fatal(err)
		}
		return
	}
	s, err := openPostgres(ctx, testURL(t, dir), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := fillOld(ctx, s, version, settings); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMoveTicketSettings: a state an older binary left with per-ticket
// state in settings rows (as it wrote them) has it in the tables once
// opened, and the rows are gone; installation-wide settings stay, rows
// that do not read are dropped.
func TestMoveTicketSettings(t *testing.T) {
	if !strings.HasPrefix(migrations[beforeTicketTables].name, "per-ticket state in tables") {
		t.Fatalf("migration %d is %q", beforeTicketTables+1, migrations[beforeTicketTables].name)
	}
	dir := t.TempDir()
	old := map[string]string{
		"kept": "yes",
		"sla.timeline:101": `{"customer_reply":"2026-05-14T09:30:00Z","paused":[{"Start":"2026-05-14T10:00:00Z",` +
			`"End":"2026-05-14T11:00:00.5Z"},{"Start":"2026-05-14T12:00:00+03:00","End":"0001-01-01T00:00:00Z"}]}`,
		"sla.timeline:102": `{"paused":[{"Start":"2026-05-14T10:00:00Z","End":"0001-01-01T00:00:00Z"}]}`,
		"sla.todo:101":     "5501",
		"sla.todo:102":     "0",
		"sla.todo:x":       "7",
		"desk.echo:101":    `{"n":2,"until":"2026-05-14T09:02:00Z"}`,
		"desk.echo:103":    `{`,
		"mail.draft:o-1": `{"ticket":{"LeadID":0,"OriginID":"o-1","Type":"B24D_TECH","Status":"NEW","Assignee":5,` +
			`"Tier":"gold","Priority":"high","Policy":"p1","Requester":"a@example.com","CreatedAt":"2026-05-14T09:00:00Z",` +
			`"FirstResponseDue":"2026-05-14T10:00:00Z","FirstResponseMet":"0001-01-01T00:00:00Z",` +
			`"ResolutionDue":"2026-05-14T17:00:00Z","PausedTotal":0,"NextDueAt":"2026-05-14T09:48:00Z",` +
			`"SLAState":"ok","LastWritten":{"STATUS_ID":"NEW"},"ClosedAt":"0001-01-01T00:00:00Z","Deleted":false},` +
			`"message_id":"<m1@x>","row":"k1"}`,
		"mail.wait:k1":    `{"outbox":"mail.lead:o-1","quarantine":true}`,
		"mail.wait:k2":    `{"lead":101}`,
		"spam.lesson:101": `{"class":"spam","at":"2026-05-14T09:00:00Z"}`,
		"spam.taught:102": "ham",
	}
	buildOld(t, dir, beforeTicketTables, old)
	s := openTest(t, dir)
	ctx := context.Background()

	at := func(v string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	tl, found, err := s.TicketTimeline(ctx, 101)
	wantTL := Timeline{CustomerReply: at("2026-05-14T09:30:00Z"), Paused: []rules.Interval{
		{Start: at("2026-05-14T10:00:00Z"), End: at("2026-05-14T11:00:00.5Z")}, {Start: at("2026-05-14T09:00:00Z")}}}
	if err != nil || !found || !reflect.DeepEqual(tl, wantTL) {
		t.Errorf("timeline of 101 = %+v %v %v\nwant %+v", tl, found, err, wantTL)
	}
	if tl, found, _ := s.TicketTimeline(ctx, 102); !found || !tl.CustomerReply.IsZero() || len(tl.Paused) != 1 || !tl.Paused[0].End.IsZero() {
		t.Errorf("timeline of 102 = %+v %v", tl, found)
	}
	if id, found, _ := s.TicketTodo(ctx, 101); !found || id != 5501 {
		t.Errorf("to-do of 101 = %d %v, want 5501", id, found)
	}
	if id, found, _ := s.TicketTodo(ctx, 102); !found || id != 0 {
		t.Errorf("to-do of 102 = %d %v, want a recorded 0", id, found)
	}
	if x, _ := s.ExpectedEchoes(ctx, 101); x != (Echoes{N: 2, Until: at("2026-05-14T09:02:00Z")}) {
		t.Errorf("echoes of 101 = %+v", x)
	}
	if x, _ := s.ExpectedEchoes(ctx, 103); x != (Echoes{}) {
		t.Errorf("echoes of 103 (unreadable) = %+v, want none", x)
	}
	d, found, err := s.MailDraft(ctx, "o-1")
	wantD := draftTicket("o-1")
	wantD.PausedTotal, wantD.UpdatedAt = 0, wantD.CreatedAt
	if err != nil || !found || d.MessageID != "<m1@x>" || d.Row != "k1" || !reflect.DeepEqual(d.Ticket, wantD) {
		t.Errorf("draft = %+v %v %v\nwant ticket %+v", d, found, err, wantD)
	}
	if w, _ := s.MailWaitOf(ctx, "k1"); w != (MailWait{Outbox: "mail.lead:o-1", Quarantine: true}) {
		t.Errorf("wait of k1 = %+v", w)
	}
	if w, _ := s.MailWaitOf(ctx, "k2"); w != (MailWait{Lead: 101}) {
		t.Errorf("wait of k2 = %+v", w)
	}
	if l, found, _ := s.SpamLessonOf(ctx, 101); !found || l != (SpamLesson{Lead: 101, Class: "spam", QueuedAt: at("2026-05-14T09:00:00Z")}) {
		t.Errorf("lesson of 101 = %+v %v", l, found)
	}
	if c, _ := s.SpamTaught(ctx, 102); c != "ham" {
		t.Errorf("taught of 102 = %q", c)
	}
	for key := range old {
		_, found, err := s.Setting(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if keep := key == "kept"; found != keep {
			t.Errorf("setting %s: found %v after the move, want %v", key, found, keep)
		}
	}
	if id, err := s.InstallationID(ctx); err != nil || id == "" {
		t.Errorf("installation ID lost: %q %v", id, err)
	}
}
