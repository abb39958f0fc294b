package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
)

// spamLearnEvery is how often queued spam lessons are given.
const spamLearnEvery = 30 * time.Second

// buildSpam builds the spam checker when the config names a spamd (or the
// options bring a stand-in filter).
func (d *Daemon) buildSpam() error {
	f, addr := d.opts.SpamFilter, "stand-in filter"
	if f == nil {
		if !d.cfg.Spamd.Enabled() {
			return nil
		}
		c, err := spam.New(spam.Options{Addr: d.cfg.Spamd.Address, Timeout: d.cfg.Spamd.Timeout, MaxSize: int(d.cfg.Spamd.MaxSize)})
		if err != nil {
			return fmt.Errorf("spam filter: %w", err)
		}
		f, addr = c, c.Addr()
	}
	d.spam = spam.NewChecker(f, addr, d.clk, d.opts.Logger)
	return nil
}

// learnSpam gives the spam lessons staff decisions queued.
func (d *Daemon) learnSpam(ctx context.Context, _ time.Time) error {
	l := spam.Learner{Store: d.st, Filter: d.spam.Filter(), Log: d.opts.Logger, Metrics: d.metrics}
	_, err := l.RunOnce(ctx)
	return err
}

// spamWarnings says, for /readyz, when spamd failed: mail is then handled
// unchecked (never held), so it warns without making the daemon unready.
func (d *Daemon) spamWarnings() []string {
	if d.spam == nil {
		return nil
	}
	st := d.spam.Status()
	if !st.Down() {
		return nil
	}
	return []string{fmt.Sprintf("spamd %s: unreachable since %s (%d failed checks, %d mails not checked since): %s",
		st.Addr, st.DownSince.Format(time.RFC3339), st.Failures, st.Skipped, st.LastError)}
}
