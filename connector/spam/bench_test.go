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
