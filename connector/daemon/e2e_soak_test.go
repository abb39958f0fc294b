package daemon_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/store"
)

// soakFaults are the portal faults of the fault soak, set through the
// simulator's control endpoint: rate (B24DESK_SOAK_FAULT_RATE, default 1%)
// each of 500, 503 and HTML answers, and of the writes rate each applied
// and then answered with a dropped connection or never answered, and late
// writes landing 200 ms after the client gave up (well within the outbox's
// lookup delay, 90 s of the soak's clock: at least half a second of real
// time). Every unknown outcome of a batch costs a lookup afterwards (the
// lookups go in batches too), which bounds how high the rate can be for
// the soak to end in minutes at 2 requests/s.
func soakFaults(rate float64) string {
	return fmt.Sprintf(`{"error_500_rate": %[1]g, "error_503_rate": %[1]g, "html_rate": %[1]g,
 "write_drop_rate": %[1]g, "write_timeout_rate": %[1]g, "late_write_rate": %[1]g, "late_write_delay": "200ms"}`, rate)
}

// The kinds of the soak's portal outage (B24DESK_SOAK_OUTAGE_KIND):
// refused connections (the gate closes the simulator's listener and every
// connection, as a host cut off that answers with resets), a blackhole
// (the simulator takes every request and never answers, sim's
// Faults.Blackhole: a network partition or a hung load balancer, so the
// daemon meets its request timeout, not a connection error), or mixed: a
// blackhole for the first half of the outage, then refused (with the short
// run's 12 s, 6 s of blackhole: longer than the daemon's request timeout).
const (
	outageRefuse    = "refuse"
	outageBlackhole = "blackhole"
	outageMixed     = "mixed"
)

// soakTick is the soak's beat: every tick a batch of mail is appended (while
// there is mail left), the moments due happen, and the clock of the portal
// and the daemon moves soakClockStep (120 times real time), so SLA
// escalations (first response of the enterprise tier: 80% after 1 h 36 min
// of working time) happen during the soak and the outbox's waits pass.
const (
	soakTick      = 500 * time.Millisecond
	soakClockStep = time.Minute
	soakPerTick   = 10
)

// soakMail is one mail of the soak and what must come of it.
type soakMail struct {
	kind   string // new, reply, tag-reply, auto-reply, bounce, broken, corpus, no-header
	file   string // a corpus mail's file
	id     string // Message-ID without <> ("" for the mail with no header)
	from   string
	token  string // a reply's text, unique
	parent int    // a reply's or auto-reply's mail (index)
	want   string // "ticket", "comment" (on parent's ticket), "none", "quarantine"
	raw    []byte
}

// soakRun is the fault soak's scene: the rig (simulator at the standard
// limits, the daemon binary), a Dovecot mailbox and the mail sent.
type soakRun struct {
	*rig
	imap       *imaptest.Server
	user, pass string
	rng        *rand.Rand
	mails      []soakMail
	corpus     [][]byte // connector/mail/mimeparse/testdata, in name order
	corpusName []string
	peakKB     int          // the daemon's peak resident memory (VmHWM), over its runs
	crashes    int          // daemon exits the soak did not cause
	state      *store.Store // the daemon's state, read-only (knownTicket)
	gate       *simGate     // the daemon's way to the simulator
	outage     string       // the outage in force: "", outageRefuse or outageBlackhole
	holeFrom   int          // the portal's request count when the blackhole began
	blackholed int          // requests the blackhole took (never answered)
}

