package spam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/store"
)

// The state keeps a lesson waiting to be given, and the class a ticket's
// mail was last taught as (once per mail; a changed mind teaches again).

// learnPage bounds the lessons given per run.
const learnPage = 100

// QueueLesson records in tx that the first mail of the ticket is to be
// taught as class; a lesson not given yet is replaced (the last decision
// counts). The Learner gives it outside the transaction.
func QueueLesson(ctx context.Context, tx *store.Tx, lead int64, class Class, now time.Time) error {
	return tx.QueueSpamLesson(ctx, store.SpamLesson{Lead: lead, Class: string(class), QueuedAt: now})
}

// Taught returns the class the ticket's mail was last taught as ("" none).
func Taught(ctx context.Context, st *store.Store, lead int64) (Class, error) {
	v, err := st.SpamTaught(ctx, lead)
	return Class(v), err
}

// Learner gives queued lessons: it teaches spamd the ticket's first mail
// (its raw copy, kept in the state until retention prunes it).
type Learner struct {
	Store   *store.Store
	Filter  Filter
	Log     zerolog.Logger
	Metrics *metrics.Metrics // may be nil
}

// RunOnce gives the queued lessons. It stops at the first failure to
// reach the filter (the lessons stay queued for the next run); a mail whose
// raw copy is gone, or that the filter refuses, is dropped with a log line.
func (l *Learner) RunOnce(ctx context.Context) (taught int, err error) {
	log := l.Log.With().Str("component", "spam").Logger()
	queued, err := l.Store.SpamLessons(ctx, learnPage)
	if err != nil {
		return 0, err
	}
	for _, ls := range queued {
		lead, class := ls.Lead, Class(ls.Class)
		result, err := l.give(ctx, lead, class)
		if errors.Is(err, ErrUnavailable) {
			return taught, fmt.Errorf("teach lead %d: %w", lead, err)
		}
		if err != nil {
			log.Warn().Err(err).Int64("lead", lead).Str("class", ls.Class).Msg("spam lesson dropped")
			result = "error"
		} else {
			log.Info().Int64("lead", lead).Str("class", ls.Class).Str("result", result).Msg("spam filter taught")
		}
		l.Metrics.SpamTaught(ls.Class, result)
		if result == "learned" {
			taught++
		}
		// The lesson is done unless a newer one replaced it meanwhile.
		err = l.Store.WithTx(ctx, func(tx *store.Tx) error {
			cur, found, err := tx.SpamLessonOf(ctx, lead)
			if err != nil || !found || cur.Class != ls.Class || !cur.QueuedAt.Equal(ls.QueuedAt) {
				return err
			}
			if result == "learned" || result == "known" {
				if err := tx.PutSpamTaught(ctx, lead, ls.Class); err != nil {
					return err
				}
			}
			return tx.DeleteSpamLesson(ctx, lead)
		})
		if err != nil {
			return taught, err
		}
	}
	return taught, nil
}

// give teaches one ticket's first mail: "learned", "known" (taught as this
// class before), "gone" (the raw copy was pruned).
func (l *Learner) give(ctx context.Context, lead int64, class Class) (string, error) {
	if class != ClassSpam && class != ClassHam {
		return "", fmt.Errorf("unknown class %q", class)
	}
	if prev, err := Taught(ctx, l.Store, lead); err != nil {
		return "", err
	} else if prev == class {
		return "known", nil
	}
	msgs, err := l.Store.MessagesOfLead(ctx, lead, 50)
	if err != nil {
		return "", err
	}
	if len(msgs) == 0 {
		return "gone", nil // not a ticket from mail
	}
	first := msgs[len(msgs)-1] // newest first: the last is the ticket's first mail
	if len(first.Raw) == 0 {
		return "gone", nil
	}
	learned, err := l.Filter.Tell(ctx, first.Raw, class)
	if err != nil {
		return "", err
	}
	if !learned {
		return "known", nil
	}
	return "learned", nil
}
