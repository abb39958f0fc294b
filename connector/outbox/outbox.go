package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/rs/zerolog"
)

// Portal is the part of the Bitrix24 client the outbox needs
// (*bitrix.Client has it).
type Portal interface {
	Call(ctx context.Context, method string, params any) (*bitrix.Response, error)
}

// Row is an outbox row as stored.
type Row = store.OutboxRow

// Hook runs in the transaction that marks a row of its kind done, with the
// row's result (e.g. to record a new lead ID in tickets and messages). Its
// error rolls the completion back: the row is looked up and completed again
// later.
type Hook func(ctx context.Context, tx *store.Tx, row Row, result json.RawMessage) error

// ErrUnknownKind: Enqueue was given a kind nobody registered.
var ErrUnknownKind = errors.New("unknown outbox kind")

// Config tunes the outbox. Zero values take the defaults.
type Config struct {
	// UnknownDelay is how long after an unknown outcome (or a crash during a
	// call) the row is looked up. Default 90s.
	UnknownDelay time.Duration
	// LimitDelay is the wait after 503 QUERY_LIMIT_EXCEEDED. Default 10s.
	LimitDelay time.Duration
	// OperatingDelay is the wait after 429 OPERATION_TIME_LIMIT. Default 1m.
	OperatingDelay time.Duration
	// Backoff is the schedule after transient failures. Default DefaultBackoff().
	Backoff []time.Duration
	// Jitter is the ± fraction applied to backoff delays. Default 0.1;
	// negative turns it off.
	Jitter float64
	// Rand draws jitter in [0,1). Default math/rand/v2.
	Rand func() float64
	// MaxAttempts parks a row after this many transient failures (limits
	// are not counted). 0: never, the row is retried hourly until it goes
	// through.
	MaxAttempts int
	// Batch is how many due rows one RunOnce takes. Default 50.
	Batch int
	// MaxIdle is the longest Run sleeps without checking for due rows.
	// Default 5s.
	MaxIdle time.Duration
	// AlertUsers are portal users who get one notification (a Notify row)
	// for each parked row.
	AlertUsers []int64
}

func (c Config) withDefaults() Config {
	if c.UnknownDelay <= 0 {
		c.UnknownDelay = 90 * time.Second
	}
	if c.LimitDelay <= 0 {
		c.LimitDelay = 10 * time.Second
	}
	if c.OperatingDelay <= 0 {
		c.OperatingDelay = time.Minute
	}
	if len(c.Backoff) == 0 {
		c.Backoff = DefaultBackoff()
	}
	if c.Jitter == 0 {
		c.Jitter = 0.1
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.MaxIdle <= 0 {
		c.MaxIdle = 5 * time.Second
	}
	return c
}

// Outbox delivers queued portal writes. Register kinds and hooks before Run.
type Outbox struct {
	store  *store.Store
	portal Portal
	clk    clock.Clock
	log    zerolog.Logger
	cfg    Config
	wake   chan struct{}

	mu        sync.RWMutex
	kinds     map[string]Kind
	hooks     map[string][]Hook
	leadHooks []LeadHook
	flight    flights
}

// New returns an outbox over the state with the built-in kinds registered.
func New(st *store.Store, p Portal, clk clock.Clock, log zerolog.Logger, cfg Config) *Outbox {
	o := &Outbox{
		store: st, portal: p, clk: clk, cfg: cfg.withDefaults(),
		log:   log.With().Str("component", "outbox").Logger(),
		wake:  make(chan struct{}, 1),
		kinds: map[string]Kind{}, hooks: map[string][]Hook{},
	}
	for name, k := range builtinKinds() {
		o.kinds[name] = k
	}
	return o
}

// Register adds (or replaces) a kind.
func (o *Outbox) Register(name string, k Kind) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kinds[name] = k
}

// OnDone adds a completion hook for the kind; hooks run in registration order.
func (o *Outbox) OnDone(kind string, h Hook) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.hooks[kind] = append(o.hooks[kind], h)
}

// LeadWrite is a write of a lead that is done.
type LeadWrite struct {
	Lead int64
	// DateModify is the lead's DATE_MODIFY read in the same batch right
	// after the write (zero when the row was sent alone).
	DateModify time.Time
	Created    bool // the write was the lead's crm.lead.add
}

// LeadHook runs in the transaction that marks a write of a lead done (its
// crm.lead.add or crm.lead.update), after the kind's hooks: the portal sends
// an event for that write, which the caller may recognise as its own echo.
type LeadHook func(ctx context.Context, tx *store.Tx, w LeadWrite) error

// OnLeadWritten adds a LeadHook.
func (o *Outbox) OnLeadWritten(h LeadHook) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.leadHooks = append(o.leadHooks, h)
}

func (o *Outbox) leadHooksList() []LeadHook {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.leadHooks
}

func (o *Outbox) kind(name string) (Kind, []Hook) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.kinds[name], o.hooks[name]
}

// Entry is a write to enqueue.
type Entry struct {
	Kind      string // empty: Payload's (a Write)
	DedupeKey string // unique per write; enqueuing it again is a no-op
	GroupKey  string // the ticket's group: GroupFor(leadID or origin); see Lane
	Payload   any    // a Write (LeadAdd, Comment(...), …), JSON-marshalled; a json.RawMessage is taken as is
	NotBefore time.Time
}

// laneSep separates a ticket's group from the lane of a side write.
const laneSep = "#"

