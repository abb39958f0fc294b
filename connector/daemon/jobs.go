package daemon

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// job is one periodic piece of work. cron only triggers it; the time it
// works with always comes from the daemon's clock.
type job struct {
	name    string
	every   time.Duration
	atStart bool // run once right after start too
	run     func(ctx context.Context, now time.Time) error
}

// jobs lists the periodic work. Jobs that take new work from outside
// (offline events, reconcile, sweep) get the intake context, the others the
// work context.
func (d *Daemon) jobs() (intake, work []job) {
	ev := d.events
	if ev.poller != nil {
		intake = append(intake, job{name: "offline_events", every: d.cfg.Events.OfflineInterval, atStart: true,
			run: func(ctx context.Context, _ time.Time) error { _, err := ev.poller.PollOnce(ctx); return err }})
	}
	if ev.reconciler != nil {
		intake = append(intake,
			job{name: "reconcile", every: d.cfg.Reconcile.Interval, atStart: true,
				run: func(ctx context.Context, now time.Time) error { _, err := ev.reconciler.RunOnce(ctx, now); return err }},
			job{name: "sweep", every: d.cfg.Reconcile.SweepInterval, atStart: true,
				run: func(ctx context.Context, now time.Time) error { _, err := ev.reconciler.Sweep(ctx, now); return err }})
	}
	work = append(work,
		job{name: "portal_probe", every: time.Minute, atStart: true, run: d.probePortal},
		job{name: "sla_tick", every: d.cfg.SLA.Tick, atStart: true,
			run: func(ctx context.Context, now time.Time) error { d.tickSLA(ctx, now); return nil }},
		job{name: "retention", every: 24 * time.Hour, atStart: true, run: d.prune},
		job{name: "outbox_gauges", every: 15 * time.Second, atStart: true, run: d.outboxGauges},
	)
	if d.spam != nil {
		work = append(work, job{name: "spam_learn", every: spamLearnEvery, atStart: true, run: d.learnSpam})
	}
	return intake, work
}

// jobGroup is a set of scheduled jobs that can be stopped, telling which
// runs are still going.
type jobGroup struct {
	cron *cron.Cron

	mu      sync.Mutex
	running map[string]int
	stopped bool
	idle    chan struct{} // closed once stopped and no run is going
}

// enter records the start of a run of name; false once the group stopped.
func (g *jobGroup) enter(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	g.running[name]++
	return true
}

// leave records the end of a run of name.
func (g *jobGroup) leave(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[name]--; g.running[name] <= 0 {
		delete(g.running, name)
	}
	if g.stopped && len(g.running) == 0 {
		close(g.idle)
	}
}

// stop stops triggering runs (cron and the start-up runs not begun yet)
// and returns a channel closed when every run has returned.
func (g *jobGroup) stop() <-chan struct{} {
	g.cron.Stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.stopped = true
		if len(g.running) == 0 {
			close(g.idle)
		}
	}
	return g.idle
}

// runningJobs names the jobs with a run going, sorted.
func (g *jobGroup) runningJobs() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	names := make([]string, 0, len(g.running))
	for n := range g.running {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// startJobs schedules the jobs on a cron and runs the atStart ones once now;
// each job is wrapped once (Recover, SkipIfStillRunning), so a slow run is
// never stacked, whether started by cron or at start. Stop the returned
// group to stop triggering; its stop channel closes when running jobs
// return.
func (d *Daemon) startJobs(ctx context.Context, js []job) *jobGroup {
	cl := cronLogger{d.log}
	g := &jobGroup{cron: cron.New(cron.WithLogger(cl)), running: map[string]int{}, idle: make(chan struct{})}
	for _, j := range js {
		if j.every <= 0 {
			continue
		}
		log := d.log.With().Str("job", j.name).Logger()
		wrapped := cron.NewChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)).Then(cron.FuncJob(func() {
			if ctx.Err() != nil || !g.enter(j.name) {
				return
			}
			defer g.leave(j.name)
			if err := j.run(ctx, d.clk.Now()); err != nil && ctx.Err() == nil {
				log.Error().Err(err).Msg("job failed")
			}
		}))
		g.cron.Schedule(cron.Every(j.every), wrapped)
		if j.atStart {
			go wrapped.Run()
		}
	}
	g.cron.Start()
	return g
}

// tickSLA runs one SLA tick at now; ticks never overlap.
func (d *Daemon) tickSLA(ctx context.Context, now time.Time) {
	if d.core.tick == nil || !d.leader.leading.Load() {
		return
	}
	d.tickMu.Lock()
	defer d.tickMu.Unlock()
	if err := d.core.tick(ctx, now); err != nil && ctx.Err() == nil {
		d.log.Error().Err(err).Msg("SLA tick failed")
	}
}

// probePortal makes a cheap call when the portal has not answered lately,
// so readiness reflects the portal even when nothing else calls it.
func (d *Daemon) probePortal(ctx context.Context, now time.Time) error {
	if last := d.portal.LastOK(); !last.IsZero() && now.Sub(last) < d.opts.PortalStaleAfter/2 {
		return nil
	}
	_, err := d.portal.Scope(ctx)
	return err
}

// prune deletes history older than the retention period (raw mail, done
// outbox rows, old events, sent-mail records, acknowledgement counts, the
// per-ticket state and the personal data of tickets deleted longer ago,
// dead mail drafts), and
// ticket history older than its own retention (with the rules replay's
// classification inputs).
func (d *Daemon) prune(ctx context.Context, now time.Time) error {
	res, err := d.st.Prune(ctx, now, d.cfg.Retention)
	if err != nil {
		return err
	}
	d.log.Info().Interface("pruned", res).Msg("retention")
	if _, err := d.st.PruneHistory(ctx, now, d.cfg.HistoryRetention); err != nil {
		return err
	}
	if _, err := d.st.PruneReplayInputs(ctx, now, d.cfg.HistoryRetention); err != nil {
		return err
	}
	return nil
}

// outboxGauges refreshes the outbox metrics.
func (d *Daemon) outboxGauges(ctx context.Context, _ time.Time) error {
	st, err := d.outbox.Stats(ctx)
	if err != nil {
		return err
	}
	d.metrics.Outbox(st.Depth, st.Parked, st.OldestAge)
	return nil
}

// cronLogger sends cron's own messages to zerolog.
type cronLogger struct{ log zerolog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.log.Trace().Fields(kv).Msg("cron: " + msg) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}