// TestFaultSoak: mail (generated customer mail with replies by
// In-Reply-To and by subject tag, auto-replies, bounces, broken MIME, a
// mail with no header, and the mail test corpus) is appended to Dovecot
// while the real daemon works against the simulator at the standard
// limits (2 requests/s, burst 50) with faults (soakFaults); meanwhile the
// daemon is SIGKILLed at random moments and restarted, Dovecot is
// restarted, and the portal is unreachable for a while. Then every mail
// must have had its one outcome: a ticket, a comment on its ticket, nothing
// (automatic mail) or the quarantine; no SLA escalation done twice, no
// panic, the outbox and INBOX empty. The figures are logged (scripts/soak
// prints them; docs/RELIABILITY.md keeps the long run's).
//
// The short version runs in the test command; scripts/soak runs the long
// one. Knobs: B24DESK_SOAK_MAILS (default 100), B24DESK_SOAK_KILLS (2),
// B24DESK_SOAK_DOVECOT_RESTARTS (1), B24DESK_SOAK_OUTAGE (12s),
// B24DESK_SOAK_OUTAGE_KIND (mixed; refuse, blackhole or mixed),
// B24DESK_SOAK_FAULT_RATE (0.01, of each fault kind: soakFaults),
// B24DESK_SOAK_SEED (random; logged, to replay the moments),
// B24DESK_SOAK_DAEMON_LOG (a file to keep the daemon's output in),
// B24DESK_SOAK_SETTLE (10m: how long INBOX and the outbox may take to
// empty after the mail, and again after the last escalations).
func TestFaultSoak(t *testing.T) {
	nMails := envInt(t, "B24DESK_SOAK_MAILS", 100)
	kills := envInt(t, "B24DESK_SOAK_KILLS", 2)
	restarts := envInt(t, "B24DESK_SOAK_DOVECOT_RESTARTS", 1)
	outage := envDuration(t, "B24DESK_SOAK_OUTAGE", 12*time.Second)
	kind := cmp.Or(os.Getenv("B24DESK_SOAK_OUTAGE_KIND"), outageMixed)
	if kind != outageRefuse && kind != outageBlackhole && kind != outageMixed {
		t.Fatalf("B24DESK_SOAK_OUTAGE_KIND=%q: want refuse, blackhole or mixed", kind)
	}
	faultRate := 0.01
	if v := os.Getenv("B24DESK_SOAK_FAULT_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r >= 1 {
			t.Fatalf("B24DESK_SOAK_FAULT_RATE=%q: want a share of requests in [0, 1), such as 0.05", v)
		}
		faultRate = r
	}
	settleWithin := envDuration(t, "B24DESK_SOAK_SETTLE", 10*time.Minute)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("B24DESK_SOAK_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("B24DESK_SOAK_SEED=%q: want a number", v)
		}
		seed = s
	}
	s := newSoak(t, seed)
	start := time.Now()

	// The moments, in ticks: kills and Dovecot restarts anywhere while mail
	// arrives or the outage lasts, the outage beginning in the first half
	// and while mail arrives.
	mailTicks := (nMails + soakPerTick - 1) / soakPerTick
	outageTicks := int(outage / soakTick)
	span := max(mailTicks, outageTicks) + 10
	moments := map[int][]string{}
	for range kills {
		at := 1 + s.rng.IntN(span)
		moments[at] = append(moments[at], "kill")
	}
	for range restarts {
		at := 1 + s.rng.IntN(span)
		moments[at] = append(moments[at], "dovecot")
	}
	outageAt := 1 + s.rng.IntN(min(span/2, mailTicks))
	moments[outageAt] = append(moments[outageAt], "outage")
	t.Logf("seed %d: %d mails, kills and Dovecot restarts at ticks %v, outage (%s) of %s at tick %d (tick %s), fault rate %g each",
		seed, nMails, moments, kind, outage, outageAt, soakTick, faultRate)

	s.control(soakFaults(faultRate))
	var outageEnd, outageHalf time.Time
	for tick := 1; tick <= span || len(s.mails) < nMails || !outageEnd.IsZero(); tick++ {
		if n := min(soakPerTick, nMails-len(s.mails)); n > 0 {
			s.appendMails(n)
		}
		for _, m := range moments[tick] {
			switch m {
			case "kill":
				s.kill()
			case "dovecot":
				s.imap.Restart(t)
			case "outage":
				outageHalf, outageEnd = time.Now().Add(outage/2), time.Now().Add(outage)
				if kind == outageMixed {
					s.setOutage(outageBlackhole)
				} else {
					s.setOutage(kind)
				}
			}
		}
		switch now := time.Now(); {
		case outageEnd.IsZero():
		case now.After(outageEnd):
			s.setOutage("")
			outageEnd = time.Time{}
		case kind == outageMixed && now.After(outageHalf):
			s.setOutage(outageRefuse)
		}
		s.beat()
	}
	chaosDone := time.Since(start)

	// Settle: the clock runs on until INBOX and the outbox are empty, then
	// jumps 3 hours so that every first-response step left fires, and runs
	// on until the outbox is empty again. A goal missed here is reported
	// below, not fatal.
	settled := s.settle(settleWithin)
	if settled {
		s.rig.clk.Set(s.rig.clk.Now().Add(3 * time.Hour))
		if _, err := postClock(s.listen, s.rig.clk.Now()); err != nil {
			t.Fatal(err)
		}
		settled = s.settle(settleWithin)
	}
	s.noteMemory()
	if code := s.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("daemon exit %d on SIGTERM, want 0", code)
	}
	s.report(time.Since(start), chaosDone, settled)
}

