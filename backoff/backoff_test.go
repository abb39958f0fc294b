package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	fixed := Policy{Steps: []time.Duration{time.Second, 5 * time.Second, time.Minute}}
	doubling := Policy{Base: time.Second, Max: 5 * time.Minute}
	cases := []struct {
		name  string
		p     Policy
		retry int
		want  time.Duration
	}{
		{"fixed first", fixed, 0, time.Second},
		{"fixed second", fixed, 1, 5 * time.Second},
		{"fixed last repeats", fixed, 7, time.Minute},
		{"fixed negative retry", fixed, -3, time.Second},
		{"doubling first", doubling, 0, time.Second},
		{"doubling third", doubling, 2, 4 * time.Second},
		{"doubling capped", doubling, 9, 5 * time.Minute},
		{"doubling huge retry", doubling, 1 << 30, 5 * time.Minute},
		{"max below base", Policy{Base: time.Minute, Max: time.Second}, 3, time.Minute},
		{"zero policy", Policy{}, 4, 0},
		{"jitter low end", Policy{Steps: []time.Duration{time.Hour}, Jitter: 0.1, Rand: func() float64 { return 0 }}, 0, 54 * time.Minute},
		{"jitter middle", Policy{Steps: []time.Duration{time.Hour}, Jitter: 0.1, Rand: func() float64 { return 0.5 }}, 0, time.Hour},
		{"jitter clamped to 1", Policy{Base: time.Second, Jitter: 3, Rand: func() float64 { return 0 }}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Delay(c.retry); got != c.want {
				t.Errorf("Delay(%d) = %v, want %v", c.retry, got, c.want)
			}
		})
	}
}

// TestJitterSpread draws from the real source: every wait lies within
// ±Jitter and the draws are not all equal.
func TestJitterSpread(t *testing.T) {
	p := Policy{Base: 10 * time.Second, Max: 10 * time.Second, Jitter: 0.2}
	seen := map[time.Duration]bool{}
	for range 200 {
		d := p.Delay(3)
		if d < 8*time.Second || d > 12*time.Second {
			t.Fatalf("Delay = %v, want within 8s..12s", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Fatal("jitter drew the same wait 200 times")
	}
}
