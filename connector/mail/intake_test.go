package mail

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/connector/store"
)

func TestIntake(t *testing.T) {
	t.Parallel() // slow (its own servers and state): overlap the package's other tests
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		t.Run("new tickets from the corpus", func(t *testing.T) { testCorpusTickets(t, s) })
		t.Run("automatic mail", func(t *testing.T) { testAutomatic(t, s) })
		t.Run("unreadable mail is quarantined", func(t *testing.T) { testQuarantine(t, s) })
		t.Run("threading", func(t *testing.T) { testThreading(t, s) })
		t.Run("portal down then up", func(t *testing.T) { testPortalDown(t, s) })
		t.Run("same mail in two mailboxes", func(t *testing.T) { testTwoMailboxes(t, s) })
		t.Run("first start on old mail", func(t *testing.T) { testFirstStart(t, s) })
		t.Run("crash mid-way", func(t *testing.T) { testCrash(t, s) })
		t.Run("reused Message-ID", func(t *testing.T) { testReusedMessageID(t, s) })
	})
}

func testCorpusTickets(t *testing.T, s *imaptest.Server) {
	for _, tc := range []struct {
		file, title, email, name, text string
		files                          int
	}{
		{file: "koi8r.eml", title: "Не работает карта", email: "ivan@example.ru", name: "Иван"},
		{file: "cp1251.eml", title: "Вопрос по объявлению", email: "maria@example.ru", name: "Мария"},
		{file: "html-only.eml", title: "Export fails", email: "bob@example.com", name: "Bob"},
		{file: "attachments-cyrillic.eml", title: "Документы", email: "ivan@example.ru", files: 1},
		{file: "inline-images.eml", title: "Screenshot", email: "bob@example.com", files: 1},
		{file: "forwarded.eml", title: "Broken link", email: "bob@example.com"},
		{file: "no-message-id.eml", title: "No id", email: "dave@example.com"},
		{file: "malformed-parts.eml", title: "Bad parts", email: "carol@example.com"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			e := newEnv(t, s, nil)
			e.appendMail(corpus(t, tc.file))
			e.round()
			leads := e.portal.Leads()
			if len(leads) != 1 {
				t.Fatalf("%d leads, want 1", len(leads))
			}
			l := leads[0]
			if got := str(l["TITLE"]); !strings.Contains(got, tc.title) {
				t.Errorf("TITLE = %q, want %q", got, tc.title)
			}
			if !strings.Contains(str(l["EMAIL"]), tc.email) {
				t.Errorf("EMAIL = %s, want %s", str(l["EMAIL"]), tc.email)
			}
			if tc.name != "" && str(l["NAME"]) != tc.name {
				t.Errorf("NAME = %q, want %q", str(l["NAME"]), tc.name)
			}
			if str(l["ORIGINATOR_ID"]) != "b24desk" || !strings.HasPrefix(str(l["ORIGIN_ID"]), "m-") {
				t.Errorf("ORIGINATOR_ID %q ORIGIN_ID %q", str(l["ORIGINATOR_ID"]), str(l["ORIGIN_ID"]))
			}
			if !e.rules.IsTicketType(str(l["SOURCE_ID"])) || str(l["STATUS_ID"]) != "NEW" {
				t.Errorf("SOURCE_ID %q STATUS_ID %q", str(l["SOURCE_ID"]), str(l["STATUS_ID"]))
			}
			if str(l["UF_CRM_B24D_SLA_DUE"]) == "" || str(l["UF_CRM_B24D_PRIORITY"]) == "" || str(l["ASSIGNED_BY_ID"]) == "" {
				t.Errorf("SLA due %q, priority %q, assignee %q", str(l["UF_CRM_B24D_SLA_DUE"]), str(l["UF_CRM_B24D_PRIORITY"]), str(l["ASSIGNED_BY_ID"]))
			}
			if c := str(l["COMMENTS"]); strings.Contains(c, "<script") {
				t.Errorf("COMMENTS not escaped: %q", c)
			}
			if tc.files > 0 && str(l["UF_CRM_B24D_FILES"]) == "" {
				t.Errorf("no files: %v", l["UF_CRM_B24D_FILES"])
			}
			if got := e.counts(); got != "INBOX 0, Processed 1, Quarantine 0" {
				t.Errorf("folders: %s", got)
			}
			if p := e.folder("Processed"); len(p) == 1 && !p[0].HasFlag(`\Seen`) {
				t.Errorf("processed mail not \\Seen: %v", p[0].Flags)
			}
			tk, err := e.st.TicketByOrigin(t.Context(), str(l["ORIGIN_ID"]))
			if err != nil || tk.Type != str(l["SOURCE_ID"]) || tk.FirstResponseDue.IsZero() || tk.SLAState != "ok" {
				t.Errorf("ticket in state: %+v, %v", tk, err)
			}
			// What the rules replay classifies it by was kept with it.
			raw, err := e.st.ReplayInputs(t.Context(), time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			in, err := replay.Decode(raw[tk.LeadID])
			if err != nil || in.From != tc.email || !strings.Contains(in.Subject, tc.title) || in.Mailbox == "" {
				t.Errorf("kept inputs of lead %d: %+v, %v", tk.LeadID, in, err)
			}
		})
	}
}