// setOutage puts the daemon's way to the portal in the outage kind ("":
// none): the new one is entered before the old one is left, so that no
// request gets through in between.
func (s *soakRun) setOutage(kind string) {
	s.t.Helper()
	if kind == s.outage {
		return
	}
	switch kind {
	case outageRefuse:
		s.gate.down()
	case outageBlackhole:
		s.holeFrom = len(s.portal.Calls())
		s.control(`{"blackhole": true}`)
	}
	switch s.outage {
	case outageRefuse:
		s.gate.up()
	case outageBlackhole:
		s.control(`{"blackhole": false}`)
		s.blackholed += len(s.portal.Calls()) - s.holeFrom
	}
	s.outage = kind
	s.t.Logf("outage: %s at %s", cmp.Or(kind, "over"), time.Now().UTC().Format("15:04:05.000"))
}

// envDuration reads a positive duration from the environment (def when
// unset).
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a duration such as 60s", name, v)
	}
	return d
}

func newSoak(t *testing.T, seed uint64) *soakRun {
	t.Helper()
	imap := imaptest.StartDovecot(t)
	user, pass := imap.NewUser(t)
	mbox := supportMailbox(imap, user, pass)
	// The portal at the standard limits (sim's defaults: 2 requests/s, burst
	// 50); the daemon configured to the same.
	r := newRigWith(t, e2eStart, mbox, sim.Options{EventDelay: time.Millisecond})
	// The daemon reaches the simulator through a gate that can refuse
	// connections: the portal unreachable. (The test itself and the
	// control calls use the simulator's own address.)
	gate := newSimGate(t, r.portal)
	simURL := r.simURL
	r.simURL = gate.url
	r.limits = "  rate: 2\n  burst: 50\n  request_timeout: 5s\n"
	r.timing = "reconcile:\n  interval: 30s\n  sweep_interval: 1m\nsla:\n  tick: 1s\n"
	r.writeConfig(r.config, filepath.Join(r.dir, "state"))
	r.simURL = simURL
	// Info, not debug (B24DESK_SOAK_LOG=debug): a thousand mails' debug
	// lines would fill the memory.
	level := cmp.Or(os.Getenv("B24DESK_SOAK_LOG"), "info")
	cfg, err := os.ReadFile(r.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.config, bytes.Replace(cfg, []byte("level: debug"), []byte("level: "+level), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &soakRun{rig: r, imap: imap, user: user, pass: pass, rng: rand.New(rand.NewPCG(seed, 14)), gate: gate}
	s.loadCorpus()
	r.setup()
	if s.state, err = store.OpenReadOnly(context.Background(), filepath.Join(r.dir, "state"), zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.state.Close() })
	r.start()
	r.waitFor("the first mailbox check", time.Minute, func() bool {
		return r.metric(`b24desk_mailbox_last_check_timestamp_seconds{mailbox="support"}`) > 0
	})
	return s
}

// loadCorpus reads the mail test corpus of the MIME parser.
func (s *soakRun) loadCorpus() {
	dir := filepath.Join("..", "mail", "mimeparse", "testdata")
	names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(names) == 0 {
		s.t.Fatalf("the mail corpus in %s: %v", dir, err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			s.t.Fatal(err)
		}
		s.corpus = append(s.corpus, b)
		s.corpusName = append(s.corpusName, filepath.Base(n))
	}
}

// corpusAutomatic are the corpus mails that are automatic (docs/mail.md,
// "Automatic mail, bounces, spam"): they open no ticket. The others are
// tickets, broken or not (their threads name mail the soak never sent).
var corpusAutomatic = map[string]bool{"bounce.eml": true, "bulk-spam.eml": true, "loop.eml": true,
	"outlook-autoreply.eml": true, "vacation.eml": true}

// control sets the simulator's faults through its control endpoint.
func (s *soakRun) control(body string) {
	s.t.Helper()
	resp, err := http.Post(s.simURL+sim.ControlFaultsPath, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("POST %s %s: %d", sim.ControlFaultsPath, body, resp.StatusCode)
	}
}

// beat moves the clocks one step (the daemon runs an SLA tick), notes the
// daemon's memory and waits for the next tick. A daemon that died by
// itself is counted and started again.
func (s *soakRun) beat() {
	s.t.Helper()
	select {
	case <-s.running.done:
		s.crashes++
		s.t.Logf("the daemon exited by itself: %v", s.running.err)
		s.running = nil
		s.start()
	default:
	}
	s.noteMemory()
	s.rig.clk.Set(s.rig.clk.Now().Add(soakClockStep))
	if _, err := postClock(s.listen, s.rig.clk.Now()); err != nil {
		s.t.Fatal(err)
	}
	time.Sleep(soakTick)
}

// kill SIGKILLs the daemon and starts it again.
func (s *soakRun) kill() {
	s.t.Helper()
	s.noteMemory()
	s.stop(syscall.SIGKILL)
	s.start()
}

// noteMemory keeps the daemon's peak resident memory.
func (s *soakRun) noteMemory() {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.running.cmd.Process.Pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			s.peakKB = max(s.peakKB, kb)
		}
	}
}

