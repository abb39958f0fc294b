package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/desk"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/mail"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/rating"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Defaults of Options fields left zero.
const (
	DefaultDrainTimeout     = 10 * time.Second
	DefaultRulesPoll        = 3 * time.Second
	DefaultOutboxStuckAfter = 15 * time.Minute
	DefaultPortalStaleAfter = 5 * time.Minute
)

// Options are the daemon's dependencies. Config, Store, Client and Rules are
// required; the caller closes the store after Run returns.
type Options struct {
	Config *config.Config
	Store  *store.Store
	Client *bitrix.Client
	// Rules are the rules loaded from Config.Rules.Path at start.
	Rules  *rules.Rules
	Clock  clock.Clock // default clock.System{}
	Logger zerolog.Logger
	// DebugClock, when set, is the daemon's clock (Clock is then ignored)
	// and POST /debug/clock moves it. Only for tests and the demo; needs a
	// loopback http.listen.
	DebugClock *clock.Manual
	// Registry receives the metrics (default: a new registry with the Go
	// and process collectors).
	Registry *prometheus.Registry
	// DrainTimeout bounds the outbox drain at shutdown.
	DrainTimeout time.Duration
	// StopTimeout bounds the wait for the intake (mailboxes, jobs, the
	// events worker) to stop at shutdown (default DrainTimeout).
	StopTimeout time.Duration
	// RulesPoll is how often the rules file's mtime and size are compared.
	RulesPoll time.Duration
	// OutboxStuckAfter: /readyz fails when the oldest pending write is older.
	OutboxStuckAfter time.Duration
	// PortalStaleAfter: /readyz fails when the portal has not answered for
	// longer (default the larger of 5 minutes and 3 reconcile intervals).
	PortalStaleAfter time.Duration
	// Lease, on a state shared by several daemons (PostgreSQL), elects the
	// one that works: until it leads, Run serves /bitrix/events (into the
	// shared queue), health and metrics only (leader.go). Nil: this
	// daemon always works.
	Lease *store.Lease
	// SpamFilter, when set, replaces the spamd client that Config.Spamd
	// names (the demo's stand-in filter).
	SpamFilter spam.Filter
}

// Daemon is a built b24desk daemon, ready to Run.
type Daemon struct {
	opts    Options
	cfg     *config.Config
	st      *store.Store
	clk     clock.Clock
	log     zerolog.Logger
	reg     *prometheus.Registry
	metrics *metrics.Metrics
	portal  *portal
	schema  *schema.Map
	rules   *RulesHolder
	outbox  *outbox.Outbox
	// ackAdopted acknowledges a lead adopted from an intake source (set
	// by buildOutbound, after the ticket engine that calls it is built).
	ackAdopted func(ctx context.Context, tx *store.Tx, lead *bitrix.Lead, t ticket.Ticket) error
	intakes    []*mail.Intake
	core       core
	ratings    *rating.Ratings
	spam       *spam.Checker // nil: no spam filter
	events     *eventParts
	started    time.Time
	appUser    int // the portal user b24desk acts as (portalUser)

	ln     net.Listener
	srv    *http.Server
	accept *gate // closed at shutdown: /bitrix/events answers 503
	hup    chan struct{}
	tickMu sync.Mutex // SLA ticks never overlap

	testJobs []job // extra intake jobs (tests of the shutdown bound)
	leader   leadership
}

