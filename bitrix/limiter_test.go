package bitrix

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeNow is a hand-moved monotonic time source for the limiter.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeNow) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func TestLimiterReservations(t *testing.T) {
	clk := &fakeNow{t: time.Unix(1000, 0)}
	l := newLimiterAt(2, 50, clk.now) // capacity 50 - 50/16 = 46.875
	for i := range 46 {
		if d := l.reserve(context.Background()); d != 0 {
			t.Fatalf("request %d waits %v inside the burst", i+1, d)
		}
	}
	// The 47th is 0.125 over: 62.5 ms; each next one 500 ms more.
	want := []time.Duration{62500 * time.Microsecond, 562500 * time.Microsecond, 1062500 * time.Microsecond}
	for i, w := range want {
		if d := l.reserve(context.Background()); d != w {
			t.Errorf("reservation %d waits %v, want %v", 47+i, d, w)
		}
	}
	clk.advance(10 * time.Second) // drains 20
	if lv := l.Level(); lv != 29 {
		t.Errorf("level after 10 s = %v, want 29", lv)
	}
	l.Penalize()
	if lv := l.Level(); lv != 46.875 {
		t.Errorf("level after a refusal = %v, want the capacity", lv)
	}
}

func TestLimiterCancelGivesBack(t *testing.T) {
	clk := &fakeNow{t: time.Unix(1000, 0)}
	l := newLimiterAt(1, 2, clk.now) // capacity 1 (margin 2 leaves 0, floored to 1)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx); err == nil {
		t.Fatal("Wait on a cancelled context succeeded")
	}
	if lv := l.Level(); lv != 1 {
		t.Errorf("level = %v, want 1 (the cancelled reservation given back)", lv)
	}
}

func TestPlanLimits(t *testing.T) {
	tests := []struct {
		plan  string
		rate  float64
		burst int
		wantR float64
		wantB int
	}{
		{"", 0, 0, 2, 50}, {"standard", 0, 0, 2, 50}, {"enterprise", 0, 0, 5, 250}, {"Enterprise", 0, 0, 5, 250},
		{"standard", 10, 0, 10, 50}, {"enterprise", 0, 100, 5, 100},
	}
	for _, tt := range tests {
		r, b, err := planLimits(tt.plan, tt.rate, tt.burst)
		if err != nil || r != tt.wantR || b != tt.wantB {
			t.Errorf("planLimits(%q, %v, %d) = %v, %d, %v", tt.plan, tt.rate, tt.burst, r, b, err)
		}
	}
}

func TestIdempotentMethods(t *testing.T) {
	for m, want := range map[string]bool{
		"crm.lead.get": true, "crm.lead.list": true, "crm.lead.fields": true, "scope": true, "user.get": true,
		"user.admin": true, "crm.status.entity.items": true, "crm.lead.update": true, "crm.item.update": true,
		"crm.activity.todo.updateDeadline": true, "event.offline.get": true, "crm.duplicate.findbycomm": true,
		"crm.lead.add": false, "im.notify.system.add": false, "crm.timeline.comment.add": false,
		"crm.activity.todo.add": false, "bizproc.workflow.start": false, "batch": false, "crm.lead.delete": false,
		"event.offline.clear": false, "crm.status.add": false,
	} {
		if got := idempotent(m); got != want {
			t.Errorf("idempotent(%s) = %v, want %v", m, got, want)
		}
	}
}

// memBuckets is a BucketStore in memory; fail makes every update fail.
type memBuckets struct {
	mu      sync.Mutex
	buckets map[string]Bucket
	fail    error
	updates int
}

func (m *memBuckets) UpdateBucket(_ context.Context, portal string, fn func(Bucket, bool) Bucket) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.buckets == nil {
		m.buckets = map[string]Bucket{}
	}
	b, found := m.buckets[portal]
	m.buckets[portal] = fn(b, found)
	m.updates++
	return nil
}

// TestLimiterSharedBucket: a second limiter on the same store (a restarted
// process, a CLI command beside the daemon) continues the bucket the first
// filled; another portal's bucket is its own.
func TestLimiterSharedBucket(t *testing.T) {
	clk := &fakeNow{t: time.Unix(1000, 0)}
	store := &memBuckets{}
	first := newLimiterAt(2, 50, clk.now)
	first.Share(store, "portal.example", zerolog.Nop())
	for range 40 {
		if d := first.reserve(context.Background()); d != 0 {
			t.Fatalf("first limiter waits %v inside the burst", d)
		}
	}
	clk.advance(time.Second) // drains 2: 38 left
	second := newLimiterAt(2, 50, clk.now)
	second.Share(store, "portal.example", zerolog.Nop())
	for i := range 8 {
		if d := second.reserve(context.Background()); d != 0 {
			t.Fatalf("second limiter: request %d waits %v, want at once (level %v)", i+1, d, second.Level())
		}
	}
	// 46 now in the bucket: the 47th unit is 0.125 over capacity 46.875.
	if d := second.reserve(context.Background()); d != 62500*time.Microsecond {
		t.Fatalf("second limiter over the shared capacity waits %v, want 62.5ms", d)
	}
	if d := first.reserve(context.Background()); d != 562500*time.Microsecond {
		t.Fatalf("first limiter waits %v after the second filled the bucket, want 562.5ms", d)
	}
	other := newLimiterAt(2, 50, clk.now)
	other.Share(store, "other.example", zerolog.Nop())
	if d := other.reserve(context.Background()); d != 0 || other.Level() != 1 {
		t.Fatalf("another portal's limiter waits %v at level %v", d, other.Level())
	}
}

// TestLimiterSharedStoreFails: a failing store sends the limiter to its
// in-process bucket (from the last level it read) with a warning, and the
// store is tried again 30 s later.
func TestLimiterSharedStoreFails(t *testing.T) {
	clk := &fakeNow{t: time.Unix(1000, 0)}
	store := &memBuckets{}
	var logs bytes.Buffer
	l := newLimiterAt(2, 50, clk.now)
	l.Share(store, "portal.example", zerolog.New(&logs))
	for range 10 {
		l.reserve(context.Background())
	}
	store.mu.Lock()
	store.fail = errors.New("database is locked")
	store.mu.Unlock()
	done := make(chan time.Duration)
	go func() { done <- l.reserve(context.Background()) }()
	select {
	case d := <-done:
		if d != 0 {
			t.Fatalf("fallback reservation waits %v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a failing store held the request")
	}
	if lv := l.Level(); lv != 11 {
		t.Errorf("in-process level = %v, want 11 (the stored 10 plus one)", lv)
	}
	if !strings.Contains(logs.String(), "request limiter state unavailable") || !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
	store.mu.Lock()
	store.fail = nil
	before := store.updates
	store.mu.Unlock()
	l.reserve(context.Background())
	if store.updates != before {
		t.Fatal("the store was tried again before 30 s")
	}
	clk.advance(31 * time.Second)
	l.reserve(context.Background())
	if store.updates != before+1 {
		t.Fatalf("the store was not tried again after 30 s (%d updates)", store.updates-before)
	}
	if got := store.buckets["portal.example"].Level; got != 1 {
		t.Errorf("stored level %v, want 1 (the stored 10 drained over 31 s, plus one)", got)
	}
	if !strings.Contains(logs.String(), "shared again") {
		t.Errorf("no recovery logged:\n%s", logs.String())
	}
}