// settle runs the clock until INBOX and the outbox are empty (true), or
// within passes (false).
func (s *soakRun) settle(within time.Duration) bool {
	start := time.Now()
	for n := 1; time.Since(start) < within; n++ {
		s.beat()
		pending, inbox := s.metric("b24desk_outbox_pending "), len(s.imap.List(s.t, s.user, s.pass, "INBOX"))
		if pending == 0 && inbox == 0 {
			s.t.Logf("settled after %s", time.Since(start).Round(time.Second))
			return true
		}
		if n%20 == 0 {
			s.t.Logf("settling for %s: %g rows in the outbox, %d mails in INBOX", time.Since(start).Round(time.Second), pending, inbox)
		}
	}
	return false
}

// appendMails makes n more mails and appends them to INBOX.
func (s *soakRun) appendMails(n int) {
	s.t.Helper()
	first := len(s.mails)
	for range n {
		s.mails = append(s.mails, s.nextMail(len(s.mails)))
	}
	s.imap.AppendMany(s.t, s.user, s.pass, "INBOX", n, func(i int) []byte { return s.mails[first+i].raw })
}

// soakDomains are the senders' domains, by share: most are enterprise
// customers (first response 2 h, escalated at 80% and 100%).
var soakDomains = []string{"enterprise-client.ru", "enterprise-client.ru", "enterprise-client.ru",
	"webcluster-client.ru", "client.ru", "small-client.ru", "gmail.example"}

