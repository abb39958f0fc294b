package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
)

// twoNodes opens one PostgreSQL state twice, as two daemons on two
// machines do, each with its lease of portal p.example.
func twoNodes(t *testing.T, ttl time.Duration) (a, b *Store, la, lb *Lease) {
	t.Helper()
	if !onPostgres() {
		t.Skip("leases are PostgreSQL's (the PostgreSQL run tests them)")
	}
	ctx := context.Background()
	url := testURL(t, t.TempDir())
	open := func(name string) (*Store, *Lease) {
		s, err := OpenPostgresShared(ctx, url, zerolog.Nop())
		if err != nil {
			// The first open makes the schema.
			s, err = openAndUnlock(ctx, url)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		l, err := s.NewLease(ctx, "p.example", name, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return s, l
	}
	a, la = open("node-a")
	b, lb = open("node-b")
	return a, b, la, lb
}

// openAndUnlock migrates a new database and gives up the one-writer lock.
func openAndUnlock(ctx context.Context, url string) (*Store, error) {
	s, err := OpenPostgres(ctx, url, zerolog.Nop())
	if err != nil {
		return nil, err
	}
	_ = s.Close()
	return OpenPostgresShared(ctx, url, zerolog.Nop())
}

// waitLeading tries to take l until it leads (the other's lease expires).
func waitLeading(t *testing.T, l *Lease, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		ok, err := l.TryAcquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s did not lead within %s", l.Holder(), within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLeaseOneLeaderAndTakeover: one node leads, the other cannot take the
// lease while it is renewed, and takes it (a new epoch) once it expires.
func TestLeaseOneLeaderAndTakeover(t *testing.T) {
	ctx := context.Background()
	_, _, la, lb := twoNodes(t, 2*time.Second)
	if ok, err := la.TryAcquire(ctx); err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	for range 3 {
		if ok, err := lb.TryAcquire(ctx); err != nil || ok {
			t.Fatalf("b took a held lease: %v %v", ok, err)
		}
		if err := la.Renew(ctx); err != nil {
			t.Fatal(err)
		}
	}
	info, err := lb.Info(ctx)
	if err != nil || info.Holder != "node-a" || info.Epoch != 1 || info.ExpiresIn <= 0 {
		t.Fatalf("lease row %+v %v", info, err)
	}
	// a stops renewing (dies): b leads after the TTL, with epoch 2.
	waitLeading(t, lb, 30*time.Second)
	if lb.Epoch() != 2 {
		t.Fatalf("b's epoch %d, want 2", lb.Epoch())
	}
	if err := la.Renew(ctx); !errors.Is(err, ErrFenced) {
		t.Fatalf("a's renewal after the takeover: %v, want ErrFenced", err)
	}
	select {
	case <-la.Lost():
	default:
		t.Fatal("a's Lost is not closed")
	}
	// A clean stop hands over at once.
	if err := lb.Release(ctx); err != nil {
		t.Fatal(err)
	}
	info, err = la.Info(ctx)
	if err != nil || info.ExpiresIn > 0 {
		t.Fatalf("after release %+v %v", info, err)
	}
}

// TestLeaseFencing: a leader paused past its lease (here: it stops
// renewing while the other node takes over) has every write refused,
// in and outside transactions, while the new leader and a standby's
// event intake write; nothing of the fenced writes reaches the state.
func TestLeaseFencing(t *testing.T) {
	ctx := context.Background()
	a, b, la, lb := twoNodes(t, time.Second)
	if ok, err := la.TryAcquire(ctx); err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	if err := a.PutSetting(ctx, "by", "a-leading"); err != nil {
		t.Fatalf("the leader's write: %v", err)
	}
	// The standby accepts a portal event while a leads.
	if _, err := b.RecordEvent(ctx, QueuedEvent{LeadID: 5, Event: "ONCRMLEADUPDATE", At: t0}, "k5"); err != nil {
		t.Fatalf("standby's event intake: %v", err)
	}
	waitLeading(t, lb, 30*time.Second)

	if err := a.PutSetting(ctx, "by", "a-fenced"); !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced auto-commit write: %v, want ErrFenced", err)
	}
	err := a.WithTx(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "by", "a-fenced-tx") })
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced transaction: %v, want ErrFenced", err)
	}
	if _, err := a.PendingEvents(ctx, t0.Add(time.Hour), 10); !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced UPDATE ... RETURNING: %v, want ErrFenced", err)
	}
	if err := a.Buckets().UpdateBucket(ctx, "p.example", func(bk bitrix.Bucket, _ bool) bitrix.Bucket { return bk }); !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced limiter take (every portal request): %v, want ErrFenced", err)
	}
	if v, _, err := b.Setting(ctx, "by"); err != nil || v != "a-leading" {
		t.Fatalf("setting = %q %v: a fenced write got through", v, err)
	}
	if err := b.PutSetting(ctx, "by", "b-leading"); err != nil {
		t.Fatalf("the new leader's write: %v", err)
	}
	got, err := b.PendingEvents(ctx, t0.Add(time.Hour), 10)
	if err != nil || len(got) != 1 || got[0].LeadID != 5 {
		t.Fatalf("the new leader's events %+v %v", got, err)
	}
}

