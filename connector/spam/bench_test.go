package spam_test

import (
	"context"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/spam/spamdtest"
)

// BenchmarkCheck is the cost of the intake's spam check per mail: one
// SYMBOLS request to a private spamd (local tests, Bayes trained on 15+15
// mails) for a ~0.8 KB mail, one at a time and 4 at once (as the intake
// checks a page of mails).
func BenchmarkCheck(b *testing.B) {
	d := spamdtest.Start(b, spamdtest.Options{Extra: "score BAYES_99 3.8"})
	c, err := spam.New(spam.Options{Addr: d.Addr, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, m := range spamdtest.Corpus(15) {
		class := map[bool]spam.Class{true: spam.ClassSpam, false: spam.ClassHam}[m.Spam]
		if _, err := c.Tell(ctx, m.Raw, class); err != nil {
			b.Fatal(err)
		}
	}
	mails := [][]byte{spamdtest.SpamMail(300), spamdtest.HamMail(300)}
	for _, m := range mails { // warm the children
		if _, err := c.Symbols(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("sequential", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := c.Symbols(ctx, mails[i%2]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := c.Symbols(ctx, mails[i%2]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

// BenchmarkClientOverhead is b24desk's own share of a check: connect,
// send a 0.8 KB mail, read and parse a SYMBOLS reply, against an
// in-process fake that answers at once.
func BenchmarkClientOverhead(b *testing.B) {
	f := spamdtest.NewFake(b, "tcp", "127.0.0.1:0", func(string, map[string]string, []byte) string {
		return "SPAMD/1.1 0 EX_OK\r\nContent-length: 19\r\nSpam: True ; 7.9 / 5.0\r\n\r\nBAYES_99,MONEY_BACK"
	})
	c, err := spam.New(spam.Options{Addr: f.Addr})
	if err != nil {
		b.Fatal(err)
	}
	mail := spamdtest.SpamMail(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Symbols(context.Background(), mail); err != nil {
			b.Fatal(err)
		}
	}
}