// nextMail is mail i of the soak.
func (s *soakRun) nextMail(i int) soakMail {
	id := fmt.Sprintf("soak-%d@soak.test", i)
	date := e2eStart.Add(time.Duration(i) * time.Second).Format(time.RFC1123Z)
	parent := s.someNew()
	switch {
	case i%20 == 7:
		name := s.corpusName[(i/20)%len(s.corpus)]
		m := soakMail{kind: "corpus", file: name, id: id, want: "ticket", raw: withMessageID(s.corpus[(i/20)%len(s.corpus)], id)}
		if corpusAutomatic[name] {
			m.want = "none"
		}
		return m
	case i%50 == 23:
		// Nothing readable: quarantined (each one unique, or the dedupe
		// key would make two of them one).
		return soakMail{kind: "no-header", want: "quarantine",
			raw: append(bytes.Repeat([]byte("\x00\x01garbage without a header "), 40), strconv.Itoa(i)...)}
	case i%10 == 3 && parent >= 0:
		p := s.mails[parent]
		m := soakMail{kind: "reply", id: id, from: p.from, parent: parent, want: "comment", token: fmt.Sprintf("soakreply%dx", i)}
		m.raw = fmt.Appendf(nil, "From: %s\r\nTo: support@example.com\r\nSubject: Re: Request %d\r\nDate: %s\r\n"+
			"Message-ID: <%s>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nStill broken, see %s.\r\n\r\n> Request %d\r\n",
			p.from, parent, date, id, p.id, p.id, m.token, parent)
		return m
	case i%10 == 6 && parent >= 0:
		// By subject tag, when the parent's lead exists by now (else by
		// In-Reply-To, like above).
		p := s.mails[parent]
		m := soakMail{kind: "tag-reply", id: id, from: p.from, parent: parent, want: "comment", token: fmt.Sprintf("soakreply%dx", i)}
		subject, thread := fmt.Sprintf("Re: Request %d", parent), fmt.Sprintf("In-Reply-To: <%s>\r\n", p.id)
		if ids := s.leadsByMessageID()[p.id]; len(ids) == 1 && s.knownTicket(ids[0]) {
			subject, thread = fmt.Sprintf("RE: [#%d] Request %d", ids[0], parent), ""
		} else {
			m.kind = "reply"
		}
		m.raw = fmt.Appendf(nil, "From: %s\r\nTo: support@example.com\r\nSubject: %s\r\nDate: %s\r\n"+
			"Message-ID: <%s>\r\n%sMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMore: %s.\r\n",
			p.from, subject, date, id, thread, m.token)
		return m
	case i%25 == 11 && parent >= 0:
		p := s.mails[parent]
		return soakMail{kind: "auto-reply", id: id, from: p.from, parent: parent, want: "none",
			raw: fmt.Appendf(nil, "From: %s\r\nTo: support@example.com\r\nSubject: Automatic reply: Request %d\r\nDate: %s\r\n"+
				"Message-ID: <%s>\r\nIn-Reply-To: <%s>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"+
				"Content-Type: text/plain; charset=utf-8\r\n\r\nI am away until Monday.\r\n", p.from, parent, date, id, p.id)}
	case i%25 == 17:
		return soakMail{kind: "bounce", id: id, want: "none", raw: fmt.Appendf(nil,
			"From: Mail Delivery System <MAILER-DAEMON@mx.soak.test>\r\nTo: support@example.com\r\n"+
				"Subject: Undelivered Mail Returned to Sender\r\nDate: %s\r\nMessage-ID: <%s>\r\nAuto-Submitted: auto-replied\r\n"+
				"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"+
				"--r\r\nContent-Type: text/plain\r\n\r\nmailbox unavailable\r\n"+
				"--r\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; gone@elsewhere.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"+
				"--r\r\nContent-Type: message/rfc822\r\n\r\nFrom: someone@elsewhere.example\r\nMessage-ID: <never-ours-%d@elsewhere.example>\r\nSubject: x\r\n\r\nx\r\n--r--\r\n",
			date, id, i)}
	case i%15 == 4:
		return soakMail{kind: "broken", id: id, from: fmt.Sprintf("broken%d@client.ru", i), want: "ticket",
			raw: brokenMail(i, id, fmt.Sprintf("broken%d@client.ru", i), date)}
	}
	from := fmt.Sprintf("customer%d@%s", i, soakDomains[i%len(soakDomains)])
	subject := fmt.Sprintf("Request %d", i)
	if i%9 == 0 {
		subject += ": купон" // the 24/7 special tier
	}
	return soakMail{kind: "new", id: id, from: from, want: "ticket", raw: fmt.Appendf(nil,
		"From: Customer %d <%s>\r\nTo: support@example.com\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"+
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease help with request %d.\r\n",
		i, from, subject, date, id, i)}
}

