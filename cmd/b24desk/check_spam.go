package main

import (
	"context"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
)

// checkSpamd checks the spam filter when spamd.address is set: PING, then
// a check of a built-in test mail (SpamAssassin's GTUBE string, which any
// working spamd scores as spam); it prints spamd's and the rules' threshold.
func checkSpamd(ctx context.Context, env *checkEnv) []checkLine {
	s := env.cfg.Spamd
	if !s.Enabled() {
		return nil
	}
	c, err := spam.New(spam.Options{Addr: s.Address, Timeout: s.Timeout, MaxSize: int(s.MaxSize)})
	if err != nil {
		return []checkLine{fail("spamd: "+err.Error(), "fix spamd.address")}
	}
	const fix = "start spamd (with --allow-tell for learning) or fix spamd.address; until then mail goes on unchecked"
	start := time.Now()
	if err := c.Ping(ctx); err != nil {
		return []checkLine{fail(fmt.Sprintf("spamd %s: %v", s.Address, err), fix)}
	}
	res, err := c.Check(ctx, gtubeMail)
	took := time.Since(start)
	if err != nil {
		return []checkLine{fail(fmt.Sprintf("spamd %s answers PING but not CHECK: %v", s.Address, err), fix)}
	}
	threshold := "spamd's own"
	if t := env.rules.Spam.Threshold; t > 0 {
		threshold = fmt.Sprintf("%.1f (rules)", t)
	}
	learn := "staff decisions teach it (spamd needs --allow-tell)"
	if !env.rules.Spam.Learn {
		learn = "no learning (spam.learn: false)"
	}
	lines := []checkLine{pass("spamd %s answers: a test mail scored %.1f / %.1f in %s; threshold %s, spam goes to stage %s; %s",
		s.Address, res.Score, res.Threshold, took.Round(time.Millisecond), threshold, env.rules.Spam.JunkStage, learn)}
	if !res.Spam {
		lines = append(lines, warnLine("spamd %s: the GTUBE test mail was not scored as spam (%.1f): is the GTUBE rule off?", s.Address, res.Score))
	}
	return lines
}

// gtubeMail carries SpamAssassin's GTUBE test string.
var gtubeMail = []byte("From: check@b24desk.invalid\r\nTo: check@b24desk.invalid\r\nSubject: b24desk check\r\n" +
	"Message-ID: <check@b24desk.invalid>\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n")
