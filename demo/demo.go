package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/daemon"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Options is one run of the demo.
type Options struct {
	// Out receives the story and the closing table.
	Out io.Writer
	// Log receives the daemon's log lines (zerolog.Nop() for none).
	Log zerolog.Logger
	// Serve keeps the daemon's HTTP endpoints running after the scenario
	// until ctx ends; the endpoint URLs are printed on Out.
	Serve bool
}

// demoStart is when the demo's clock starts: a working Tuesday morning.
func demoStart(loc *time.Location) time.Time { return time.Date(2026, 3, 10, 10, 0, 0, 0, loc) }

// Run plays the whole scenario: it starts the simulator, the IMAP and SMTP
// servers, runs setup and the daemon on a manual clock, plays the staff's
// part and prints the closing table. It removes everything it made.
func Run(ctx context.Context, opts Options) error {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		return err
	}
	d := &demo{out: opts.Out, log: opts.Log, loc: loc, clk: clock.NewManual(demoStart(loc)), started: time.Now()}
	return d.run(ctx, opts.Serve)
}

// demo is one run of the scenario.
type demo struct {
	out     io.Writer
	log     zerolog.Logger
	loc     *time.Location
	clk     *clock.Manual
	env     *demoEnv
	st      *store.Store
	daemon  *daemon.Daemon
	started time.Time // wall time, for the closing line only

	tickets map[string]int64 // scenario key → ticket number
	answers string           // which tickets were answered by mail
}

// say prints a progress line stamped with the demo clock.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "%s  %s\n", d.clk.Now().In(d.loc).Format("Mon 15:04"), fmt.Sprintf(format, args...))
}

func (d *demo) run(ctx context.Context, serve bool) error {
	env, err := startDemoEnv(d.clk, d.loc)
	if err != nil {
		return err
	}
	defer env.close()
	d.env = env
	fmt.Fprintf(d.out, "b24desk demo: portal simulator %s, IMAP %s, SMTP %s, clock starts %s\n",
		env.simURL, env.imapAdr, env.smtpAdr, d.clk.Now().In(d.loc).Format("Mon 2006-01-02 15:04 MST"))

	// The admin's part: setup, then the outgoing webhook for lead events.
	if err := d.setup(ctx); err != nil {
		return err
	}
	d.say("setup: ticket types, UF_CRM_B24D_* fields and stages created in the portal")

	if err := d.deliverFirst(ctx); err != nil {
		return err
	}

	runCtx, stopDaemon := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDaemon()
	runErr, err := d.startDaemon(runCtx)
	if err != nil {
		return err
	}
	defer func() {
		stopDaemon()
		<-runErr
		_ = d.st.Close()
	}()
	env.portal.AddOutgoingWebhook("http://"+d.daemon.Addr()+"/bitrix/events", "ONCRMLEADADD", "ONCRMLEADUPDATE", "ONCRMLEADDELETE")
	d.say("daemon running on http://%s (events from the portal: outgoing webhook)", d.daemon.Addr())

	if err := d.scenario(ctx); err != nil {
		return err
	}
	if err := d.report(ctx); err != nil {
		return err
	}
	if err := d.slaReport(ctx); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "(%.1f s of real time)\n", time.Since(d.started).Seconds())
	if serve {
		fmt.Fprintf(d.out, "\nserving: the SLA report page above, metrics http://%s/metrics, health http://%s/healthz, ready http://%s/readyz (Ctrl-C to stop)\n",
			d.daemon.Addr(), d.daemon.Addr(), d.daemon.Addr())
		select {
		case <-ctx.Done():
		case err := <-runErr:
			return fmt.Errorf("daemon stopped: %v", err)
		}
	}
	return nil
}

// load reads the demo's config and rules as `b24desk run` would.
func (d *demo) load() (*config.Config, *rules.Rules, error) {
	cfg, err := config.Load(d.env.config, os.LookupEnv)
	if err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	r, _, err := rules.Load(cfg.Rules.Path, d.clk.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("demo rules: %w", err)
	}
	return cfg, r, nil
}

// setup does the admin's `b24desk setup` on the demo's portal and state.
func (d *demo) setup(ctx context.Context) error {
	cfg, r, err := d.load()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.State.Dir, d.log)
	if err != nil {
		return err
	}
	defer st.Close()
	client, err := daemon.NewClient(cfg, d.log, st, clock.System{}, daemon.Retries{})
	if err != nil {
		return err
	}
	rep, err := daemon.Setup(ctx, cfg, r, client, st, false)
	if err == nil && len(rep.Problems()) > 0 {
		err = fmt.Errorf("%s", rep.Problems()[0])
	}
	if err != nil {
		return fmt.Errorf("setup failed: %w", err)
	}
	return nil
}

// startDaemon builds the daemon in this process on the demo clock and runs
// it until ctx ends; the returned channel gets Run's result.
func (d *demo) startDaemon(ctx context.Context) (chan error, error) {
	cfg, r, err := d.load()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.State.Dir, d.log)
	if err != nil {
		return nil, err
	}
	client, err := daemon.NewClient(cfg, d.log, st, d.clk, daemon.Retries{})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	dm, err := daemon.New(ctx, daemon.Options{Config: cfg, Store: st, Client: client, Rules: r,
		DebugClock: d.clk, Logger: d.log, DrainTimeout: 2 * time.Second, SpamFilter: standInFilter{}})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	d.st, d.daemon = st, dm
	runErr := make(chan error, 1)
	go func() { runErr <- dm.Run(ctx) }()
	if err := waitUntil(ctx, demoWait, func() bool {
		resp, err := http.Get("http://" + dm.Addr() + daemon.PathHealth)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		return nil, fmt.Errorf("daemon did not answer /healthz: %w", err)
	}
	return runErr, nil
}

// setClock moves the shared clock through the daemon's debug endpoint,
// which also runs an SLA tick and wakes the outbox, then waits until the
// outbox has delivered what is due.
func (d *demo) setClock(ctx context.Context, t time.Time) error {
	body, _ := json.Marshal(daemon.ClockRequest{Set: t.Format(time.RFC3339Nano)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+d.daemon.Addr()+"/debug/clock", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("move the clock: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("move the clock: HTTP %d", resp.StatusCode)
	}
	return d.settle(ctx)
}

// settle waits until no portal write is due (rows delayed into the future
// by a retry do not count) and none is in flight (a row being sent is
// "outcome unknown" until its answer is recorded; the demo's portal never
// leaves an outcome unknown).
func (d *demo) settle(ctx context.Context) error {
	return waitUntil(ctx, demoWait, func() bool {
		due, found, err := d.st.NextOutboxDue(ctx)
		if err != nil || (found && !due.After(d.clk.Now())) {
			return false
		}
		st, err := d.st.OutboxStats(ctx)
		return err == nil && st.Unknown == 0
	})
}

// demoWait bounds each wait of the scenario. A step takes milliseconds on an
// idle machine; the bound is generous so that a machine busy with other
// work (CI runs the demo beside the test suite) is slow, not failed.
const demoWait = 60 * time.Second

// waitUntil polls cond every 10 ms until it holds, within limit.
func waitUntil(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
