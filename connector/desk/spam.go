package desk

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// spamLesson queues what a person's stage change teaches the spam filter:
// into the junk stage is spam; out of it (a rescue) or into another closed
// stage is ham. Tickets created in junk by the filter teach nothing by
// themselves (only staff decisions do).
func (e *Engine) spamLesson(ctx context.Context, tx *store.Tx, r *rules.Rules, lead int64, from, to string, now time.Time) error {
	if !e.o.LearnSpam || !r.Spam.Learn {
		return nil
	}
	var class spam.Class
	switch junk := r.Spam.JunkStage; {
	case to == junk:
		class = spam.ClassSpam
	case from == junk, r.StateOf(to) == rules.StateClosed:
		class = spam.ClassHam
	default:
		return nil
	}
	e.log.Info().Int64("lead", lead).Str("class", string(class)).Msg("staff decision: spam filter lesson queued")
	return spam.QueueLesson(ctx, tx, lead, class, now)
}
