package spam_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/spam/spamdtest"
)

// gtube is SpamAssassin's standard test string: any mail with it scores 1000.
const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

func gtubeMail() []byte {
	return []byte("From: x@spam.example\r\nTo: support@desk.example\r\nSubject: test\r\n" +
		"Message-ID: <gtube@spam.example>\r\nDate: Tue, 10 Mar 2026 10:00:00 +0000\r\n\r\n" + gtube + "\r\n")
}

// TestRealSpamd speaks to a private spamd: PING, CHECK, SYMBOLS, REPORT,
// TELL (spam, again, changed to ham), Forget, and Bayes voting after it
// learned a few dozen mails.
func TestRealSpamd(t *testing.T) {
	t.Parallel()
	d := spamdtest.Start(t, spamdtest.Options{})
	c, err := spam.New(spam.Options{Addr: d.Addr, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	r, err := c.Check(ctx, gtubeMail())
	if err != nil || !r.Spam || r.Score < 100 || r.Threshold != 5 {
		t.Fatalf("check GTUBE = %+v, %v", r, err)
	}
	r, err = c.Symbols(ctx, gtubeMail())
	if err != nil || !slices.Contains(r.Rules, "GTUBE") {
		t.Fatalf("symbols GTUBE = %+v, %v", r, err)
	}
	r, report, err := c.Report(ctx, gtubeMail())
	if err != nil || !r.Spam || report == "" {
		t.Fatalf("report GTUBE = %+v %q, %v", r, report, err)
	}

	one := spamdtest.SpamMail(1000)
	if learned, err := c.Tell(ctx, one, spam.ClassSpam); err != nil || !learned {
		t.Fatalf("tell spam = %v, %v", learned, err)
	}
	if learned, err := c.Tell(ctx, one, spam.ClassSpam); err != nil || learned {
		t.Fatalf("tell spam again = %v, %v; want already learned", learned, err)
	}
	if ns, nh := d.Learned(t); ns != 1 || nh != 0 {
		t.Fatalf("after teaching spam: nspam %d nham %d", ns, nh)
	}
	// A changed mind: the same mail taught as ham moves from spam to ham.
	if learned, err := c.Tell(ctx, one, spam.ClassHam); err != nil || !learned {
		t.Fatalf("tell ham after spam = %v, %v", learned, err)
	}
	if ns, nh := d.Learned(t); ns != 0 || nh != 1 {
		t.Fatalf("after re-teaching as ham: nspam %d nham %d, want 0 1", ns, nh)
	}
	if forgot, err := c.Forget(ctx, one); err != nil || !forgot {
		t.Fatalf("forget = %v, %v", forgot, err)
	}

	// Bayes votes once it learned 10 of each: teach 12 + 12.
	fresh := []struct {
		raw  []byte
		spam bool
	}{{spamdtest.SpamMail(500), true}, {spamdtest.HamMail(500), false}}
	var before [2]float64
	for i, f := range fresh {
		r, err := c.Check(ctx, f.raw)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = r.Score
	}
	for _, m := range spamdtest.Corpus(12) {
		class := spam.ClassHam
		if m.Spam {
			class = spam.ClassSpam
		}
		if _, err := c.Tell(ctx, m.Raw, class); err != nil {
			t.Fatalf("teach: %v", err)
		}
	}
	for i, f := range fresh {
		r, err := c.Symbols(ctx, f.raw)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("new %s mail: %.1f before learning, %.1f after, rules %v", map[bool]string{true: "junk", false: "normal"}[f.spam], before[i], r.Score, r.Rules)
		if f.spam && (r.Score < before[i]+1 || !slices.Contains(r.Rules, "BAYES_99")) {
			t.Errorf("new junk mail scores %.1f after learning (was %.1f), rules %v", r.Score, before[i], r.Rules)
		}
		if !f.spam && (r.Score > before[i] || !slices.Contains(r.Rules, "BAYES_00")) {
			t.Errorf("new normal mail scores %.1f after learning (was %.1f), rules %v", r.Score, before[i], r.Rules)
		}
	}
}

// TestStoppedSpamd: nothing listening is an outage (ErrUnavailable).
func TestStoppedSpamd(t *testing.T) {
	t.Parallel()
	c, err := spam.New(spam.Options{Addr: "127.0.0.1:1", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(context.Background(), gtubeMail()); !errors.Is(err, spam.ErrUnavailable) {
		t.Fatalf("check against a closed port: %v, want ErrUnavailable", err)
	}
}