// Laned is a Kind of side write: its rows run in order within their lane
// of the ticket (e.g. "todo", "comment"), independently of the ticket's
// core writes and other lanes, so that a refused side write never holds
// back the lead itself. Kinds that are not Laned are core writes (the lead:
// add, fields, stage, assignee), in one order per ticket.
type Laned interface{ Lane() string }

// laneName is what a lane's name may be (the store strips it in SQL).
var laneName = regexp.MustCompile(`^[a-z]+$`)

// laneGroups are the groups of the ticket's side lanes, for the ticket's
// group.
func (o *Outbox) laneGroups(group string) []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, k := range o.kinds {
		if l, ok := k.(Laned); ok && l.Lane() != "" && !seen[l.Lane()] {
			seen[l.Lane()] = true
			out = append(out, coreGroup(group)+laneSep+l.Lane())
		}
	}
	slices.Sort(out)
	return out
}

// CoreGroup is the group of a ticket's core writes, for the group key of
// any of its lanes.
func CoreGroup(group string) string { return coreGroup(group) }

// Enqueue saves a write. With tx non-nil it joins the caller's transaction
// (the write exists once the caller commits); with tx nil it commits at
// once. created is false when the dedupe key was already queued. A side
// write's group is its ticket's group with its lane (see Laned).
func (o *Outbox) Enqueue(ctx context.Context, tx *store.Tx, e Entry) (id int64, created bool, err error) {
	if w, ok := e.Payload.(Write); ok && e.Kind == "" {
		e.Kind = w.Kind()
	}
	k, _ := o.kind(e.Kind)
	if k == nil {
		return 0, false, fmt.Errorf("enqueue %q: %w", e.Kind, ErrUnknownKind)
	}
	if l, ok := k.(Laned); ok && e.GroupKey != "" && l.Lane() != "" {
		if !laneName.MatchString(l.Lane()) {
			return 0, false, fmt.Errorf("enqueue %s: lane %q is not lower-case letters", e.Kind, l.Lane())
		}
		e.GroupKey = coreGroup(e.GroupKey) + laneSep + l.Lane()
	}
	payload, ok := e.Payload.(json.RawMessage)
	if !ok {
		payload, err = json.Marshal(e.Payload)
		if err != nil {
			return 0, false, fmt.Errorf("enqueue %s: payload: %w", e.Kind, err)
		}
	}
	row := store.OutboxRow{Kind: e.Kind, Payload: payload, DedupeKey: e.DedupeKey,
		GroupKey: e.GroupKey, NextAttemptAt: e.NotBefore}
	now := o.clk.Now()
	if tx != nil {
		id, created, err = tx.EnqueueOutbox(ctx, row, now)
	} else {
		id, created, err = o.store.EnqueueOutbox(ctx, row, now)
	}
	if err != nil {
		return 0, false, err
	}
	o.Wake()
	return id, created, nil
}

// Wake tells Run to look for due rows now (e.g. after the caller's
// transaction holding new rows committed).
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Retry makes a parked (or waiting) row due now with its attempts reset.
func (o *Outbox) Retry(ctx context.Context, id int64) error {
	err := o.store.WithTx(ctx, func(tx *store.Tx) error {
		r, err := tx.OutboxRowByID(ctx, id)
		if err != nil {
			return err
		}
		switch r.State {
		case store.OutboxDone, store.OutboxDropped:
			return fmt.Errorf("outbox row %d is %s: nothing to retry", id, r.State)
		case store.OutboxParked:
			r.State = store.OutboxPending
		}
		r.Attempts, r.NextAttemptAt = 0, o.clk.Now()
		return tx.UpdateOutbox(ctx, r, o.clk.Now())
	})
	if err == nil {
		o.log.Info().Int64("row", id).Msg("row retried by operator")
		o.Wake()
	}
	return err
}

// Drop gives up a row that is not done; it stays as history and no longer
// blocks its group.
func (o *Outbox) Drop(ctx context.Context, id int64) error {
	err := o.store.WithTx(ctx, func(tx *store.Tx) error {
		r, err := tx.OutboxRowByID(ctx, id)
		if err != nil {
			return err
		}
		if r.State == store.OutboxDone {
			return fmt.Errorf("outbox row %d is done: nothing to drop", id)
		}
		r.State = store.OutboxDropped
		return tx.UpdateOutbox(ctx, r, o.clk.Now())
	})
	if err == nil {
		o.log.Warn().Int64("row", id).Msg("row dropped by operator")
		o.Wake()
	}
	return err
}

// Stats is the outbox's size for metrics and readiness.
type Stats struct {
	Depth     int           // rows still to deliver (pending + unknown)
	Unknown   int           // rows waiting for a lookup
	Parked    int           // rows an operator must look at
	OldestAge time.Duration // age of the oldest row still to deliver (0: none)
}

// Stats counts the outbox.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	s, err := o.store.OutboxStats(ctx)
	if err != nil {
		return Stats{}, err
	}
	out := Stats{Depth: s.Pending, Unknown: s.Unknown, Parked: s.Parked}
	if !s.OldestPending.IsZero() {
		out.OldestAge = max(o.clk.Now().Sub(s.OldestPending), 0)
	}
	return out, nil
}

// List returns rows in the state, oldest first, at most limit (≤ 0: 100),
// for the operator command.
func (o *Outbox) List(ctx context.Context, state store.OutboxState, limit int) ([]Row, error) {
	return o.store.OutboxInState(ctx, state, limit)
}
