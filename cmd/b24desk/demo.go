package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/daemon"
	"github.com/b24desk/b24desk/connector/store"
)

const demoUsage = `Usage: b24desk demo [--serve] [--verbose]

demo runs the whole product with nothing but this binary: a Bitrix24 portal
simulator, an in-memory IMAP mailbox and an SMTP server, all in this process
on loopback ports. It runs setup, delivers sample customer mails of a
real-estate portal (a map marker, a technical question with a screenshot,
profanity, an off-topic offer, an outage, an enterprise customer, an
auto-reply, then a customer's reply), and runs the daemon with the default
rules on a fast clock starting Tuesday 2026-03-10 10:00 Moscow time, so that
SLA warnings and breaches happen. It plays the staff's part in the portal
(take a ticket, answer one, wait for the customer, reclassify one to
Инцидент, close one) and ends with a table of the tickets and a count of the
portal calls and mails sent. It takes a few seconds; nothing is written
outside a temporary directory, which is removed at the end.

  --serve     keep running after the scenario with the daemon's HTTP
              endpoints (/metrics, /healthz, /readyz) until Ctrl-C
  --verbose   show the daemon's log lines (on stderr)

Example:
  go run ./cmd/b24desk demo
  b24desk demo --serve     # then open the printed /metrics URL

Exit status: 0 the scenario ran, 1 something in it failed, 2 bad flags.
`

// demoStart is when the demo's clock starts: a working Tuesday morning.
func demoStart(loc *time.Location) time.Time { return time.Date(2026, 3, 10, 10, 0, 0, 0, loc) }

// cmdDemo runs the demo scenario.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	serve := fs.Bool("serve", false, "keep serving the HTTP endpoints after the scenario")
	verbose := fs.Bool("verbose", false, "show the daemon's logs")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, demoUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "\n%s", demoUsage)
		return exitUsage
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "b24desk demo: unexpected argument %q\n\n%s", pos[0], demoUsage)
		return exitUsage
	}
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		fmt.Fprintf(stderr, "b24desk demo: %v\n", err)
		return exitFailed
	}
	d := &demo{out: stdout, loc: loc, clk: clock.NewManual(demoStart(loc)), started: time.Now()}
	if err := d.run(ctx, *serve, *verbose, stderr); err != nil {
		fmt.Fprintf(stderr, "b24desk demo: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// demo is one run of the scenario.
type demo struct {
	out     io.Writer
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

func (d *demo) run(ctx context.Context, serve, verbose bool, stderr io.Writer) error {
	env, err := startDemoEnv(d.clk, d.loc)
	if err != nil {
		return err
	}
	defer env.close()
	d.env = env
	fmt.Fprintf(d.out, "b24desk demo: portal simulator %s, IMAP %s, SMTP %s, clock starts %s\n",
		env.simURL, env.imapAdr, env.smtpAdr, d.clk.Now().In(d.loc).Format("Mon 2006-01-02 15:04 MST"))

	// The admin's part: setup, then the outgoing webhook for lead events.
	var setupOut bytes.Buffer
	if code := cmdSetup(ctx, []string{"--config", env.config}, &setupOut, &setupOut); code != exitOK {
		return fmt.Errorf("setup failed (exit %d):\n%s", code, setupOut.String())
	}
	d.say("setup: ticket types, UF_CRM_B24D_* fields and stages created in the portal")

	if err := d.deliverFirst(ctx); err != nil {
		return err
	}

	logW := io.Discard
	if verbose {
		logW = stderr
	}
	runCtx, stopDaemon := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDaemon()
	runErr, err := d.startDaemon(runCtx, logW)
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
	fmt.Fprintf(d.out, "(%.1f s of real time)\n", time.Since(d.started).Seconds())
	if serve {
		fmt.Fprintf(d.out, "\nserving: metrics http://%s/metrics, health http://%s/healthz, ready http://%s/readyz (Ctrl-C to stop)\n",
			d.daemon.Addr(), d.daemon.Addr(), d.daemon.Addr())
		select {
		case <-ctx.Done():
		case err := <-runErr:
			return fmt.Errorf("daemon stopped: %v", err)
		}
	}
	return nil
}

// startDaemon builds the daemon in this process on the demo clock and runs
// it until ctx ends; the returned channel gets Run's result.
func (d *demo) startDaemon(ctx context.Context, logW io.Writer) (chan error, error) {
	var cfgErr bytes.Buffer
	cfg, _ := loadConfig(d.env.config, &cfgErr)
	if cfg == nil {
		return nil, fmt.Errorf("demo config: %s", cfgErr.String())
	}
	r, _, _ := loadConfigRules(cfg, d.clk, &cfgErr)
	if r == nil {
		return nil, fmt.Errorf("demo rules: %s", cfgErr.String())
	}
	log := zerolog.Nop()
	if logW != io.Discard {
		log = newLogger(config.Log{Level: "info", Format: "console"}, logW)
	}
	st, err := openState(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	client, err := newClient(cfg, log, st, d.clk)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	dm, err := daemon.New(ctx, daemon.Options{Config: cfg, Store: st, Client: client, Rules: r,
		DebugClock: d.clk, Logger: log, DrainTimeout: 2 * time.Second})
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
// by a retry do not count).
func (d *demo) settle(ctx context.Context) error {
	return waitUntil(ctx, demoWait, func() bool {
		due, found, err := d.st.NextOutboxDue(ctx)
		return err == nil && (!found || due.After(d.clk.Now()))
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
