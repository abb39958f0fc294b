package mail

import (
	"testing"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

// BenchmarkThroughput takes 1,000 mails of about 20 KB appended to Dovecot
// beforehand through the whole intake: fetch, spool, parse, rules, outbox
// to the portal simulator (limits off), move to Processed. mails/s is the
// figure to report (goal ≥ 200).
func BenchmarkThroughput(b *testing.B) {
	const n, size = 1000, 20_000
	s := imaptest.StartDovecot(b)
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, s, nil)
		s.AppendMany(b, e.user, e.pass, "INBOX", n, func(i int) []byte { return imaptest.GenerateMail(i, size) })
		b.StartTimer()
		for range 100 {
			e.round()
			b.StopTimer()
			done := len(e.folder("INBOX")) == 0
			b.StartTimer()
			if done {
				break
			}
		}
		b.StopTimer()
		if got := e.portal.LeadCount(); got != n {
			b.Fatalf("%d leads, want %d", got, n)
		}
		e.close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "mails/s")
}
