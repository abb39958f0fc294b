package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Results of a spam check, for the metric.
const (
	spamHam      = "ham"
	spamSpam     = "spam"
	spamError    = "error"
	spamSkipped  = "skipped"
	spamTooLarge = "too_large"
)

// spamParallel is how many mails of a page are checked at once (spamd
// serves several children; Debian's default is 5).
const spamParallel = 4

// maxRulesNoted bounds the rule names in the lead's comment.
const maxRulesNoted = 8

// verdict is the spam filter's word on one mail.
type verdict struct {
	// checked: the filter answered; res holds its answer.
	checked bool
	res     spam.Result
	// spam: the score is at or above the rules' threshold.
	spam bool
	// threshold is the one that decided (the rules' or spamd's).
	threshold float64
	// unchecked says why the filter was not asked or did not answer ("":
	// no filter configured, or not a mail to check).
	unchecked string
}

// checkSpam asks the spam filter about the page's new mails (and replies
// when the rules say so), before the page's transaction: the filter is
// network I/O. A failure never holds a mail: it goes on unchecked.
func (i *Intake) checkSpam(ctx context.Context, page []handled) {
	c := i.opts.Spam
	r := i.opts.Rules()
	if c == nil || r == nil {
		return
	}
	replies := map[int]bool{}
	if !r.Spam.CheckReplies {
		now := i.clk.Now()
		_ = i.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
			for n, h := range page {
				if h.msg != nil {
					replies[n] = i.isReply(ctx, tx, h.msg, now)
				}
			}
			return nil
		})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, spamParallel)
	for n := range page {
		h := &page[n]
		if h.msg == nil || h.msg.Auto != mimeparse.AutoNone || h.msg.Spam || replies[n] {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			h.spam = i.askSpam(ctx, c, r, h.row.Raw)
		}()
	}
	wg.Wait()
}

// askSpam asks the checker about one raw mail and counts the result.
func (i *Intake) askSpam(ctx context.Context, c *spam.Checker, r *rules.Rules, raw []byte) verdict {
	res, err := c.Check(ctx, raw)
	switch {
	case errors.Is(err, spam.ErrTooLarge):
		i.opts.Metrics.SpamCheck(spamTooLarge)
		return verdict{unchecked: "too large for the spam check"}
	case errors.Is(err, spam.ErrPaused):
		i.opts.Metrics.SpamCheck(spamSkipped)
		return verdict{unchecked: "spam filter unavailable"}
	case err != nil:
		i.opts.Metrics.SpamCheck(spamError)
		return verdict{unchecked: "spam filter unavailable"}
	}
	v := verdict{checked: true, res: res, threshold: r.Spam.Threshold, spam: r.Spam.IsSpam(res.Score, res.Spam)}
	if v.threshold == 0 {
		v.threshold = res.Threshold
	}
	i.opts.Metrics.SpamCheck(map[bool]string{true: spamSpam, false: spamHam}[v.spam])
	return v
}

// isReply reports whether the mail would go to a known ticket as a reply
// (handle decides for good inside the page's transaction).
func (i *Intake) isReply(ctx context.Context, tx *store.Tx, msg *mimeparse.Message, now time.Time) bool {
	lead, _, err := i.thread(ctx, tx, msg)
	if errors.Is(err, errWaitLead) {
		return true
	}
	if err != nil || lead <= 0 {
		return false
	}
	t, err := tx.Ticket(ctx, lead)
	if err != nil {
		return errors.Is(err, store.ErrNotFound)
	}
	return t.ClosedAt.IsZero() || now.Sub(t.ClosedAt) <= i.opts.Threading.ReopenWindow
}

// note is the line the lead's comment gets ("" when there is nothing to
// say).
func (v verdict) note() string {
	switch {
	case v.checked:
		rs := v.res.Rules
		more := ""
		if len(rs) > maxRulesNoted {
			rs, more = rs[:maxRulesNoted], ", …"
		}
		word := "не спам / not spam"
		if v.spam {
			word = "СПАМ / SPAM"
		}
		return fmt.Sprintf("Спам-фильтр / Spam filter: %.1f / %.1f — %s (%s%s)", v.res.Score, v.threshold, word, strings.Join(rs, ", "), more)
	case v.unchecked != "":
		return "Спам-фильтр: письмо не проверено / Spam filter: not checked (" + v.unchecked + ")"
	}
	return ""
}
