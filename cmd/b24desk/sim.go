package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
)

const simUsage = `Usage: b24desk sim [--listen ADDR] [--tls --cert-out FILE] [--rate N --burst N | --no-limits]
                  [--outgoing-webhook URL]... [--fault-... RATE]...

Serve the Bitrix24 portal simulator: the REST API subset b24desk uses, with
the real envelopes, errors, limits, batch, paging and lead events. It prints
the inbound webhook URL (put it in portal.webhook_url), the application
token (http.application_token) and the OAuth token URL, and serves until
interrupted. The portal starts empty apart from its users and stages; its
state lives in memory only. Use it to rehearse docs/admin.md without a
portal, or to try a client of your own.

--outgoing-webhook URL does the admin's manual step 4 of docs/admin.md: it
registers an outgoing webhook that POSTs ONCRMLEADADD, ONCRMLEADUPDATE and
ONCRMLEADDELETE to URL (the daemon's https://HOST/bitrix/events) with the
printed application token. Repeat it for several receivers.

Faults (the simulator's own, for rehearsing failures; rates are shares of
requests, 0 to 1): --fault-500 and --fault-503 answer the portal's
INTERNAL_SERVER_ERROR and QUERY_LIMIT_EXCEEDED without running the call,
--fault-html an nginx error page instead of JSON; of the writes,
--fault-write-drop applies the write and closes the connection,
--fault-write-timeout applies it and never answers, --fault-late-write
holds it until the client gives up and applies it --late-write-delay later.
They can be changed while it serves, and an outage switched on and off,
through the control endpoint (loopback clients only; docs/operations.md,
"Rehearsing failures"):
  curl -X POST -d '{"down": true}' http://127.0.0.1:8024/sim/faults    # outage on
  curl -X POST -d '{"down": false}' http://127.0.0.1:8024/sim/faults   # and off
  curl -X POST -d '{"blackhole": true}' http://127.0.0.1:8024/sim/faults
      # an outage where nothing answers: requests are taken and held
      # unanswered, not run, until the client gives up or it is switched off
  curl http://127.0.0.1:8024/sim/audit      # leads and side effects landed twice

Examples:
  b24desk sim --listen 127.0.0.1:8024
  b24desk sim --listen 127.0.0.1:0 --no-limits     # any free port, no rate limit
  b24desk sim --listen 127.0.0.1:8024 --tls --cert-out /tmp/sim.pem
  b24desk sim --listen 127.0.0.1:8024 --outgoing-webhook http://127.0.0.1:8080/bitrix/events
  b24desk sim --fault-500 0.02 --fault-write-drop 0.02 --fault-late-write 0.01
  curl -s http://127.0.0.1:8024/rest/1/SECRET/crm.lead.list.json   # the printed webhook URL

Exit status: 0 stopped by Ctrl-C or SIGTERM, 1 the listener or the
certificate failed, 2 bad flags.

Flags:
`

