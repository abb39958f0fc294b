package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// intakeRun is one run of the whole daemon over a backlog of mail.
type intakeRun struct {
	tickets       int
	leadsAfter    time.Duration // until every lead existed
	drainedAfter  time.Duration // until the outbox was empty
	requests      int           // portal requests after the burst was spent
	limitAnswers  int           // QUERY_LIMIT_EXCEEDED among them
	acknowledged  int64         // acknowledgements the SMTP server received
	todos         int           // SLA to-dos in the portal
	requestsByKey map[string]int
}

// runIntake starts the daemon (a subprocess, real clock) on a Dovecot
// mailbox with acknowledgements on and the simulator at rate/burst (the
// daemon configured to the same rate, its limiter's burst 1), spends the
// simulator's burst but two places, appends n mails of about size bytes
// and waits until every lead exists and the outbox is empty. Requests are
// counted from the first APPEND on.
func runIntake(tb testing.TB, n, size int, rate float64, burst int) intakeRun {
	tb.Helper()
	imap := imaptest.StartDovecot(tb)
	user, pass := imap.NewUser(tb)
	var acks atomic.Int64
	smtpAddr := startSMTPSink(tb, &acks)
	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddr)
	mbox := fmt.Sprintf("mailboxes:\n  - name: support\n    address: support@example.com\n"+
		"    imap: {host: 127.0.0.1, port: %s, security: plain, username: %s, password: %s, auth: login}\n"+
		"    poll_interval: 1s\n    ack: {enabled: true, template: ack, daily_cap: 1000, domain_hourly_cap: 10000, hourly_cap: 10000}\n"+
		"    smtp: {host: %s, port: %s, security: plain}\n",
		strings.Split(imap.Addr, ":")[1], user, pass, smtpHost, smtpPort)
	r := newRigWith(tb, time.Now(), mbox, sim.Options{Clock: clock.System{}, Rate: rate, Burst: burst, EventDelay: time.Millisecond})
	// The daemon's limiter starts with one request of burst: the portal's
	// bucket is full (spent below) when it starts.
	r.limits = fmt.Sprintf("  rate: %g\n  burst: 1\n", rate)
	r.timing = "" // the defaults: reconcile every minute, SLA tick 30s
	r.writeConfig(r.config, r.dir+"/state")
	r.setup()
	r.start()
	r.waitFor("the first mailbox check", time.Minute, func() bool {
		return r.metric(`b24desk_mailbox_last_check_timestamp_seconds{mailbox="support"}`) > 0
	})
	c, err := bitrix.New(bitrix.Config{WebhookURL: r.portal.WebhookURL(r.simURL), Rate: rate, Burst: burst, Clock: clock.System{}})
	if err != nil {
		tb.Fatal(err)
	}
	// Two places are left in the bucket: the daemon's limiter and the
	// portal's bucket then drain at the same rate, and a request that
	// arrives a few milliseconds early must not overflow a full bucket.
	for range burst - 2 {
		if _, err := c.Call(context.Background(), "user.current", nil); err != nil && !errors.Is(err, bitrix.ErrRateLimited) {
			tb.Fatal(err)
		}
	}
	r.portal.ResetCalls()
	start := time.Now()
	imap.AppendMany(tb, user, pass, "INBOX", n, func(i int) []byte { return imaptest.GenerateMail(i, size) })
	run := intakeRun{tickets: n, requestsByKey: map[string]int{}}
	limit := time.Duration(float64(n)/rate*1.5)*time.Second + 5*time.Minute // a bound against hanging
	r.waitFor("every lead", limit, func() bool {
		time.Sleep(100 * time.Millisecond)
		return r.portal.LeadCount() >= n
	})
	run.leadsAfter = time.Since(start)
	r.waitFor("an empty outbox", limit, func() bool {
		time.Sleep(100 * time.Millisecond)
		return r.metric("b24desk_outbox_pending ") == 0
	})
	run.drainedAfter = time.Since(start)
	for _, call := range r.portal.Calls() {
		run.requests++
		run.requestsByKey[call.Method]++
		if call.Code == "QUERY_LIMIT_EXCEEDED" {
			run.limitAnswers++
		}
	}
	run.acknowledged = acks.Load()
	run.todos = len(r.portal.Todos())
	r.stop(syscall.SIGTERM)
	return run
}

// BenchmarkIntakeBacklog is the whole daemon working off a backlog: 1,000
// mails of about 5 KB in Dovecot, acknowledgements on, the simulator at the
// standard limits (2 requests/s, burst 50, the burst spent first but two
// places) and at the enterprise limits (5/s, burst 250). Figures: tickets/s until every
// lead exists, seconds until the outbox is empty, portal requests per
// ticket and QUERY_LIMIT_EXCEEDED answers. Goals: ≥ 15 tickets/s, ≤ 0.15
// requests per ticket, 0 limit answers.
func BenchmarkIntakeBacklog(b *testing.B) {
	for _, plan := range []struct {
		name  string
		rate  float64
		burst int
	}{{"standard", 2, 50}, {"enterprise", 5, 250}} {
		b.Run(plan.name, func(b *testing.B) {
			var run intakeRun
			for b.Loop() {
				run = runIntake(b, 1000, 5000, plan.rate, plan.burst)
			}
			b.ReportMetric(float64(run.tickets)/run.leadsAfter.Seconds(), "tickets/s")
			b.ReportMetric(run.drainedAfter.Seconds(), "s-to-empty-outbox")
			b.ReportMetric(float64(run.requests)/float64(run.tickets), "requests/ticket")
			b.ReportMetric(float64(run.limitAnswers), "limit-answers")
			b.ReportMetric(float64(run.acknowledged), "acks")
			b.Logf("requests by method: %v", run.requestsByKey)
		})
	}
}

// TestRequestsPerTicket is the benchmark's short version in the normal
// tests: 40 mails through the whole daemon at the standard limits must cost
// at most 0.25 portal requests per ticket (a count, not a time) and no
// QUERY_LIMIT_EXCEEDED answer.
func TestRequestsPerTicket(t *testing.T) {
	run := runIntake(t, 40, 5000, 2, 50)
	t.Logf("%d tickets: %d requests %v, leads after %s, outbox empty after %s, %d acks",
		run.tickets, run.requests, run.requestsByKey, run.leadsAfter, run.drainedAfter, run.acknowledged)
	if per := float64(run.requests) / float64(run.tickets); per > 0.25 {
		t.Errorf("%.2f portal requests per ticket, want ≤ 0.25: %v", per, run.requestsByKey)
	}
	if run.limitAnswers != 0 {
		t.Errorf("%d QUERY_LIMIT_EXCEEDED answers, want 0", run.limitAnswers)
	}
	if run.acknowledged != int64(run.tickets) {
		t.Errorf("%d acknowledgements sent, want %d", run.acknowledged, run.tickets)
	}
	if run.todos != run.tickets {
		t.Errorf("%d SLA to-dos in the portal, want one per ticket (%d)", run.todos, run.tickets)
	}
}

// startSMTPSink serves SMTP on loopback, counting the mails it receives.
func startSMTPSink(tb testing.TB, count *atomic.Int64) string {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &countSession{count: count}, nil
	}))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	tb.Cleanup(func() { _ = s.Close() })
	return ln.Addr().String()
}

type countSession struct{ count *atomic.Int64 }

func (s *countSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *countSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}
func (s *countSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *countSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *countSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.count.Add(1)
	return err
}
func (s *countSession) Reset()        {}
func (s *countSession) Logout() error { return nil }