// TestLeaseLocalExpiry: a leader whose last renewal is older than the TTL
// by its own clock (woken from SIGSTOP) refuses writes before asking the
// database, even when nobody took over yet.
func TestLeaseLocalExpiry(t *testing.T) {
	ctx := context.Background()
	a, _, la, _ := twoNodes(t, time.Hour)
	if ok, err := la.TryAcquire(ctx); err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	la.mu.Lock()
	la.validTil = time.Now().Add(-time.Millisecond) // as if paused for an hour
	la.mu.Unlock()
	if err := a.PutSetting(ctx, "x", "y"); !errors.Is(err, ErrFenced) {
		t.Fatalf("write after the local lease ran out: %v, want ErrFenced", err)
	}
	select {
	case <-la.Lost():
	default:
		t.Fatal("Lost not closed")
	}
}

// TestLeaseMaySend: a standby may read the portal; a leader may send while
// its lease runs, not after it ran out or was lost.
func TestLeaseMaySend(t *testing.T) {
	_, _, la, _ := twoNodes(t, time.Hour)
	if !la.MaySend() {
		t.Fatal("a standby may not send")
	}
	if ok, err := la.TryAcquire(context.Background()); err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	if !la.MaySend() {
		t.Fatal("the leader may not send")
	}
	la.mu.Lock()
	la.validTil = time.Now().Add(-time.Millisecond)
	la.mu.Unlock()
	if la.MaySend() {
		t.Fatal("a leader past its lease may send")
	}
}

// TestLeaseTakeoverEndsFrozenHolder: a leader frozen inside a write
// transaction (it holds the state's write lock) does not stop the takeover:
// the new leader ends its sessions, and the frozen transaction never
// commits.
func TestLeaseTakeoverEndsFrozenHolder(t *testing.T) {
	if !onPostgres() {
		t.Skip("leases are PostgreSQL's (the PostgreSQL run tests them)")
	}
	ctx := context.Background()
	url := testURL(t, t.TempDir())
	a, err := openAndUnlock(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenPostgresShared(ctx, url, zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	la, err := a.NewLease(ctx, "p.example", "", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.NewLease(ctx, "p.example", "", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := la.TryAcquire(ctx); err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	frozen, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.WithTx(ctx, func(tx *Tx) error {
			if err := tx.PutSetting(ctx, "by", "frozen-a"); err != nil {
				return err
			}
			close(frozen)
			<-release // frozen here, holding the write lock
			return nil
		})
	}()
	<-frozen
	waitLeading(t, lb, 30*time.Second)
	close(release)
	if err := <-done; err == nil {
		t.Fatal("the frozen leader's transaction committed after the takeover")
	}
	if v, found, err := b.Setting(ctx, "by"); err != nil || found {
		t.Fatalf("setting by = %q (found %v, %v): the frozen write reached the state", v, found, err)
	}
}