func testAutomatic(t *testing.T, s *imaptest.Server) {
	for _, f := range []string{"outlook-autoreply.eml", "vacation.eml", "bounce.eml", "loop.eml", "bulk-spam.eml"} {
		t.Run(f, func(t *testing.T) {
			e := newEnv(t, s, nil)
			e.appendMail(corpus(t, f))
			e.round()
			if n := e.portal.LeadCount(); n != 0 {
				t.Errorf("%d leads from automatic mail", n)
			}
			if got := e.counts(); got != "INBOX 0, Processed 1, Quarantine 0" {
				t.Errorf("folders: %s", got)
			}
		})
	}
}

func testQuarantine(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.appendMail([]byte("\r\n\r\nno header at all\r\n"))
	e.round()
	if n := e.portal.LeadCount(); n != 0 {
		t.Errorf("%d leads", n)
	}
	if got := e.counts(); got != "INBOX 0, Processed 0, Quarantine 1" {
		t.Errorf("folders: %s", got)
	}
}

func testThreading(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.appendMail(corpus(t, "html-only.eml")) // Message-ID html-1@example.com, from bob@example.com
	e.round()
	if e.portal.LeadCount() != 1 {
		t.Fatalf("%d leads after the first mail", e.portal.LeadCount())
	}
	lead := e.portal.Leads()[0]
	id := int(mustInt(t, lead["ID"]))
	// A reply by References (the In-Reply-To is unknown).
	e.appendMail(corpus(t, "reply-inreplyto.eml"))
	e.round()
	// A reply by subject tag only, from the requester.
	e.appendMail(imaptest.Mail("bob@example.com", "support@example.test", "Re: ["+"#"+itoa(id)+"] Export fails", "Still broken.\n\n> old quoted text"))
	e.round()
	// A stranger with a valid tag: a new ticket linked to the old one.
	e.appendMail(imaptest.Mail("mallory@evil.example", "support@example.test", "Re: [#"+itoa(id)+"] Export fails", "I want in [USER=1]"))
	e.round()
	if n := e.portal.LeadCount(); n != 2 {
		t.Fatalf("%d leads, want 2 (the original and the stranger's)", n)
	}
	comments := e.portal.Comments(id)
	if len(comments) != 2 {
		t.Fatalf("%d comments on lead %d, want 2", len(comments), id)
	}
	if c := comments[1].Text; !strings.Contains(c, "Still broken.") || strings.Contains(c, "old quoted text") {
		t.Errorf("tag reply comment = %q", c)
	}
	stranger := e.portal.Leads()[1]
	if c := str(stranger["COMMENTS"]); !strings.Contains(c, "#"+itoa(id)) {
		t.Errorf("stranger's ticket does not link #%d: %q", id, c)
	}
	if len(e.replies.calls) != 2 {
		t.Errorf("CustomerReplied calls %v, want 2", e.replies.calls)
	}
	if got := e.counts(); got != "INBOX 0, Processed 4, Quarantine 0" {
		t.Errorf("folders: %s", got)
	}
}

func testPortalDown(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.portal.SetFaults(sim.Faults{Down: true, DownClose: true})
	e.appendMail(corpus(t, "koi8r.eml"))
	for range 3 {
		e.round()
		e.clk.Advance(10 * 60e9)
	}
	if got := e.counts(); got != "INBOX 1, Processed 0, Quarantine 0" {
		t.Fatalf("while down: %s", got)
	}
	if f := e.folder("INBOX"); f[0].HasFlag(`\Seen`) {
		t.Errorf("mail flagged while the portal is down: %v", f[0].Flags)
	}
	e.portal.SetFaults(sim.Faults{})
	e.clk.Advance(2 * 3600e9)
	e.round()
	if n := e.portal.LeadCount(); n != 1 {
		t.Errorf("%d leads, want 1", n)
	}
	if got := e.counts(); got != "INBOX 0, Processed 1, Quarantine 0" {
		t.Errorf("after: %s", got)
	}
}

