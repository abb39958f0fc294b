package imapbox_test

import (
	"testing"

	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

// BenchmarkFetchSince reads 1,000 mails of about 20 KB appended to Dovecot
// beforehand, 100 per FetchSince; mails/s is the figure to report.
func BenchmarkFetchSince(b *testing.B) {
	const n, size, batch = 1000, 20_000, 100
	s := imaptest.StartDovecot(b)
	user, pass := s.NewUser(b)
	s.AppendMany(b, user, pass, "INBOX", n, func(i int) []byte { return imaptest.GenerateMail(i, size) })
	box, err := imapbox.Dial(b.Context(), testConfig(s, user, pass, nil))
	if err != nil {
		b.Fatal(err)
	}
	defer box.Close()
	if _, err := box.Select(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n * size)
	b.ResetTimer()
	for b.Loop() {
		var last uint32
		total := 0
		for {
			got, err := box.FetchSince(b.Context(), last, batch)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			total += len(got)
			last = got[len(got)-1].UID
		}
		if total != n {
			b.Fatalf("fetched %d mails, want %d", total, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "mails/s")
}
