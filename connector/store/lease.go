package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The leader lease: daemons sharing one PostgreSQL state elect the one that
// does the portal's work (reads mail, drains the outbox, ticks the SLA
// clock, reconciles) through a row per portal in the table leases: holder,
// epoch, expiry. A row, not an advisory lock held on a connection: a
// leader that is paused (SIGSTOP, a long GC) keeps its connection and an
// advisory lock with it, so nobody could take over; a row with an expiry
// written by the database's clock lets a standby take over when the leader
// stops renewing, whatever state its process and connections are in.
//
// Fencing. Each takeover increments the epoch. Once a Lease leads, every
// write transaction of its Store checks, under the state's write lock
// (postgres.go), that the row still names this holder and epoch and has
// not expired by the database's clock, and refuses with ErrFenced if not;
// writes outside a transaction run in one made for the check. The check
// is also made locally first: a leader whose last successful renewal is
// older than the TTL (by its monotonic clock, which runs on while the
// process is stopped) refuses every write without asking the database. A
// leader woken after its lease ran out therefore cannot write anything,
// and since every portal request takes the limiter's bucket (a write) and
// every mail is recorded before it is sent, cannot send either; it steps
// down (Lost is closed).

// ErrFenced: the write was refused because this node no longer holds the
// lease it led with.
var ErrFenced = errors.New("fenced: this node no longer holds the leader lease")

const leaseSchema = `
CREATE TABLE IF NOT EXISTS leases (
	portal     TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	epoch      BIGINT NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	renewed_at TIMESTAMPTZ NOT NULL
)`

// Lease is one node's claim on the leadership of a portal.
type Lease struct {
	s      *Store
	portal string
	holder string
	ttl    time.Duration

	mu       sync.Mutex
	epoch    int64     // 0 while not leading
	validTil time.Time // local (monotonic) end of the lease
	lost     chan struct{}
	lostOnce sync.Once
}

// LeaseInfo is the lease row as the database has it.
type LeaseInfo struct {
	Holder    string
	Epoch     int64
	ExpiresIn time.Duration // negative once expired
}

// NewLease prepares the lease of portal (its address) for holder (a name
// unique to this process; "" names it by its sessions' application_name,
// which lets a node taking over end the old holder's sessions) with the given time to live, and makes every
// write of s fenced by it once it leads. Only a PostgreSQL state has
// leases.
func (s *Store) NewLease(ctx context.Context, portal, holder string, ttl time.Duration) (*Lease, error) {
	if s.engine != enginePostgres {
		return nil, errors.New("leader lease: only a PostgreSQL state (state.postgres_url) is shared by several nodes")
	}
	if _, err := s.db.ExecContext(ctx, leaseSchema); err != nil {
		return nil, fmt.Errorf("leader lease: %w", err)
	}
	if holder == "" {
		holder = s.node
	}
	l := &Lease{s: s, portal: portal, holder: holder, ttl: ttl, lost: make(chan struct{})}
	s.fence.Store(l)
	return l, nil
}

// Holder is this node's name in the lease.
func (l *Lease) Holder() string { return l.holder }

// Epoch is the epoch this node leads with, 0 while it does not lead.
func (l *Lease) Epoch() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