func testTwoMailboxes(t *testing.T, s *imaptest.Server) {
	a := newEnv(t, s, nil)
	b := newEnv(t, s, nil)
	// b shares a's state, outbox and portal but reads its own mailbox.
	b.close()
	b.portal, b.client, b.dir = a.portal, a.client, a.dir
	b.st, b.ob = a.st, a.ob
	var err error
	b.in, err = New(Options{Mailbox: b.mb, Store: a.st, Outbox: a.ob, Rules: a.in.opts.Rules, Tickets: a.in.opts.Tickets, Schema: a.in.opts.Schema, Clock: a.clk})
	if err != nil {
		t.Fatal(err)
	}
	b.box = dialBox(t, b)
	raw := corpus(t, "cp1251.eml")
	a.appendMail(raw)
	b.appendMail(raw)
	a.poll()
	b.poll()
	a.round()
	b.round()
	if n := a.portal.LeadCount(); n != 1 {
		t.Errorf("%d leads, want 1", n)
	}
	for _, e := range []*env{a, b} {
		if got := e.counts(); got != "INBOX 0, Processed 1, Quarantine 0" {
			t.Errorf("%s: %s", e.mb.Name, got)
		}
	}
	b.box.Close()
	b.st, b.box = nil, nil
}

func testFirstStart(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.close()
	for i := range 5 {
		e.appendMail(imaptest.Mail("old@example.com", "support@example.test", "Old "+itoa(i), "old"))
	}
	// A fresh state: the cursor starts at UIDNEXT.
	e.dir = t.TempDir()
	e.schema = nil
	e.open()
	e.setupSchema()
	e.appendMail(imaptest.Mail("new@example.com", "support@example.test", "New one", "new"))
	e.round()
	if n := e.portal.LeadCount(); n != 1 {
		t.Errorf("%d leads, want only the new mail's", n)
	}
	if got := e.counts(); got != "INBOX 5, Processed 1, Quarantine 0" {
		t.Errorf("folders: %s", got)
	}
}

func testCrash(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.appendMail(corpus(t, "koi8r.eml"))
	e.poll() // spooled and queued, not yet sent
	e.close()
	e.open()
	if err := e.ob.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.close() // crash after the lead exists, before the mail is moved
	e.open()
	if err := e.in.ProcessSpooled(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.round()
	if n := e.portal.LeadCount(); n != 1 {
		t.Errorf("%d leads, want 1", n)
	}
	if got := e.counts(); got != "INBOX 0, Processed 1, Quarantine 0" {
		t.Errorf("folders: %s", got)
	}
	msgs, _ := e.st.MessagesInState(t.Context(), store.MessageDone, 10)
	if len(msgs) != 1 || msgs[0].LeadID == 0 {
		t.Errorf("message rows done: %+v", msgs)
	}
}

func testReusedMessageID(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	one := setHeader(imaptest.Mail("eve@example.com", "support@example.test", "First", "first text"), "Message-Id", "<same@example.com>")
	two := setHeader(imaptest.Mail("eve@example.com", "support@example.test", "Second", "other text"), "Message-Id", "<same@example.com>")
	e.appendMail(one)
	e.round()
	e.appendMail(two)
	e.round()
	if n := e.portal.LeadCount(); n != 2 {
		t.Errorf("%d leads, want 2: a reused Message-ID with other content is not dropped", n)
	}
	if got := e.counts(); got != "INBOX 0, Processed 2, Quarantine 0" {
		t.Errorf("folders: %s", got)
	}
}

func setHeader(raw []byte, key, value string) []byte {
	lines := strings.Split(string(raw), "\r\n")
	for i, l := range lines {
		if l == "" {
			break
		}
		if k, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, key) {
			lines[i] = key + ": " + value
			return []byte(strings.Join(lines, "\r\n"))
		}
	}
	return []byte(key + ": " + value + "\r\n" + string(raw))
}

func itoa(i int) string { return strconv.Itoa(i) }

func mustInt(t *testing.T, v any) int64 {
	t.Helper()
	n, err := strconv.ParseInt(str(v), 10, 64)
	if err != nil {
		t.Fatalf("not an ID: %v", v)
	}
	return n
}

func dialBox(t *testing.T, e *env) *imapbox.Box {
	t.Helper()
	box, err := imapbox.Dial(t.Context(), BoxConfig(e.mb, zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	if err := box.EnsureFolders(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, err := box.Select(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if e.cur, err = e.in.startCursor(t.Context(), box, st); err != nil {
		t.Fatal(err)
	}
	return box
}