// cmdSim serves the portal simulator over HTTP(S).
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8024", "address to listen on (port 0: any free port)")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a self-signed certificate for 127.0.0.1/localhost")
	certOut := fs.String("cert-out", "", "with --tls: write the certificate PEM to this file")
	rate := fs.Float64("rate", 2, "leaky bucket drain, requests per second")
	burst := fs.Int("burst", 50, "leaky bucket capacity")
	noLimits := fs.Bool("no-limits", false, "switch the request limits off")
	operating := fs.Duration("operating-limit", 0, "per-method operating time limit per 10 minutes (0: off)")
	eventDelay := fs.Duration("event-delay", time.Second, "delay before a lead event is pushed")
	var hooks []string
	fs.Func("outgoing-webhook", "POST lead events (ONCRMLEADADD, ONCRMLEADUPDATE, ONCRMLEADDELETE) to this http(s) URL; repeatable",
		func(v string) error {
			if err := checkHookURL(v); err != nil {
				return err
			}
			hooks = append(hooks, v)
			return nil
		})
	var fj sim.FaultsJSON
	fs.Float64Var(&fj.Error500Rate, "fault-500", 0, "share of requests answered 500 INTERNAL_SERVER_ERROR")
	fs.Float64Var(&fj.Error503Rate, "fault-503", 0, "share of requests answered 503 QUERY_LIMIT_EXCEEDED")
	fs.Float64Var(&fj.HTMLRate, "fault-html", 0, "share of requests answered with a 502 HTML page")
	fs.Float64Var(&fj.WriteDropRate, "fault-write-drop", 0, "share of writes applied, then the connection closed")
	fs.Float64Var(&fj.WriteTimeoutRate, "fault-write-timeout", 0, "share of writes applied, then never answered")
	fs.Float64Var(&fj.LateWriteRate, "fault-late-write", 0, "share of writes held until the client gives up, applied later")
	fs.StringVar(&fj.LateWriteDelay, "late-write-delay", "", "with --fault-late-write: how long after the client gave up (default at once)")
	fs.StringVar(&fj.Latency, "latency", "", "added before every answer, e.g. 200ms")
	help := fs.Bool("help", false, "show this help")
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, simUsage)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return exitOK
		}
		printUsage(stderr)
		return exitUsage
	}
	if *help {
		printUsage(stdout)
		return exitOK
	}
	if fs.NArg() > 0 || (*certOut != "" && !*useTLS) || *rate <= 0 || *burst <= 0 {
		fmt.Fprintln(stderr, "b24desk sim: bad arguments (see b24desk sim --help)")
		return exitUsage
	}
	faults, err := fj.Faults()
	if err != nil {
		fmt.Fprintf(stderr, "b24desk sim: %v (see b24desk sim --help)\n", err)
		return exitUsage
	}
	log := zerolog.New(stderr).With().Timestamp().Logger()
	p := sim.New(sim.Options{Clock: clock.System{}, Logger: log, Rate: *rate, Burst: *burst, NoLimits: *noLimits,
		OperatingLimit: *operating, EventDelay: *eventDelay})
	defer p.Close()
	p.SetFaults(faults)
	for _, h := range hooks {
		p.AddOutgoingWebhook(h, simHookEvents...)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk sim: %v\n", err)
		return exitFailed
	}
	scheme := "http"
	if *useTLS {
		cfg, pemBytes, err := p.TLSConfig()
		if err != nil {
			_ = ln.Close()
			fmt.Fprintf(stderr, "b24desk sim: %v\n", err)
			return exitFailed
		}
		if *certOut != "" {
			if err := os.WriteFile(*certOut, pemBytes, 0o644); err != nil {
				_ = ln.Close()
				fmt.Fprintf(stderr, "b24desk sim: write certificate: %v\n", err)
				return exitFailed
			}
		}
		ln = tls.NewListener(ln, cfg)
		scheme = "https"
	}
	base := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(stdout, "webhook URL:        %s\n", p.WebhookURL(base))
	fmt.Fprintf(stdout, "application token:  %s\n", p.AppToken())
	fmt.Fprintf(stdout, "OAuth token URL:    %s (client_id %s)\n", p.OAuthURL(base), p.ClientID())
	if *certOut != "" {
		fmt.Fprintf(stdout, "certificate PEM:    %s\n", *certOut)
	}
	for _, h := range hooks {
		fmt.Fprintf(stdout, "outgoing webhook:   %s (%s)\n", h, strings.Join(simHookEvents, ", "))
	}
	fmt.Fprintf(stdout, "control:            %s%s, %s%s (loopback only)\n", base, sim.ControlFaultsPath, base, sim.ControlAuditPath)

	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		return exitOK
	case err := <-errc:
		fmt.Fprintf(stderr, "b24desk sim: %v\n", err)
		return exitFailed
	}
}

// simHookEvents are the lead events an outgoing webhook of docs/admin.md
// step 4 sends.
var simHookEvents = []string{"ONCRMLEADADD", "ONCRMLEADUPDATE", "ONCRMLEADDELETE"}

// checkHookURL accepts an absolute http or https URL with a host.
func checkHookURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an http(s) URL with a host, such as http://127.0.0.1:8080/bitrix/events")
	}
	return nil
}
