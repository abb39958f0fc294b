package bitrix

import (
	"context"
	"sync"
	"testing"
	"time"
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
		if d := l.reserve(); d != 0 {
			t.Fatalf("request %d waits %v inside the burst", i+1, d)
		}
	}
	// The 47th is 0.125 over: 62.5 ms; each next one 500 ms more.
	want := []time.Duration{62500 * time.Microsecond, 562500 * time.Microsecond, 1062500 * time.Microsecond}
	for i, w := range want {
		if d := l.reserve(); d != w {
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
