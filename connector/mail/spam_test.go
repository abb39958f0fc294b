package mail

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/spam/spamdtest"
	"github.com/b24desk/b24desk/connector/store"
)

// spamThreshold is the rules' threshold in these tests: with local tests
// only (spamd -L) Bayes adds at most 4.0, so a learned junk mail scores
// about 4.6 and a learned normal one below 0.
const spamThreshold = 4.0

// withSpam gives the env's intake a spam checker on f and the rules a
// threshold.
func withSpam(e *env, f spam.Filter, name string) {
	e.t.Helper()
	r := *e.rules
	r.Spam.Threshold = spamThreshold
	e.rules = &r
	e.spam = spam.NewChecker(f, name, e.clk, zerolog.Nop())
	e.close()
	e.open()
}

// leadOf returns the lead made from the mail with Message-ID id.
func leadOf(t *testing.T, e *env, messageID string) map[string]any {
	t.Helper()
	for _, l := range e.portal.Leads() {
		if strings.Contains(str(l["SOURCE_DESCRIPTION"]), strings.Trim(messageID, "<>")) {
			return l
		}
	}
	t.Fatalf("no lead for %s", messageID)
	return nil
}

func messageID(raw []byte) string {
	_, rest, _ := strings.Cut(string(raw), "Message-ID: ")
	id, _, _ := strings.Cut(rest, "\r\n")
	return id
}

// TestSpamdLearnsFromStaff runs the intake against a real spamd: before
// learning a new junk mail scores below the threshold; after spamd learned
// 15 junk and 15 normal mails (English and Russian) new mails land on the
// right side (junk: JUNK stage, closed, no SLA, no assignee; normal: NEW
// with its SLA), each lead carries the score; then the rescue of a junk
// ticket (a staff decision queued as a ham lesson) moves the filter back.
func TestSpamdLearnsFromStaff(t *testing.T) {
	t.Parallel()
	d := spamdtest.Start(t, spamdtest.Options{})
	client, err := spam.New(spam.Options{Addr: d.Addr})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, imaptest.StartMemory(t), nil)
	withSpam(e, client, d.Addr)
	ctx := context.Background()

	before := spamdtest.SpamMail(100)
	e.appendMail(before)
	e.round()
	if l := leadOf(t, e, messageID(before)); l["STATUS_ID"] != "NEW" {
		t.Fatalf("junk mail before learning: stage %v, want NEW (score %v)", l["STATUS_ID"], l[schema.FieldSpamScore])
	}

	for _, m := range spamdtest.Corpus(15) {
		class := map[bool]spam.Class{true: spam.ClassSpam, false: spam.ClassHam}[m.Spam]
		if _, err := client.Tell(ctx, m.Raw, class); err != nil {
			t.Fatalf("teach: %v", err)
		}
	}

	var junk, normal [3][]byte
	for i := range junk {
		junk[i], normal[i] = spamdtest.SpamMail(200+i), spamdtest.HamMail(200+i)
		e.appendMail(junk[i])
		e.appendMail(normal[i])
	}
	e.round()
	for i := range junk {
		j, n := leadOf(t, e, messageID(junk[i])), leadOf(t, e, messageID(normal[i]))
		js, ns := num(j[schema.FieldSpamScore]), num(n[schema.FieldSpamScore])
		t.Logf("junk mail %d: %.1f, normal mail %d: %.1f", i, js, i, ns)
		if j["STATUS_ID"] != "JUNK" || js < spamThreshold {
			t.Errorf("junk mail %d: stage %v score %.1f, want JUNK at ≥ %.1f", i, j["STATUS_ID"], js, spamThreshold)
		}
		if str(j["ASSIGNED_BY_ID"]) != "1" || str(j[schema.FieldSLADue]) != "" {
			t.Errorf("junk mail %d: assigned %v, SLA due %v; want the default user and no SLA", i, j["ASSIGNED_BY_ID"], j[schema.FieldSLADue])
		}
		if !strings.Contains(str(j["COMMENTS"]), "СПАМ / SPAM") || !strings.Contains(str(j["COMMENTS"]), "BAYES_99") {
			t.Errorf("junk mail %d: comment lacks the spam line: %s", i, j["COMMENTS"])
		}
		if n["STATUS_ID"] != "NEW" || ns >= spamThreshold || str(n[schema.FieldSLADue]) == "" {
			t.Errorf("normal mail %d: stage %v score %.1f SLA %v, want NEW below %.1f with an SLA", i, n["STATUS_ID"], ns, n[schema.FieldSLADue], spamThreshold)
		}
		if !strings.Contains(str(n["COMMENTS"]), "не спам / not spam") {
			t.Errorf("normal mail %d: comment lacks the spam line: %s", i, n["COMMENTS"])
		}
	}
	rescued := leadOf(t, e, messageID(junk[0]))
	id := int64(num(rescued["ID"]))
	tk, err := e.st.Ticket(ctx, id)
	if err != nil || tk.ClosedAt.IsZero() || tk.NextDueAt.IsZero() != true || tk.Status != "JUNK" {
		t.Fatalf("junk ticket in state: %+v, %v; want closed in JUNK with nothing due", tk, err)
	}
	if s := e.counts(); s != "INBOX 0, Processed 7, Quarantine 0" {
		t.Errorf("folders: %s", s)
	}

	// Staff rescue it (desk queues a ham lesson for that stage change; see
	// connector/desk TestSpamLessons), twice: the second is known.
	res1, _ := client.Symbols(ctx, junk[0])
	_, nham := d.Learned(t)
	learner := spam.Learner{Store: e.st, Filter: client, Log: zerolog.Nop()}
	for round := range 2 {
		if err := e.st.WithTx(ctx, func(tx *store.Tx) error {
			return spam.QueueLesson(ctx, tx, id, spam.ClassHam, e.clk.Now())
		}); err != nil {
			t.Fatal(err)
		}
		n, err := learner.RunOnce(ctx)
		if err != nil || n != 1-round {
			t.Fatalf("rescue round %d: taught %d, %v", round, n, err)
		}
	}
	if c, _ := spam.Taught(ctx, e.st, id); c != spam.ClassHam {
		t.Errorf("taught = %q", c)
	}
	res2, _ := client.Symbols(ctx, junk[0])
	_, nham2 := d.Learned(t)
	t.Logf("rescued mail: %.1f %v before, %.1f %v after", res1.Score, res1.Rules, res2.Score, res2.Rules)
	if nham2 != nham+1 || res2.Score >= res1.Score {
		t.Errorf("rescue: nham %d → %d, score %.1f → %.1f; want one more ham and a lower score", nham, nham2, res1.Score, res2.Score)
	}
}

