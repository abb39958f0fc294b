package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/store"
)

// gatedPortal holds every call until release is closed (or the call's
// context ends), telling entered when a call arrives.
type gatedPortal struct {
	inner   Portal
	entered chan string
	release chan struct{}
}

func (g *gatedPortal) Call(ctx context.Context, method string, params any) (*bitrix.Response, error) {
	g.entered <- method
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, &bitrix.APIError{Method: method, Kind: bitrix.ErrOutcomeUnknown, Description: "call abandoned"}
	}
	return g.inner.Call(ctx, method, params)
}

// TestRunUntilFinishesTheRowInFlight: closing stop during a call lets the
// call finish (the row is done, not "outcome unknown") and takes no further
// row; cancelling the context instead cuts the call short.
func TestRunUntilFinishesTheRowInFlight(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cancel      bool
		first, next store.OutboxState
	}{
		{"stop", false, store.OutboxDone, store.OutboxPending},
		{"cancel", true, store.OutboxUnknown, store.OutboxPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newFakePortal())
			g := &gatedPortal{inner: h.portal, entered: make(chan string, 10), release: make(chan struct{})}
			h.ob = New(h.st, g, h.clk, zerolog.Nop(), Config{Jitter: -1, MaxIdle: time.Hour})
			a := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "a", GroupKey: "g", Payload: map[string]any{"id": 1}})
			b := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "b", GroupKey: "g", Payload: map[string]any{"id": 1}})

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := make(chan struct{})
			done := make(chan error, 1)
			go func() { done <- h.ob.RunUntil(ctx, stop) }()
			<-g.entered
			if tc.cancel {
				cancel()
			} else {
				close(stop)
				close(g.release)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("RunUntil did not return")
			}
			for id, want := range map[int64]store.OutboxState{a: tc.first, b: tc.next} {
				r, err := h.st.OutboxRowByID(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if r.State != want {
					t.Errorf("row %d: state %s, want %s", id, r.State, want)
				}
			}
		})
	}
}

// TestRunUntilStopsWhileIdle: an idle worker returns once stop is closed,
// without waiting for MaxIdle.
func TestRunUntilStopsWhileIdle(t *testing.T) {
	h := newHarness(t, newFakePortal())
	h.ob.cfg.MaxIdle = time.Hour
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- h.ob.RunUntil(context.Background(), stop) }()
	close(stop)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunUntil did not return after stop")
	}
}

// TestRunUntilWakesOnEnqueue: the graceful worker keeps Enqueue's wake-up.
func TestRunUntilWakesOnEnqueue(t *testing.T) {
	h := newHarness(t, newFakePortal())
	h.ob.cfg.MaxIdle = time.Hour
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- h.ob.RunUntil(context.Background(), stop) }()
	defer func() { close(stop); <-done }()
	id := h.enqueue(Entry{Kind: KindLeadUpdate, DedupeKey: "w", Payload: map[string]any{"id": 1}})
	for range 500 {
		r, err := h.st.OutboxRowByID(context.Background(), id)
		if err == nil && r.State == store.OutboxDone {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("RunUntil did not deliver the row it was woken for")
}
