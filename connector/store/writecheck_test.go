package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/connector/store/storetest"
)

// TestWriteFailureSeenByReadiness: while another process holds the
// state's write lock, WriteHealth fails within seconds; when it lets go,
// the state is healthy again.
func TestWriteFailureSeenByReadiness(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(context.Background(), dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.WriteHealth(ctx); err != nil {
		t.Fatalf("healthy state: %v", err)
	}
	release := storetest.HoldWriteLock(t, dir)
	start := time.Now()
	err = s.WriteHealth(ctx)
	if !errors.Is(err, store.ErrNotWritable) {
		t.Fatalf("WriteHealth with the write lock held elsewhere: %v; want ErrNotWritable", err)
	}
	t.Logf("write check failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	release()
	if err := s.WriteHealth(ctx); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
}
