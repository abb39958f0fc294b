package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
)

// take adds one unit to portal's bucket and returns the stored level.
func take(t testing.TB, b bitrix.BucketStore, portal string, at time.Time) float64 {
	t.Helper()
	var level float64
	err := b.UpdateBucket(context.Background(), portal, func(cur bitrix.Bucket, found bool) bitrix.Bucket {
		level = cur.Level + 1
		return bitrix.Bucket{Level: level, At: at}
	})
	if err != nil {
		t.Fatalf("UpdateBucket: %v", err)
	}
	return level
}

// TestBucketsSharedWithReadOnly: the daemon's store and a read-only store
// opened beside it (a CLI command) update one bucket per portal, and the
// bucket outlives both (a restart continues it).
func TestBucketsSharedWithReadOnly(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	daemon := openTest(t, dir)
	cli, err := openSharedTest(t, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_700_000_000, 123456789)
	var wg sync.WaitGroup
	for _, b := range []bitrix.BucketStore{daemon.Buckets(), cli.Buckets()} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				take(t, b, "portal.example", at)
			}
		}()
	}
	wg.Wait()
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	if err := daemon.Close(); err != nil {
		t.Fatal(err)
	}

	restarted := openTest(t, dir)
	var got bitrix.Bucket
	var found bool
	err = restarted.Buckets().UpdateBucket(ctx, "portal.example", func(b bitrix.Bucket, f bool) bitrix.Bucket {
		got, found = b, f
		return b
	})
	if err != nil || !found || got.Level != 50 || !got.At.Equal(at) {
		t.Fatalf("after restart: %+v found=%v err=%v, want level 50 at %v", got, found, err, at)
	}
	if lv := take(t, restarted.Buckets(), "other.example", at); lv != 1 {
		t.Fatalf("another portal's bucket starts at %v, want 1", lv)
	}
}

// BenchmarkBucketUpdate is the cost the shared limiter adds to each portal
// request: one IMMEDIATE transaction on the state.
func BenchmarkBucketUpdate(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := time.Now()
	b.ResetTimer()
	for range b.N {
		take(b, s.Buckets(), "portal.example", at)
	}
}

// BenchmarkLimiterWait is one Limiter.Wait with the bucket in this process
// and with the bucket shared through the state (the rate is high enough
// that no request waits: the figure is the limiter's own cost).
func BenchmarkLimiterWait(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, shared := range []bool{false, true} {
		name := "in-process"
		if shared {
			name = "shared"
		}
		b.Run(name, func(b *testing.B) {
			l := bitrix.NewLimiter(1e9, 1e9)
			if shared {
				l.Share(s.Buckets(), "portal.example", zerolog.Nop())
			}
			ctx := context.Background()
			for range b.N {
				if err := l.Wait(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
