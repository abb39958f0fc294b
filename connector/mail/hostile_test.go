package mail

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/store"
)

// hostileHeapBound is the most the Go heap may grow over its level before
// a round handles a hostile mail (the mail already sits in the IMAP
// server). The stated bound (docs/mail.md, "Hostile mail") is per mail
// about twice the fetched size (at most max_size, or the header and first
// text part above it) plus 2 × 1 MiB of text; 256 MiB leaves room for GC
// lag around a 60 MB mail and a 5 MB header.
const hostileHeapBound = 256 << 20

// hostileCase is one hostile mail (or a few) and what must come of it.
type hostileCase struct {
	name  string
	mails func() [][]byte
	// check looks at the leads the portal got and at the state; generic
	// checks (a ticket or a quarantine with a reason for every mail, no
	// panic, the heap bound) run for every case.
	check func(t *testing.T, e *env, leads []map[string]any)
	// big: megabytes of mail; run against Dovecot only (the in-memory
	// test server reads a whole mail for a partial fetch, which says
	// nothing about b24desk and is slow under -race).
	big bool
}

func hostileCases() []hostileCase {
	plain := func(head, body string) []byte {
		return []byte(head + "From: Eve <eve@example.com>\r\nTo: support@example.test\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	}
	return []hostileCase{
		{name: "60 MB mail", big: true, mails: func() [][]byte { return [][]byte{bigMail(60 << 20)} },
			check: func(t *testing.T, e *env, leads []map[string]any) {
				if len(leads) != 1 || !strings.Contains(str(leads[0]["COMMENTS"]), "size cap") {
					t.Fatalf("leads %d, want one saying the size cap", len(leads))
				}
				if got := e.counts(); got != "INBOX 0, Processed 0, Quarantine 1" {
					t.Errorf("folders: %s, want the original in quarantine", got)
				}
			}},
		{name: "10,000 parts", mails: func() [][]byte {
			var b strings.Builder
			b.WriteString("From: eve@example.com\r\nSubject: many parts\r\nMessage-ID: <parts@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=P\r\n\r\n")
			for i := range 10000 {
				fmt.Fprintf(&b, "--P\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
			}
			b.WriteString("--P--\r\n")
			return [][]byte{[]byte(b.String())}
		}, check: func(t *testing.T, _ *env, leads []map[string]any) {
			if len(leads) != 1 || !strings.Contains(str(leads[0]["COMMENTS"]), "part 0") {
				t.Fatalf("want one ticket with the first part's text")
			}
		}},
		{name: "5,000-deep nesting", mails: func() [][]byte {
			var b strings.Builder
			b.WriteString("From: eve@example.com\r\nSubject: deep\r\nMessage-ID: <deep@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
			for i := 1; i < 5000; i++ {
				fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
			}
			b.WriteString("--b4999\r\nContent-Type: text/plain\r\n\r\ninnermost\r\n")
			for i := 4999; i >= 0; i-- {
				fmt.Fprintf(&b, "--b%d--\r\n", i)
			}
			return [][]byte{[]byte(b.String())}
		}, check: func(t *testing.T, _ *env, leads []map[string]any) {
			if len(leads) != 1 {
				t.Fatalf("%d leads, want 1", len(leads))
			}
		}},
		{name: "1 MB subject before the vital headers", big: true, mails: func() [][]byte {
			return [][]byte{plain("Subject: "+strings.Repeat("A", 1<<20)+"\r\nMessage-ID: <subj@example.com>\r\nDate: Tue, 10 Mar 2026 09:00:00 +0300\r\n",
				"Текст письма с огромной темой.")}
		}, check: checkVitalHeaders("subj@example.com", "Текст письма с огромной темой.")},
		{name: "5 MB header line before the vital headers", big: true, mails: func() [][]byte {
			return [][]byte{plain("X-Junk: "+strings.Repeat("A", 5<<20)+"\r\nSubject: junk header\r\nMessage-ID: <junk@example.com>\r\nDate: Tue, 10 Mar 2026 09:00:00 +0300\r\n",
				"Текст после огромного заголовка.")}
		}, check: checkVitalHeaders("junk@example.com", "Текст после огромного заголовка.")},
		{name: "invalid charsets", mails: func() [][]byte {
			return [][]byte{[]byte("From: =?x-no-such?B?0JjQstCw0L0=?= <eve@example.com>\r\nSubject: =?bogus-charset?Q?=FF=FE?= test\r\n" +
				"Message-ID: <cs@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"x-no-such-charset\"\r\n\r\n" +
				"caf\xe9 \xff\xfe \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r\n")}
		}, check: func(t *testing.T, _ *env, leads []map[string]any) {
			if len(leads) != 1 || !strings.Contains(str(leads[0]["COMMENTS"]), "caf") {
				t.Fatalf("want one ticket with the text")
			}
		}},
		{name: "NULs", mails: func() [][]byte {
			return [][]byte{plain("Subject: nul\x00inside\r\nMessage-ID: <nul@example.com>\r\n", "before\x00after \x00\x00 end")}
		}, check: func(t *testing.T, _ *env, leads []map[string]any) {
			if len(leads) != 1 || !strings.Contains(str(leads[0]["COMMENTS"]), "before") {
				t.Fatalf("want one ticket with the text")
			}
			if c := str(leads[0]["COMMENTS"]) + str(leads[0]["TITLE"]); strings.ContainsRune(c, 0) {
				t.Errorf("a NUL reached the lead: %q", c)
			}
		}},
		{name: "BB code and HTML injection", mails: func() [][]byte {
			return [][]byte{plain("Subject: <b>bold</b> [URL=http://evil.example]x[/URL]\r\nMessage-ID: <inj@example.com>\r\n",
				"[URL=http://evil.example]click[/URL] [USER=1]admin[/USER] <script>alert(1)</script> <img src=x onerror=alert(1)>")}
		}, check: func(t *testing.T, _ *env, leads []map[string]any) {
			if len(leads) != 1 {
				t.Fatalf("%d leads", len(leads))
			}
			// The field takes BB codes: no customer tag may be one; HTML
			// shows as typed (the portal does not render it there).
			c := str(leads[0]["COMMENTS"])
			for _, bad := range []string{"[URL=", "[USER=", "[/URL]"} {
				if strings.Contains(c, bad) {
					t.Errorf("COMMENTS carries the live BB code %q: %.300q", bad, c)
				}
			}
			if !strings.Contains(c, "click") || !strings.Contains(c, "alert(1)") {
				t.Errorf("COMMENTS lost the text: %.300q", c)
			}
		}},
		{name: "same Message-ID, other content", mails: func() [][]byte {
			a := plain("Subject: first\r\nMessage-ID: <same@example.com>\r\n", "Первое письмо.")
			b := plain("Subject: second\r\nMessage-ID: <same@example.com>\r\n", "Совсем другое письмо.")
			return [][]byte{a, b, a} // the third is the first again
		}, check: func(t *testing.T, e *env, leads []map[string]any) {
			if len(leads) != 2 {
				t.Fatalf("%d leads, want 2 (other content is another ticket, the same content is one)", len(leads))
			}
		}},
		{name: "no header at all", mails: func() [][]byte {
			return [][]byte{bytes.Repeat([]byte("\x00\x01garbage without a header "), 100)}
		}, check: func(t *testing.T, e *env, leads []map[string]any) {
			if len(leads) != 0 {
				t.Fatalf("%d leads, want 0 (quarantined)", len(leads))
			}
		}},
	}
}

// checkVitalHeaders: the ticket of a mail whose huge header came first
// still has its Message-ID (so replies thread), its text and none of the
// header in its comments; the comments stay under their cap, say what was
// cut, and the original is attached.
func checkVitalHeaders(id, text string) func(t *testing.T, e *env, leads []map[string]any) {
	return func(t *testing.T, e *env, leads []map[string]any) {
		if len(leads) != 1 {
			t.Fatalf("%d leads, want 1", len(leads))
		}
		l := leads[0]
		c := str(l["COMMENTS"])
		if !strings.HasPrefix(c, text) || strings.Contains(c, "Message-ID") || strings.Contains(c, "AAAAAAAA") {
			t.Errorf("COMMENTS = %.300q…, want the text and no header", c)
		}
		if !strings.Contains(c, "cut at") {
			t.Errorf("COMMENTS does not say what was cut: %.500q", c)
		}
		if len(c) > CommentsTextCap+4096 {
			t.Errorf("COMMENTS is %d bytes, over its cap", len(c))
		}
		if !strings.Contains(str(l["SOURCE_DESCRIPTION"]), id) || len(str(l["TITLE"])) > 1024 {
			t.Errorf("SOURCE_DESCRIPTION %q, TITLE %d bytes", l["SOURCE_DESCRIPTION"], len(str(l["TITLE"])))
		}
		if !hasFile(e.portal, l, "original.eml") {
			t.Errorf("the original is not attached: %v", l["UF_CRM_B24D_FILES"])
		}
		// A reply naming the Message-ID threads to the ticket.
		e.appendMail([]byte("From: Eve <eve@example.com>\r\nSubject: Re: more\r\nMessage-ID: <reply-" + id + ">\r\nIn-Reply-To: <" + id + ">\r\n\r\nЕщё.\r\n"))
		e.settle()
		if n := e.portal.LeadCount(); n != 1 {
			t.Errorf("%d leads after the reply, want 1: threading broke", n)
		}
	}
}

func hasFile(p *sim.Portal, lead map[string]any, name string) bool {
	files, _ := lead["UF_CRM_B24D_FILES"].([]any)
	for _, f := range files {
		m, _ := f.(map[string]any)
		id, _ := m["id"].(int)
		if file, ok := p.File(id); ok && file.Name == name {
			return true
		}
	}
	return false
}

// TestHostileMail: each hostile mail becomes a ticket or a quarantined
// mail with a reason, never a crash, within the heap bound.
// Not parallel: the heap is measured for the whole process.
func TestHostileMail(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		for _, c := range hostileCases() {
			t.Run(c.name, func(t *testing.T) {
				if c.big && (testing.Short() || s.Kind == imaptest.KindMemory) {
					t.Skip("megabytes of mail: Dovecot only, not with -short")
				}
				e := newEnv(t, s, nil)
				e.patientClient()
				mails := c.mails()
				for _, m := range mails {
					e.appendMail(m)
				}
				mails = nil
				peak := heapPeak(t, e.settle)
				t.Logf("heap peak over the level before the round: %d MiB", peak>>20)
				if peak > hostileHeapBound {
					t.Errorf("heap grew %d MiB handling the mail, bound %d MiB", peak>>20, hostileHeapBound>>20)
				}
				leads := e.portal.Leads()
				// Finished mail is "done"; a quarantined one has no lead
				// and keeps its reason.
				done, err := e.st.ListMessages(context.Background(), store.MessageFilter{State: store.MessageDone, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				quarantined := 0
				for _, m := range done {
					if m.LeadID > 0 {
						continue
					}
					if m.Error == "" {
						t.Errorf("mail %s finished without a ticket and without a reason", m.DedupeKey)
					}
					quarantined++
					t.Logf("quarantined: %.200q", m.Error)
				}
				if quarantined != len(e.folder("Quarantine")) && !c.big {
					t.Errorf("%d mails without a ticket, %d in the quarantine folder", quarantined, len(e.folder("Quarantine")))
				}
				if len(leads)+quarantined == 0 {
					t.Fatal("neither a ticket nor a quarantine")
				}
				if got := e.counts(); !strings.HasPrefix(got, "INBOX 0,") {
					t.Errorf("mail left in INBOX: %s", got)
				}
				c.check(t, e, leads)
			})
		}
	})
}

// heapPeak runs fn while sampling the heap and returns how far HeapInuse
// rose above its level (after a GC) before fn.
func heapPeak(t *testing.T, fn func()) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// patientClient gives the portal client a long timeout: a lead.add with a
// 5 MB original attached takes the simulator seconds under -race, and a
// timed-out write would only be looked up and retried later.
func (e *env) patientClient() {
	e.t.Helper()
	c, err := bitrix.New(bitrix.Config{WebhookURL: e.webhook, Timeout: time.Minute, MaxRetries: -1,
		Clock: e.clk, Rate: 1e6, Burst: 1 << 20})
	if err != nil {
		e.t.Fatal(err)
	}
	e.client = c
	e.close()
	e.open()
}

// settle runs rounds until the outbox is empty and the mailbox's INBOX
// too (at most 10, the clock moved a minute between them so retries are
// due).
func (e *env) settle() {
	e.t.Helper()
	for range 10 {
		e.round()
		st, err := e.ob.Stats(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if st.Depth == 0 && st.Unknown == 0 && len(e.folder("INBOX")) == 0 {
			return
		}
		e.clk.Advance(time.Minute)
	}
}