// New builds the daemon: it checks the portal schema recorded by setup,
// builds every part and binds the HTTP listener. Nothing runs until Run.
func New(ctx context.Context, o Options) (*Daemon, error) {
	if o.Config == nil || o.Store == nil || o.Client == nil || o.Rules == nil {
		return nil, errors.New("daemon: Config, Store, Client and Rules are required")
	}
	if o.DebugClock != nil {
		o.Clock = o.DebugClock
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = o.DrainTimeout
	}
	if o.RulesPoll <= 0 {
		o.RulesPoll = DefaultRulesPoll
	}
	if o.OutboxStuckAfter <= 0 {
		o.OutboxStuckAfter = DefaultOutboxStuckAfter
	}
	if o.PortalStaleAfter <= 0 {
		o.PortalStaleAfter = max(DefaultPortalStaleAfter, 3*o.Config.Reconcile.Interval)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	d := &Daemon{
		opts: o, cfg: o.Config, st: o.Store, clk: o.Clock, reg: o.Registry,
		log:    o.Logger.With().Str("component", "daemon").Logger(),
		accept: newGate(),
		hup:    make(chan struct{}, 1),
	}
	d.started = d.clk.Now()
	d.metrics = metrics.New(o.Registry)
	d.registerLeader()
	d.portal = newPortal(o.Client, d.clk, d.metrics)
	if o.Lease != nil {
		d.portal.guard = func() error {
			if !o.Lease.MaySend() {
				return store.ErrFenced
			}
			return nil
		}
	}

	m, err := schema.Load(ctx, o.Store)
	if err != nil {
		return nil, fmt.Errorf("read the portal schema: %w", err)
	}
	if err := m.Present(); err != nil {
		return nil, fmt.Errorf("%w (run `b24desk setup --config %s`)", err, o.Config.File)
	}
	d.schema = m
	d.rules = NewRulesHolder(o.Config.Rules.Path, o.Rules, d.clk, o.Logger, d.metrics)

	d.outbox = outbox.New(o.Store, d.portal, d.clk, o.Logger.With().Str("component", "outbox").Logger(),
		outbox.Config{UnknownDelay: o.Config.Outbox.LookupDelay, AlertUsers: alertUsers(o.Config.Outbox.AlertUsers)})
	desk.RegisterHooks(d.outbox, d.clk)

	d.appUser = d.portalUser(ctx)
	if err := d.buildSpam(); err != nil {
		return nil, err
	}
	if d.core, err = buildCore(d); err != nil {
		return nil, err
	}
	if d.ratings, err = rating.New(ctx, rating.Options{Store: o.Store, Outbox: d.outbox, Rules: d.rules.Get,
		Schema: func() *schema.Map { return d.schema }, Recipients: d.core.recipients,
		PublicURL: o.Config.HTTP.PublicBaseURL, Clock: d.clk, Log: o.Logger}); err != nil {
		return nil, fmt.Errorf("ratings: %w", err)
	}
	if err := buildOutbound(d); err != nil {
		return nil, err
	}
	for _, mb := range o.Config.Mailboxes {
		in, err := mail.New(mail.Options{
			Mailbox: mb, Threading: o.Config.Threading, Store: o.Store, Outbox: d.outbox,
			Rules: d.rules.Get, Schema: func() *schema.Map { return d.schema },
			Tickets: d.core.tickets(), Ratings: d.ratings, Clock: d.clk,
			Log: o.Logger, Metrics: d.metrics, Spam: d.spam, // the intake adds its component and mailbox
		})
		if err != nil {
			return nil, fmt.Errorf("mailbox %s: %w", mb.Name, err)
		}
		d.intakes = append(d.intakes, in)
	}
	if d.events, err = d.buildEvents(); err != nil {
		return nil, err
	}
	if err := d.listen(); err != nil {
		return nil, err
	}
	return d, nil
}

// Addr is the address the HTTP server listens on (useful with port 0).
func (d *Daemon) Addr() string { return d.ln.Addr().String() }

// Reload asks the running daemon to reload the rules file (SIGHUP). It never
// blocks.
func (d *Daemon) Reload() {
	select {
	case d.hup <- struct{}{}:
	default:
	}
}

// isTicket applies DESIGN.md's scope with the rules in force.
func (d *Daemon) isTicket(sourceID, originatorID string) bool {
	return originatorID == outbox.OriginatorID || d.rules.Get().IsTicketSource(sourceID)
}

// eventsMetrics adapts the collectors for the events package.
func (d *Daemon) eventsMetrics() events.Metrics { return eventMetrics{m: d.metrics} }

// alertUsers are the configured users notified of parked writes.
func alertUsers(ids []int) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		out = append(out, int64(id))
	}
	return out
}