// brokenMail is broken MIME of four kinds, each still a ticket: a
// multipart without its closing boundary, an unknown charset with invalid
// bytes, NULs, and a base64 part that is not base64.
func brokenMail(i int, id, from, date string) []byte {
	head := fmt.Sprintf("From: %s\r\nTo: support@example.com\r\nSubject: Broken %d\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n",
		from, i, date, id)
	switch i % 4 {
	case 0:
		return []byte(head + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe text.\r\n" +
			"--b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n")
	case 1:
		return []byte(head + "Content-Type: text/plain; charset=\"x-no-such-charset\"\r\n\r\ncaf\xe9 \xff\xfe text\r\n")
	case 2:
		return []byte(head + "Content-Type: text/plain; charset=utf-8\r\n\r\nbefore\x00after \x00 end\r\n")
	default:
		return []byte(head + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
			"--b\r\nContent-Type: image/png; name=\"x.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all!!!\r\n--b--\r\n")
	}
}

var messageIDLine = regexp.MustCompile(`(?im)^Message-ID:[^\r\n]*\r?\n`)

// withMessageID gives a corpus mail a Message-ID of its own, so that each
// copy is a mail of its own that can be traced to its lead.
func withMessageID(raw []byte, id string) []byte {
	line := []byte("Message-ID: <" + id + ">\r\n")
	if loc := messageIDLine.FindIndex(raw); loc != nil {
		return slices.Concat(raw[:loc[0]], line, raw[loc[1]:])
	}
	return slices.Concat(line, raw)
}

// knownTicket reports whether the daemon has recorded the lead as a
// ticket: a customer learns a ticket's tag from b24desk's acknowledgement
// or answer, which come after that, so a tag reply is only sent then (a
// tag the daemon does not know yet is an ordinary new mail, docs/mail.md).
func (s *soakRun) knownTicket(lead int) bool {
	_, err := s.state.Ticket(context.Background(), int64(lead))
	return err == nil
}

// someNew picks an earlier new customer mail to answer, or -1.
func (s *soakRun) someNew() int {
	for range 10 {
		if len(s.mails) == 0 {
			return -1
		}
		i := s.rng.IntN(len(s.mails))
		if s.mails[i].kind == "new" {
			return i
		}
	}
	return -1
}

// leadsByMessageID indexes the b24desk leads by the Message-ID their
// SOURCE_DESCRIPTION names ("<mailbox> <Message-ID>").
func (s *soakRun) leadsByMessageID() map[string][]int {
	out := map[string][]int{}
	for _, l := range s.portal.Leads() {
		if str(l["ORIGINATOR_ID"]) != "b24desk" {
			continue
		}
		f := strings.Fields(str(l["SOURCE_DESCRIPTION"]))
		if len(f) == 0 {
			continue
		}
		id, _ := strconv.Atoi(str(l["ID"]))
		mid := strings.Trim(f[len(f)-1], "<>")
		out[mid] = append(out[mid], id)
	}
	return out
}

// soakGoal is one line of the report: a figure and whether it meets its
// goal (want < 0: no goal).
type soakGoal struct {
	name string
	got  int
	want int
	note string
}