func num(v any) float64 {
	var f float64
	_, _ = fmt.Sscan(str(v), &f)
	return f
}

// downFilter is a spamd that cannot be reached.
type downFilter struct{ calls atomic.Int32 }

func (f *downFilter) Symbols(context.Context, []byte) (spam.Result, error) {
	f.calls.Add(1)
	return spam.Result{}, fmt.Errorf("%w: connection refused", spam.ErrUnavailable)
}

func (f *downFilter) Tell(context.Context, []byte, spam.Class) (bool, error) {
	return false, spam.ErrUnavailable
}

// TestSpamdDown: mail goes on unchecked, as without a filter, and says so;
// the checker pauses after the failure (the mails checked at once may
// each fail; the others are not asked) and reports the outage.
func TestSpamdDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imaptest.StartMemory(t), nil)
	f := &downFilter{}
	withSpam(e, f, "127.0.0.1:1")
	for i := range 3 {
		e.appendMail(spamdtest.SpamMail(i))
	}
	e.round()
	if n := e.portal.LeadCount(); n != 3 {
		t.Fatalf("%d leads, want 3", n)
	}
	for _, l := range e.portal.Leads() {
		if l["STATUS_ID"] != "NEW" || !strings.Contains(str(l["COMMENTS"]), "not checked (spam filter unavailable)") {
			t.Errorf("lead %v: stage %v comment %s", l["ID"], l["STATUS_ID"], l["COMMENTS"])
		}
	}
	st := e.spam.Status()
	if f.calls.Load() < 1 || int(f.calls.Load())+st.Skipped != 3 || !st.Down() || !strings.Contains(st.LastError, "connection refused") {
		t.Errorf("calls %d, status %+v", f.calls.Load(), st)
	}
	if s := e.counts(); s != "INBOX 0, Processed 3, Quarantine 0" {
		t.Errorf("folders: %s", s)
	}
}

// standIn scores by a word, for tests without spamd.
type standIn struct{}

func (standIn) Symbols(_ context.Context, raw []byte) (spam.Result, error) {
	if strings.Contains(string(raw), "casino") {
		return spam.Result{Spam: true, Score: 9, Threshold: 5, Rules: []string{"CASINO"}}, nil
	}
	return spam.Result{Score: 0.5, Threshold: 5}, nil
}

func (standIn) Tell(context.Context, []byte, spam.Class) (bool, error) { return true, nil }

// TestSpamRepliesNotChecked: a reply to a known ticket is not checked
// unless check_replies; with it a spam "reply" becomes a junk ticket linked
// to the ticket, which stays as it was.
func TestSpamReplies(t *testing.T) {
	t.Parallel()
	for _, checkReplies := range []bool{false, true} {
		t.Run(fmt.Sprint("check_replies=", checkReplies), func(t *testing.T) {
			e := newEnv(t, imaptest.StartMemory(t), nil)
			withSpam(e, standIn{}, "stand-in")
			r := *e.rules
			r.Spam.CheckReplies = checkReplies
			e.rules = &r
			first := "From: Anna <anna@example.com>\r\nTo: support@desk.example\r\nSubject: map\r\nMessage-ID: <q1@example.com>\r\n\r\nThe map is grey.\r\n"
			e.appendMail([]byte(first))
			e.round()
			reply := "From: Anna <anna@example.com>\r\nTo: support@desk.example\r\nSubject: Re: map\r\nMessage-ID: <q2@example.com>\r\nIn-Reply-To: <q1@example.com>\r\n\r\nWin at our casino!\r\n"
			e.appendMail([]byte(reply))
			e.round()
			if checkReplies {
				if n := e.portal.LeadCount(); n != 2 {
					t.Fatalf("%d leads, want the ticket and a junk one", n)
				}
				j := leadOf(t, e, "<q2@example.com>")
				if j["STATUS_ID"] != "JUNK" || !strings.Contains(str(j["COMMENTS"]), "Related to ticket") {
					t.Errorf("spam reply: %v %s", j["STATUS_ID"], j["COMMENTS"])
				}
				return
			}
			if n := e.portal.LeadCount(); n != 1 {
				t.Fatalf("%d leads, want 1 (the reply goes to the ticket)", n)
			}
			if len(e.replies.calls) != 1 {
				t.Errorf("customer replies told: %v", e.replies.calls)
			}
		})
	}
}
