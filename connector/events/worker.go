package events

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/backoff"
	"github.com/b24desk/b24desk/clock"
)

// defaultBackoff is the retry schedule of a change the Sink refused; the
// last step repeats. A change is never dropped.
var defaultBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// WorkerOptions configures NewWorker.
type WorkerOptions struct {
	Queue  Queue // required
	Sink   Sink  // required
	Clock  clock.Clock
	Logger zerolog.Logger
	// PollInterval is how often Run looks at the queue without a Notify
	// (default 5s): it picks up retries and changes recorded by another
	// process.
	PollInterval time.Duration
	// BatchSize is how many changes one Pending call reads (default 100).
	BatchSize int
	// Backoff is the retry schedule (default 1s, 5s, 30s, 2m, 10m).
	Backoff []time.Duration
}

// Worker drains recorded changes into the Sink.
type Worker struct {
	o    WorkerOptions
	log  zerolog.Logger
	wake chan struct{}
}

// NewWorker checks the options and returns a worker.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Queue == nil || o.Sink == nil {
		return nil, errors.New("events: worker needs a queue and a sink")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if len(o.Backoff) == 0 {
		o.Backoff = defaultBackoff
	}
	return &Worker{
		o:    o,
		log:  o.Logger.With().Str("component", "events").Logger(),
		wake: make(chan struct{}, 1),
	}, nil
}

// Notify wakes Run; it never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run drains the queue whenever notified and every PollInterval until ctx
// ends; it returns nil then. Errors of the queue are logged and retried on
// the next poll.
func (w *Worker) Run(ctx context.Context) error {
	t := time.NewTicker(w.o.PollInterval)
	defer t.Stop()
	for {
		if _, err := w.DrainOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error().Err(err).Msg("event queue")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-t.C:
		}
	}
}

// DrainOnce hands every due change to the Sink and returns how many it
// accepted. A refused change stays queued with its next attempt set by the
// backoff schedule; DrainOnce then goes on with the others.
func (w *Worker) DrainOnce(ctx context.Context) (int, error) {
	delivered := 0
	for {
		now := w.o.Clock.Now()
		batch, err := w.o.Queue.Pending(ctx, now, w.o.BatchSize)
		if err != nil {
			return delivered, err
		}
		if len(batch) == 0 {
			return delivered, nil
		}
		changes := make([]Change, len(batch))
		for i, q := range batch {
			changes[i] = q.Change
		}
		drain := prefetch(ctx, w.o.Sink, changes)
		for _, q := range batch {
			if err := ctx.Err(); err != nil {
				return delivered, err
			}
			if err := w.o.Sink.LeadChanged(drain, q.Change); err != nil {
				next := now.Add(w.backoff(q.Attempts))
				w.log.Warn().Err(err).Int("lead", q.Change.LeadID).Str("event", q.Change.Event).
					Int("attempts", q.Attempts+1).Time("next", next).Msg("change not accepted, will retry")
				if err := w.o.Queue.Retry(ctx, q.ID, next, err.Error()); err != nil {
					return delivered, err
				}
				continue
			}
			if err := w.o.Queue.Done(ctx, q.ID); err != nil {
				return delivered, err
			}
			delivered++
		}
	}
}

// backoff is the wait after a change's attempts-th refusal (0: the first).
func (w *Worker) backoff(attempts int) time.Duration {
	return backoff.Policy{Steps: w.o.Backoff}.Delay(attempts)
}
