package outbox

import (
	"context"
	"sync"
)

// flights tracks the worker's rounds, so that a caller can wait for the
// writes already under way (AwaitWrites).
type flights struct {
	mu      sync.Mutex
	started uint64
	done    uint64
	changed chan struct{} // closed (and replaced) when done moves
}

func (f *flights) begin() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started++
	return f.started
}

func (f *flights) end(n uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = max(f.done, n)
	if f.changed != nil {
		close(f.changed)
		f.changed = nil
	}
}

// AwaitWrites waits until the worker's round under way when it was called
// (if any) has recorded its outcomes, or ctx ends. The ticket engine calls
// it before it decides whether a portal event is the echo of b24desk's own
// write: the event of a write can arrive before the write's answer is
// recorded.
func (o *Outbox) AwaitWrites(ctx context.Context) {
	f := &o.flight
	f.mu.Lock()
	want := f.started
	for f.done < want {
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
		f.mu.Lock()
	}
	f.mu.Unlock()
}
