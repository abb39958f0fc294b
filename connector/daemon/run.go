package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Run runs the daemon until ctx ends, then stops in two phases: the intake
// (mailboxes, /bitrix/events, offline events, reconcile, cron) stops taking
// new work, the outbox is drained within DrainTimeout, and the rest is
// cancelled. It returns nil after a clean stop, or the error that stopped
// the daemon (the HTTP server failing).
func (d *Daemon) Run(ctx context.Context) error {
	d.started = d.clk.Now()
	base := context.WithoutCancel(ctx)
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	workCtx, stopWork := context.WithCancel(base)
	defer stopWork()
	// The outbox's context ends only at the drain's bound; stopDeliver
	// stops the outbox worker once the call in flight is finished.
	outboxCtx, stopOutbox := context.WithCancel(base)
	defer stopOutbox()
	stopDeliver := make(chan struct{})

	serveErr := make(chan error, 1)
	go func() { serveErr <- d.srv.Serve(d.ln) }()
	d.log.Info().Str("listen", d.Addr()).Str("events", d.cfg.Events.Mode).Int("mailboxes", len(d.intakes)).
		Bool("debug_clock", d.opts.DebugClock != nil).Msg("b24desk running")
	if !d.awaitLeadership(ctx) {
		// Stopped while standing by: no work was started.
		d.accept.close()
		shutCtx, cancelShut := context.WithTimeout(base, 5*time.Second)
		defer cancelShut()
		_ = d.srv.Shutdown(shutCtx)
		d.log.Info().Msg("stopped (standby)")
		return nil
	}
	if d.opts.Lease != nil {
		// A clean stop hands the lease over at once.
		defer func() { _ = d.opts.Lease.Release(base) }()
		go d.keepLease(workCtx)
	}

	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); d.deliver(outboxCtx, stopDeliver) }()

	// Department pools route mail from the first mail on; a portal that
	// is down now leaves them to the SLA ticks (until then such a pool
	// routes to its fallback user).
	depCtx, cancelDep := context.WithTimeout(intakeCtx, 10*time.Second)
	if err := d.core.loadDepartments(depCtx); err != nil {
		d.log.Warn().Err(err).Msg("department pools: members not read at start")
	}
	cancelDep()

	var workWG sync.WaitGroup
	mailboxes := make([]stopping, len(d.intakes))
	for i, in := range d.intakes {
		mailboxes[i] = stopping{name: "mailbox " + d.cfg.Mailboxes[i].Name, done: goDone(func() { _ = in.Run(intakeCtx) })}
	}
	eventsCtx, stopEvents := context.WithCancel(base)
	defer stopEvents()
	var eventsDone <-chan struct{}
	if d.events.worker != nil {
		eventsDone = goDone(func() { _ = d.events.worker.Run(eventsCtx) })
	}
	workWG.Go(func() { d.rules.Watch(workCtx, d.opts.RulesPoll, d.hup) })
	intakeJobs, workJobs := d.jobs()
	intakeJobs = append(intakeJobs, d.testJobs...)
	intakeCron := d.startJobs(intakeCtx, intakeJobs)
	workCron := d.startJobs(workCtx, workJobs)

	var runErr error
	served := false
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		served = true
		runErr = fmt.Errorf("http server: %w", err)
	case <-d.leaseLost():
		// Every write is refused now: stop, and come back as a standby.
		runErr = ErrLeadershipLost
	}

	// Phase 1: take no new work, within the bound.
	d.log.Info().Msg("stopping: intake")
	d.accept.close()
	stopIntake()
	boundCtx, endBound := context.WithTimeout(base, d.opts.StopTimeout)
	late := awaitStop(boundCtx.Done(), append(mailboxes, stopping{name: "job", done: intakeCron.stop(), running: intakeCron.runningJobs}))
	stopEvents()
	phase2 := []stopping{{name: "job", done: workCron.stop(), running: workCron.runningJobs}}
	if eventsDone != nil {
		phase2 = append(phase2, stopping{name: "events worker", done: eventsDone})
	}
	late = append(late, awaitStop(boundCtx.Done(), phase2)...)
	endBound()
	if len(late) > 0 {
		d.log.Warn().Strs("not_stopped", late).Dur("bound", d.opts.StopTimeout).
			Msg("intake did not stop in time: going on with the shutdown")
	}

	// Phase 2: drain the outbox within the bound.
	drainCtx, cancelDrain := context.WithTimeout(outboxCtx, d.opts.DrainTimeout)
	stopAtBound := context.AfterFunc(drainCtx, stopOutbox)
	close(stopDeliver)
	<-outboxDone // the round in flight finishes (or the bound cancels it)
	err := d.outbox.Flush(drainCtx)
	stopAtBound()
	cancelDrain()
	st, serr := d.outbox.Stats(base)
	switch {
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		d.log.Error().Err(err).Msg("outbox drain failed")
	case serr == nil && st.Depth > 0:
		d.log.Warn().Int("left", st.Depth).Msg("outbox not empty at shutdown: the rest is sent at the next start")
	default:
		d.log.Info().Msg("outbox drained")
	}

	// Phase 3: cancel the rest.
	stopWork()
	workWG.Wait()
	shutCtx, cancelShut := context.WithTimeout(base, 5*time.Second)
	defer cancelShut()
	if err := d.srv.Shutdown(shutCtx); err != nil {
		d.log.Warn().Err(err).Msg("http shutdown")
	}
	if !served {
		if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			runErr = fmt.Errorf("http server: %w", err)
		}
	}
	d.log.Info().Msg("stopped")
	return runErr
}
