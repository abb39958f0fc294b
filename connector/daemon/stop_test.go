package daemon

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestShutdownBoundsIntakeStop: a job that ignores its context does not
// hold the shutdown past the bound; Run logs it by name and returns nil.
func TestShutdownBoundsIntakeStop(t *testing.T) {
	f := newFixture(t, true, "")
	o := f.options()
	logs := &syncBuffer{}
	o.Logger = zerolog.New(logs)
	o.StopTimeout = 200 * time.Millisecond
	o.DrainTimeout = 200 * time.Millisecond
	d, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	d.testJobs = []job{{name: "stuck", every: time.Hour, atStart: true,
		run: func(context.Context, time.Time) error { close(entered); <-release; return nil }}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-entered
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run waited for a job that does not stop")
	}
	out := logs.String()
	if !strings.Contains(out, "intake did not stop in time") || !strings.Contains(out, `"job stuck"`) {
		t.Errorf("no log line naming the job that did not stop:\n%s", out)
	}
	if !strings.Contains(out, `"stopped"`) {
		t.Errorf("Run did not finish its shutdown:\n%s", out)
	}
}

func TestAwaitStop(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	open := make(chan struct{})
	expired := make(chan struct{})
	close(expired)
	cases := []struct {
		name     string
		deadline chan struct{}
		parts    []stopping
		want     []string
	}{
		{"all stopped", open, []stopping{{name: "a", done: closed}, {name: "b", done: closed}}, nil},
		{"one late", expired, []stopping{{name: "a", done: closed}, {name: "b", done: open}}, []string{"b"}},
		{"late jobs named", expired, []stopping{{name: "job", done: open, running: func() []string { return []string{"reconcile", "sweep"} }}},
			[]string{"job reconcile", "job sweep"}},
	}
	for _, c := range cases {
		if got := awaitStop(c.deadline, c.parts); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
