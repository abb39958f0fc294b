package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
)

// OfflinePollerOptions configures NewOfflinePoller.
type OfflinePollerOptions struct {
	Client   Client   // required; must run in an app (OAuth) context
	Recorder Recorder // required
	// Notify wakes the worker after new changes were recorded; may be nil.
	Notify  func()
	Clock   clock.Clock
	Logger  zerolog.Logger
	Metrics Metrics
	// Limit is the page size of event.offline.get (default and maximum 50).
	Limit int
	// MaxPages bounds the pages read by one PollOnce (default 100), so a
	// busy portal cannot keep one poll running forever.
	MaxPages int
}

// OfflinePoller reads the portal's offline event queue, for portals that
// cannot reach the daemon's webhook.
type OfflinePoller struct {
	o   OfflinePollerOptions
	log zerolog.Logger

	mu sync.Mutex
	// held is the process_id of a page taken but not cleared nor reported
	// (its events are hidden from plain event.offline.get calls): the
	// next poll reads it again by its process_id first.
	held string
}

// NewOfflinePoller checks the options and returns a poller.
func NewOfflinePoller(o OfflinePollerOptions) (*OfflinePoller, error) {
	if o.Client == nil || o.Recorder == nil {
		return nil, errors.New("events: offline poller needs a client and a recorder")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Metrics == nil {
		o.Metrics = NopMetrics{}
	}
	if o.Limit <= 0 || o.Limit > 50 {
		o.Limit = 50
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 100
	}
	return &OfflinePoller{o: o, log: o.Logger.With().Str("component", "events").Str("mode", "offline").Logger()}, nil
}

// leadID reads EVENT_DATA.FIELDS.ID of an offline event; 0 when absent or
// not a positive integer.
func leadID(e bitrix.OfflineEvent) int {
	var fields struct {
		ID bitrix.FlexInt `json:"ID"`
	}
	if json.Unmarshal(e.EventData["FIELDS"], &fields) != nil || fields.ID <= 0 || fields.ID > maxLeadID {
		return 0
	}
	return int(fields.ID)
}

// PollOnce reads the offline queue page by page (event.offline.get with
// clear=0), records every lead event, and only after all of a page's events
// are recorded clears that page (event.offline.clear with its process_id).
//
// With clear=0 the portal reserves the page for its process_id and hides
// it from later event.offline.get calls until it is cleared or reported
// with event.offline.error (api-reference/events/event-offline-get.md,
// -clear.md, -error.md): a failed page is not simply read again. So when
// recording fails the page is reported with event.offline.error (the poll
// reads the error records, error=1, before new ones), and when neither the
// report nor the clear goes through the poller keeps the process_id and
// reads that page again by it first. Recording an event twice is harmless
// (dedupe keys). A page held across a restart is caught up by reconcile.
// It returns how many new changes were recorded.
func (p *OfflinePoller) PollOnce(ctx context.Context) (int, error) {
	recorded := 0
	defer func() {
		if recorded > 0 && p.o.Notify != nil {
			p.o.Notify()
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held != "" {
		n, _, err := p.page(ctx, bitrix.OfflineQuery{ProcessID: p.held})
		recorded += n
		if err != nil {
			return recorded, err
		}
	}
	for _, failed := range []bool{true, false} {
		for range p.o.MaxPages {
			n, full, err := p.page(ctx, bitrix.OfflineQuery{Error: failed})
			recorded += n
			if err != nil {
				return recorded, err
			}
			if !full {
				break
			}
		}
	}
	return recorded, nil
}

// page takes one page of the queue (q with Limit set; clear=0), records
// it and clears it; full reports a page of Limit events (more may follow).
func (p *OfflinePoller) page(ctx context.Context, q bitrix.OfflineQuery) (recorded int, full bool, err error) {
	q.Limit = p.o.Limit
	page, err := p.o.Client.EventOfflineGet(ctx, q)
	if err != nil {
		return 0, false, fmt.Errorf("offline events: %w", err)
	}
	process := string(page.ProcessID)
	if page.Unreadable > 0 {
		// Left out and cleared with the page: the next sweep finds the
		// lead's change by its DATE_MODIFY.
		p.log.Warn().Int("events", page.Unreadable).Str("process_id", process).
			Msg("offline events: unreadable events skipped; reconcile's sweep finds their changes")
		for range page.Unreadable {
			p.o.Metrics.EventIgnored("offline")
		}
	}
	size := len(page.Events) + page.Unreadable
	if size == 0 {
		if q.ProcessID != "" {
			p.held = "" // nothing left in the held page
		}
		return 0, false, nil
	}
	p.held = process
	n, err := p.recordPage(ctx, page)
	if err != nil {
		if rerr := p.o.Client.EventOfflineError(ctx, process, nil); rerr == nil {
			p.held = "" // reported: read again with error=1
		} else {
			p.log.Warn().Err(rerr).Str("process_id", process).Msg("event.offline.error failed: the page is read again by its process_id")
		}
		return n, false, err
	}
	if err := p.o.Client.EventOfflineClear(ctx, process, nil); err != nil {
		return n, false, fmt.Errorf("offline events: clear: %w", err)
	}
	p.held = ""
	return n, size >= p.o.Limit, nil
}

func (p *OfflinePoller) recordPage(ctx context.Context, page bitrix.OfflineEvents) (int, error) {
	now := p.o.Clock.Now()
	recorded := 0
	for _, e := range page.Events {
		name := strings.ToUpper(strings.TrimSpace(string(e.EventName)))
		id := leadID(e)
		if !isLeadEvent(name) || id == 0 {
			p.o.Metrics.EventIgnored("offline")
			continue
		}
		at := e.Timestamp.Time
		if at.IsZero() {
			at = now
		} else {
			p.o.Metrics.EventLag(now.Sub(at))
		}
		key := dedupeKey("offline", name, id, at) + ":" + strconv.FormatInt(int64(e.ID), 10) + ":" + string(e.MessageID)
		isNew, err := p.o.Recorder.Record(ctx, Change{LeadID: id, Event: name, At: at}, key)
		if err != nil {
			return recorded, fmt.Errorf("offline events: record lead %d: %w", id, err)
		}
		p.o.Metrics.EventReceived("offline", name, isNew)
		if isNew {
			recorded++
		}
	}
	return recorded, nil
}
