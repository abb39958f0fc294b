package daemon

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/b24desk/b24desk/connector/store"
)

// Leader election timing (docs/deploy.md, "Failover"): the lease lives
// LeaseTTL from its last renewal, the leader renews every LeaseRenew and a
// standby tries every LeasePoll. A leader that dies is replaced within
// LeaseTTL + LeasePoll (12 s) of its last renewal; a leader that stops
// cleanly gives the lease up and is replaced within LeasePoll.
const (
	LeaseTTL   = 10 * time.Second
	LeaseRenew = 2 * time.Second
	LeasePoll  = 2 * time.Second
)

// ErrLeadershipLost: the node lost the leader lease (it was paused or cut
// off past the lease and another node took over); it stopped its work and
// exits, to come back as a standby.
var ErrLeadershipLost = errors.New("leadership lost: another node leads this portal now")

// leadership is the node's role when several daemons share a state.
type leadership struct {
	lease   *store.Lease
	leading atomic.Bool
	since   atomic.Int64 // clock time (Unix ns) the node began to lead
}

// workStart is when this node's work began: the start, or the takeover.
func (d *Daemon) workStart() time.Time {
	if ns := d.leader.since.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return d.started
}

// registerLeader exports b24desk_leader (1 on the node doing the portal's
// work, 0 on a standby; always 1 without election).
func (d *Daemon) registerLeader() {
	d.leader.leading.Store(d.opts.Lease == nil)
	d.leader.lease = d.opts.Lease
	d.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "b24desk_leader",
		Help: "1 when this node does the portal's work (mail, outbox, SLA clock, reconcile), 0 on a standby.",
	}, func() float64 {
		if d.leader.leading.Load() {
			return 1
		}
		return 0
	}))
}

// role is what /readyz says about the node.
func (d *Daemon) role() string {
	switch {
	case d.opts.Lease == nil:
		return ""
	case d.leader.leading.Load():
		return "leader"
	}
	return "standby"
}

// awaitLeadership blocks until this node leads (true) or ctx ends
// (false); meanwhile the node serves events, health and metrics only.
func (d *Daemon) awaitLeadership(ctx context.Context) bool {
	l := d.opts.Lease
	if l == nil {
		return true
	}
	d.log.Info().Str("holder", l.Holder()).Msg("standby: waiting for the leader lease")
	for {
		ok, err := l.TryAcquire(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn().Err(err).Msg("leader lease: try failed")
		}
		if ok {
			d.leader.since.Store(d.clk.Now().UnixNano())
			d.leader.leading.Store(true)
			d.log.Info().Int64("epoch", l.Epoch()).Msg("leading: this node now does the portal's work")
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(LeasePoll):
		}
	}
}

// keepLease renews the lease until ctx ends; a lost lease closes Lost.
func (d *Daemon) keepLease(ctx context.Context) {
	l := d.opts.Lease
	t := time.NewTicker(LeaseRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.Lost():
			return
		case <-t.C:
		}
		err := l.Renew(ctx)
		switch {
		case errors.Is(err, store.ErrFenced):
			d.leader.leading.Store(false)
			d.log.Error().Msg("leader lease lost: stopping all work")
			return
		case err != nil && ctx.Err() == nil:
			// The database may be back before the lease runs out; past
			// it, the next renewal (and every write) is refused.
			d.log.Warn().Err(err).Msg("leader lease: renewal failed")
		}
	}
}

// leaseLost is closed when this node lost the lease (nil without election:
// never).
func (d *Daemon) leaseLost() <-chan struct{} {
	if d.opts.Lease == nil {
		return nil
	}
	return d.opts.Lease.Lost()
}