// report checks every mail's outcome and the portal's audit, logs the
// figures and fails on each goal missed, saying so.
func (s *soakRun) report(took, chaos time.Duration, settled bool) {
	t := s.t
	byID := s.leadsByMessageID()
	comments := map[int][]sim.Comment{}
	for _, ids := range byID {
		for _, id := range ids {
			comments[id] = s.portal.Comments(id)
		}
	}
	// tokenLeads: the leads whose comments carry token, once per comment.
	tokenLeads := func(token string) []int {
		var out []int
		for id, cs := range comments {
			for _, c := range cs {
				if strings.Contains(c.Text, token) {
					out = append(out, id)
				}
			}
		}
		return out
	}
	// Mail still in INBOX is not lost (it waits; counted below as left in
	// INBOX), nor is it done.
	waiting := map[string]bool{}
	inboxMails := s.imap.List(t, s.user, s.pass, "INBOX")
	for _, m := range inboxMails {
		if id := messageIDLine.Find(m.Raw); id != nil {
			f := strings.Fields(string(id))
			waiting[strings.Trim(f[len(f)-1], "<>")] = true
		}
	}
	var lost, dups, wrong, autoTickets int
	var problems []string
	kinds := map[string]int{}
	for i, m := range s.mails {
		kinds[m.kind]++
		leads := byID[m.id]
		switch m.want {
		case "ticket":
			switch {
			case len(leads) == 0 && waiting[m.id]:
			case len(leads) == 0:
				lost++
				problems = append(problems, fmt.Sprintf("mail %d (%s %s, %s): no ticket", i, m.kind, m.file, m.id))
			case len(leads) > 1:
				dups += len(leads) - 1
				problems = append(problems, fmt.Sprintf("mail %d (%s %s, %s): tickets %v", i, m.kind, m.file, m.id, leads))
			}
		case "comment":
			parent := byID[s.mails[m.parent].id]
			on := tokenLeads(m.token)
			right := 0
			for _, id := range on {
				if len(parent) == 1 && id == parent[0] {
					right++
				}
			}
			switch {
			case len(leads) > 0 || right < len(on):
				wrong++
				problems = append(problems, fmt.Sprintf("mail %d (%s to mail %d, ticket %v): own tickets %v, comments on %v",
					i, m.kind, m.parent, parent, leads, on))
			case right == 0 && waiting[m.id]:
			case right == 0:
				lost++
				problems = append(problems, fmt.Sprintf("mail %d (%s to mail %d, ticket %v): no comment", i, m.kind, m.parent, parent))
			case right > 1:
				dups += right - 1
				problems = append(problems, fmt.Sprintf("mail %d (%s): %d comments", i, m.kind, right))
			}
		case "none":
			if len(leads) > 0 {
				autoTickets++
				problems = append(problems, fmt.Sprintf("mail %d (%s %s, automatic): tickets %v", i, m.kind, m.file, leads))
			}
		}
	}
	esc := escalations(s.portal)
	all := s.portal.Audit(nil)
	for _, d := range all.DuplicateOrigins {
		problems = append(problems, fmt.Sprintf("leads %v created under one ORIGIN_ID %s", d.LeadIDs, d.Origin))
	}
	twice := all.Twice() + len(all.RepeatedWorkflows) - esc.Twice()
	for _, r := range esc.RepeatedComments {
		problems = append(problems, fmt.Sprintf("lead %d: %d× %q", r.LeadID, r.Count, r.Key))
	}

	// What the state and the mailbox were left with (the daemon stopped).
	stats, err := s.state.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reasons := quarantineReasons(s.output(), 60)
	inbox := len(inboxMails)
	processed := len(s.imap.List(t, s.user, s.pass, "Processed"))
	quarantined := len(s.imap.List(t, s.user, s.pass, "Quarantine"))
	wantQuarantine := kinds["no-header"]
	panics := strings.Count(s.output(), "panic:")

	t.Logf("fault soak: %d mails %v in %s (mail and faults %s), seed in the first line", len(s.mails), kinds,
		took.Round(time.Second), chaos.Round(time.Second))
	goals := []soakGoal{
		{"tickets", all.Leads, -1, ""},
		{"lost", lost, 0, "mails gone from INBOX without their ticket or comment"},
		{"duplicates", dups, 0, "tickets or reply comments beyond one"},
		{"replies on the wrong ticket", wrong, 0, ""},
		{"automatic mail that opened a ticket", autoTickets, 0, ""},
		{"escalations", esc.Comments, -1, fmt.Sprintf("%d notifications kept, %d sent again and replaced through their TAG", esc.Notifications, esc.ReplacedNotifications)},
		{"escalations done twice", esc.Twice(), 0, ""},
		{"other writes kept twice", twice, 0, "comments, notifications, workflow starts"},
		{"rows left in the outbox", stats.Pending + stats.Parked, 0, fmt.Sprintf("%d pending, %d parked", stats.Pending, stats.Parked)},
		{"mails left in INBOX", inbox, 0, ""},
		{"mails in Processed + Quarantine", processed + quarantined, len(s.mails), fmt.Sprintf("%d + %d", processed, quarantined)},
		{"quarantined", quarantined, wantQuarantine, fmt.Sprintf("reasons %v", reasons)},
		{"panics", panics, 0, "in the daemon's output"},
		{"daemon exits not caused by the soak", s.crashes, 0, ""},
	}
	for _, g := range goals {
		line := fmt.Sprintf("%-38s %6d", g.name, g.got)
		if g.note != "" {
			line += "  (" + g.note + ")"
		}
		if g.want >= 0 && g.got != g.want {
			line += fmt.Sprintf("  GOAL MISSED: want %d", g.want)
			t.Errorf("fault soak: %s is %d, want %d", g.name, g.got, g.want)
		}
		t.Log(line)
	}
	t.Logf("%-38s %6d kB", "peak RSS of the daemon (VmHWM)", s.peakKB)
	calls := s.portal.Calls()
	t.Logf("%-38s %6d  (%s; %d into the blackhole)", "portal requests", len(calls), requestOutcomes(calls), s.blackholed)
	if s.holeFrom > 0 && s.blackholed == 0 {
		t.Log("the blackhole took no request: this run did not try the daemon's request timeouts")
	}
	t.Logf("%-38s %6s  (%s)", "portal requests by method", "", requestMethods(calls))
	if path := os.Getenv("B24DESK_SOAK_DAEMON_LOG"); path != "" {
		if err := os.WriteFile(path, []byte(s.output()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if !settled {
		t.Errorf("fault soak: INBOX and the outbox did not empty within the settle time")
	}
	if esc.Comments == 0 {
		t.Errorf("fault soak: no SLA escalation happened, so 0 done twice proves nothing")
	}
	for i, p := range problems {
		if i == 20 {
			t.Logf("... and %d more", len(problems)-20)
			break
		}
		t.Log(p)
	}
	if t.Failed() {
		b, _ := json.Marshal(all)
		t.Logf("audit: %.2000s", b)
	}
}

// quarantineReasons counts the reasons of the daemon's "mail handled"
// lines with result quarantined (JSON logs), each cut to width bytes.
func quarantineReasons(logs string, width int) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"result":"quarantined"`) {
			continue
		}
		var l struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal([]byte(line), &l) == nil {
			if len(l.Reason) > width {
				l.Reason = strings.ToValidUTF8(l.Reason[:width], "") + "…"
			}
			out[l.Reason]++
		}
	}
	return out
}

// requestMethods counts the portal's requests by method (a batch is one).
func requestMethods(calls []sim.Call) string {
	n := map[string]int{}
	for _, c := range calls {
		n[c.Method]++
	}
	return countList(n)
}

// requestOutcomes sums up the portal's answers: ok, the error codes, the
// HTML pages by status, the dropped connections.
func requestOutcomes(calls []sim.Call) string {
	n := map[string]int{}
	for _, c := range calls {
		switch {
		case c.Status == http.StatusOK && c.Code == "":
			n["ok"]++
		case c.Code != "":
			n[c.Code]++
		case c.Status == 0:
			n["no answer"]++
		default:
			n[strconv.Itoa(c.Status)+" page"]++
		}
	}
	return countList(n)
}

// countList is "key n, key n" in key order.
func countList(n map[string]int) string {
	keys := slices.Sorted(maps.Keys(n))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, n[k])
	}
	return strings.Join(parts, ", ")
}

// simGate serves the simulator on an address of its own that can be made
// unreachable: down closes the listener and every connection (new ones are
// refused, as by a portal cut off the network), up listens again on the
// same address.
type simGate struct {
	t       testing.TB
	handler http.Handler
	addr    string
	url     string
	srv     *http.Server
}

func newSimGate(t testing.TB, h http.Handler) *simGate {
	g := &simGate{t: t, handler: h, addr: freeAddr(t)}
	g.url = "http://" + g.addr
	g.up()
	t.Cleanup(func() {
		if g.srv != nil {
			_ = g.srv.Close()
		}
	})
	return g
}

func (g *simGate) up() {
	g.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment after down
		if ln, err = net.Listen("tcp", g.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		g.t.Fatalf("sim gate: listen again on %s: %v", g.addr, err)
	}
	g.srv = &http.Server{Handler: g.handler, ReadHeaderTimeout: 10 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(g.srv)
}

func (g *simGate) down() {
	_ = g.srv.Close()
	g.srv = nil
}