// Lost is closed when this node, having led, lost the lease.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// TryAcquire takes the lease when it is free, expired or already this
// node's; leading reports whether this node leads now.
func (l *Lease) TryAcquire(ctx context.Context) (leading bool, err error) {
	if l.Epoch() != 0 {
		return true, l.Renew(ctx)
	}
	if ok, err := l.takeable(ctx); !ok || err != nil {
		return false, err
	}
	var start time.Time
	var epoch int64
	err = l.s.WithTx(ctx, func(tx *Tx) error {
		// The lease runs from its statement, after the write lock was
		// taken (a wait for it must not eat into the lease).
		start = time.Now()
		return tx.q.QueryRowContext(ctx, `INSERT INTO leases (portal, holder, epoch, expires_at, renewed_at)
VALUES (?, ?, 1, clock_timestamp() + make_interval(secs => ?), clock_timestamp())
ON CONFLICT (portal) DO UPDATE SET holder = excluded.holder, epoch = leases.epoch + 1,
	expires_at = excluded.expires_at, renewed_at = excluded.renewed_at
WHERE leases.expires_at < clock_timestamp()
RETURNING epoch`, l.portal, l.holder, l.ttl.Seconds()).Scan(&epoch)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("leader lease %s: %w", l.portal, err)
	}
	l.mu.Lock()
	l.epoch, l.validTil = epoch, start.Add(l.ttl)
	l.mu.Unlock()
	return true, nil
}

// takeable reads the lease row without a lock: false while another holder
// has it (no wait for the write lock, which a frozen holder may keep).
// When it has expired, the old holder's sessions are ended: a holder
// frozen inside a transaction (SIGSTOP) keeps the state's write lock,
// which the takeover needs; ending its sessions rolls its transaction
// back, so nothing it wrote there commits.
func (l *Lease) takeable(ctx context.Context) (bool, error) {
	var holder string
	var expired bool
	err := l.s.db.QueryRowContext(ctx, `SELECT holder, expires_at < clock_timestamp() FROM leases WHERE portal = ?`,
		l.portal).Scan(&holder, &expired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("leader lease %s: %w", l.portal, err)
	case !expired:
		return false, nil
	case holder == l.holder:
		return true, nil
	}
	var n int
	if err := l.s.db.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = ?`, holder).Scan(&n); err != nil {
		l.s.log.Warn().Err(err).Str("holder", holder).Msg("leader lease expired: the old holder's sessions could not be ended")
	} else if n > 0 {
		l.s.log.Warn().Str("holder", holder).Int("sessions", n).Msg("leader lease expired: ended the old holder's sessions")
	}
	return true, nil
}

// Renew extends the lease this node leads with; ErrFenced (and Lost
// closed) when it no longer holds it.
func (l *Lease) Renew(ctx context.Context) error {
	epoch := l.Epoch()
	if epoch == 0 {
		return ErrFenced
	}
	var start time.Time
	var n int64
	err := l.s.WithTx(ctx, func(tx *Tx) error {
		start = time.Now()
		res, err := tx.q.ExecContext(ctx, `UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => ?),
	renewed_at = clock_timestamp()
WHERE portal = ? AND holder = ? AND epoch = ?`, l.ttl.Seconds(), l.portal, l.holder, epoch)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	switch {
	case errors.Is(err, ErrFenced) || (err == nil && n == 0):
		l.stepDown()
		return ErrFenced
	case err != nil:
		return fmt.Errorf("renew leader lease %s: %w", l.portal, err)
	}
	l.mu.Lock()
	l.validTil = start.Add(l.ttl)
	l.mu.Unlock()
	return nil
}

// Release gives the lease up at a clean stop, so that a standby takes
// over at its next try instead of after the TTL.
func (l *Lease) Release(ctx context.Context) error {
	epoch := l.Epoch()
	if epoch == 0 {
		return nil
	}
	_, err := l.s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE leases SET expires_at = clock_timestamp() - interval '1 second'
WHERE portal = ? AND holder = ? AND epoch = ?`, l.portal, l.holder, epoch)
	l.stepDown()
	return err
}

// Info reads the lease row (ErrNotFound before anybody led).
func (l *Lease) Info(ctx context.Context) (LeaseInfo, error) {
	var li LeaseInfo
	var secs float64
	err := l.s.db.QueryRowContext(ctx, `SELECT holder, epoch, EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8
FROM leases WHERE portal = ?`, l.portal).Scan(&li.Holder, &li.Epoch, &secs)
	if errors.Is(err, sql.ErrNoRows) {
		return li, ErrNotFound
	}
	li.ExpiresIn = time.Duration(secs * float64(time.Second))
	return li, err
}

// stepDown marks the lease lost: from now on every write of the store is
// refused.
func (l *Lease) stepDown() {
	l.mu.Lock()
	if l.epoch != 0 {
		l.validTil = time.Time{}
	}
	l.mu.Unlock()
	l.lostOnce.Do(func() { close(l.lost) })
}

// MaySend reports whether this node may still talk to the portal: it
// never led (a standby's own reads), or leads and its lease has not run
// out by its monotonic clock. The daemon asks before every portal request,
// so that a leader woken after its lease ran out sends nothing even where
// no write comes first.
func (l *Lease) MaySend() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.lost:
		return false
	default:
	}
	return l.epoch == 0 || time.Now().Before(l.validTil)
}

// active reports whether this node leads or has led: its writes are then
// fenced.
func (l *Lease) active() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch != 0
}

// fenceCheck is the check every write transaction of a leading node makes
// on conn, under the write lock: nil when this node does not lead (a
// standby's writes, such as portal events it accepts, are not the
// leader's work) or still holds the lease.
func (l *Lease) fenceCheck(ctx context.Context, q func(ctx context.Context, query string, args ...any) (bool, error)) error {
	l.mu.Lock()
	epoch, validTil, lost := l.epoch, l.validTil, false
	select {
	case <-l.lost:
		lost = true
	default:
	}
	l.mu.Unlock()
	if epoch == 0 && !lost {
		return nil
	}
	if lost || !time.Now().Before(validTil) {
		l.stepDown()
		return ErrFenced
	}
	ok, err := q(ctx, `SELECT EXISTS (SELECT 1 FROM leases WHERE portal = $1 AND holder = $2 AND epoch = $3
	AND expires_at > clock_timestamp())`, l.portal, l.holder, epoch)
	if err != nil {
		return fmt.Errorf("check the leader lease: %w", err)
	}
	if !ok {
		l.stepDown()
		return ErrFenced
	}
	return nil
}
