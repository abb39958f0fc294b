package sim

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
)

// binding is an event handler: bound by an app (event.bind) or an outgoing
// webhook made in the portal UI.
type binding struct {
	id      int
	event   string
	handler string
	offline bool
}

// offlineEvent is a row of the offline event queue.
type offlineEvent struct {
	id        int
	name      string
	leadID    int
	at        time.Time
	messageID string
	process   string
	failed    bool
}

// Delivery is one pushed event, as the event sender saw it.
type Delivery struct {
	URL    string
	Event  string
	LeadID int
	Body   string // the form-encoded body
	Status int    // HTTP status, 0 when the POST failed
	Err    string
}

// AddOutgoingWebhook registers an outgoing webhook as an admin does in the
// portal UI: events are POSTed to url with the portal's application token.
func (p *Portal) AddOutgoingWebhook(url string, events ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range events {
		p.st.bindings = append(p.st.bindings, binding{id: p.st.next("binding"), event: strings.ToUpper(e), handler: url})
	}
}

// fireEvent queues a lead event for every handler bound to it.
func (p *Portal) fireEvent(name string, leadID int) {
	now := p.clk.Now()
	for _, b := range p.st.bindings {
		if b.event != name {
			continue
		}
		if b.offline {
			p.queueOffline(name, leadID, now)
			continue
		}
		p.events.push(Delivery{URL: b.handler, Event: name, LeadID: leadID, Body: p.eventBody(name, b.id, leadID, now)})
	}
}

// eventBody is the form body of bitrix24-api.md §11, keys in the portal's order.
func (p *Portal) eventBody(name string, handlerID, leadID int, now time.Time) string {
	parts := []string{
		bitrix.EncodeQuery(map[string]any{"event": name}),
		bitrix.EncodeQuery(map[string]any{"event_handler_id": handlerID}),
		bitrix.EncodeQuery(map[string]any{"data": map[string]any{"FIELDS": map[string]any{"ID": leadID}}}),
		bitrix.EncodeQuery(map[string]any{"ts": now.Unix()}),
		bitrix.EncodeQuery(map[string]any{"auth": map[string]any{"domain": p.opts.Domain}}),
		bitrix.EncodeQuery(map[string]any{"auth": map[string]any{"client_endpoint": "https://" + p.opts.Domain + "/rest/"}}),
		bitrix.EncodeQuery(map[string]any{"auth": map[string]any{"member_id": p.memberID()}}),
		bitrix.EncodeQuery(map[string]any{"auth": map[string]any{"application_token": p.opts.AppToken}}),
	}
	return strings.Join(parts, "&")
}

func (p *Portal) memberID() string {
	sum := md5.Sum([]byte(p.opts.Domain))
	return hex.EncodeToString(sum[:])
}

func (p *Portal) queueOffline(name string, leadID int, now time.Time) {
	for _, e := range p.st.offline {
		if e.name == name && e.leadID == leadID && e.process == "" {
			e.at = now
			return
		}
	}
	sum := md5.Sum([]byte(name + "|" + idStr(leadID)))
	p.st.offline = append(p.st.offline, &offlineEvent{id: p.st.next("offline"), name: name, leadID: leadID, at: now,
		messageID: hex.EncodeToString(sum[:])})
}

func (p *Portal) eventBind(c *call) (outcome, *apiError) {
	name := strings.ToUpper(c.params.str("event", "EVENT"))
	handler := c.params.str("handler", "HANDLER")
	offline := strings.EqualFold(c.params.str("event_type", "EVENT_TYPE"), "offline")
	if name == "" {
		return outcome{}, errRequired("event")
	}
	if handler == "" && !offline {
		return outcome{}, errRequired("handler")
	}
	for _, b := range p.st.bindings {
		if b.event == name && b.handler == handler && b.offline == offline {
			return outcome{}, errf(400, "ERROR_CORE", "Handler already binded")
		}
	}
	p.st.bindings = append(p.st.bindings, binding{id: p.st.next("binding"), event: name, handler: handler, offline: offline})
	return plain(true), nil
}

func (p *Portal) eventUnbind(c *call) (outcome, *apiError) {
	name := strings.ToUpper(c.params.str("event", "EVENT"))
	handler := c.params.str("handler", "HANDLER")
	offline := strings.EqualFold(c.params.str("event_type", "EVENT_TYPE"), "offline")
	kept := p.st.bindings[:0]
	n := 0
	for _, b := range p.st.bindings {
		if b.event == name && (handler == "" || b.handler == handler) && b.offline == offline {
			n++
			continue
		}
		kept = append(kept, b)
	}
	p.st.bindings = kept
	return plain(map[string]any{"count": n}), nil
}

func (p *Portal) eventGet(c *call) (outcome, *apiError) {
	rows := []any{}
	for _, b := range p.st.bindings {
		r := map[string]any{"event": b.event, "handler": b.handler, "auth_type": "0", "offline": 0}
		if b.offline {
			r["offline"] = 1
		}
		rows = append(rows, r)
	}
	return plain(rows), nil
}

func (p *Portal) offlineGet(c *call) (outcome, *apiError) {
	limit := 50
	if n, ok := c.params.num("limit", "LIMIT"); ok && n > 0 {
		limit = min(n, 1000)
	}
	clear := true
	if v, ok := c.params.get("clear", "CLEAR"); ok {
		clear = truthy(v)
	}
	wantErr := truthy(c.params["error"])
	// process_id re-selects the unprocessed records of that process
	// (api-reference/events/event-offline-get.md, "process_id"); without
	// it only records no process holds are handed out: with clear=0 the
	// records handed out are reserved for the process and hidden from
	// later calls until cleared or reported with event.offline.error.
	again := c.params.str("process_id", "PROCESS_ID")
	process := again
	if process == "" {
		process = p.newProcessID()
	}
	rows := []any{}
	var kept []*offlineEvent
	for _, e := range p.st.offline {
		if len(rows) < limit && e.process == again && (again != "" || e.failed == wantErr) {
			rows = append(rows, map[string]any{
				"ID": idStr(e.id), "TIMESTAMP_X": p.fmtTime(e.at), "EVENT_NAME": e.name,
				"EVENT_DATA":       map[string]any{"FIELDS": map[string]any{"ID": idStr(e.leadID)}},
				"EVENT_ADDITIONAL": map[string]any{"user_id": idStr(p.opts.WebhookUserID)}, "MESSAGE_ID": e.messageID,
			})
			if clear {
				continue
			}
			e.process = process
		}
		kept = append(kept, e)
	}
	p.st.offline = kept
	return plain(map[string]any{"process_id": process, "events": rows}), nil
}

func (p *Portal) newProcessID() string {
	return hex.EncodeToString([]byte{byte(p.st.rng.Uint32()), byte(p.st.rng.Uint32()), byte(p.st.rng.Uint32()),
		byte(p.st.rng.Uint32()), byte(p.st.rng.Uint32()), byte(p.st.rng.Uint32()), byte(p.st.rng.Uint32()),
		byte(p.st.rng.Uint32())}) + idStr(p.st.next("process"))
}

// idSet reads a list parameter of IDs or message IDs.
func idSet(prm params, keys ...string) map[string]bool {
	v, ok := prm.get(keys...)
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, e := range asList(v) {
		set[str(e)] = true
	}
	return set
}

func (p *Portal) offlineClear(c *call) (outcome, *apiError) {
	process := c.params.str("process_id", "PROCESS_ID")
	if process == "" {
		return outcome{}, errRequired("process_id")
	}
	ids, msgs := idSet(c.params, "id", "ID"), idSet(c.params, "message_id", "MESSAGE_ID")
	var kept []*offlineEvent
	for _, e := range p.st.offline {
		if e.process == process && (ids == nil || ids[idStr(e.id)]) && (msgs == nil || msgs[e.messageID]) {
			continue
		}
		kept = append(kept, e)
	}
	p.st.offline = kept
	return plain(true), nil
}

func (p *Portal) offlineError(c *call) (outcome, *apiError) {
	process := c.params.str("process_id", "PROCESS_ID")
	if process == "" {
		return outcome{}, errRequired("process_id")
	}
	msgs := idSet(c.params, "message_id", "MESSAGE_ID")
	for _, e := range p.st.offline {
		if e.process == process && (msgs == nil || msgs[e.messageID]) {
			e.failed, e.process = true, ""
		}
	}
	return plain(true), nil
}

// eventQueue pushes events one after another, each after a delay; a failed
// delivery is never retried, as on the portal.
type eventQueue struct {
	log    zerolog.Logger
	delay  time.Duration
	client *http.Client
	ch     chan queued
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu   sync.Mutex
	sent []Delivery
}

type queued struct {
	d   Delivery
	due time.Time
}

func newEventQueue(log zerolog.Logger, delay time.Duration) *eventQueue {
	q := &eventQueue{log: log, delay: delay, client: &http.Client{Timeout: 10 * time.Second},
		ch: make(chan queued, 10000), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

func (q *eventQueue) push(d Delivery) {
	select {
	case <-q.stop:
	case q.ch <- queued{d: d, due: time.Now().Add(q.delay)}:
	default:
		q.log.Warn().Str("event", d.Event).Msg("event queue full, event dropped")
	}
}

func (q *eventQueue) run() {
	defer close(q.done)
	for {
		select {
		case <-q.stop:
			return
		case e := <-q.ch:
			if wait := time.Until(e.due); wait > 0 {
				select {
				case <-q.stop:
					return
				case <-time.After(wait):
				}
			}
			q.send(e.d)
		}
	}
}

func (q *eventQueue) send(d Delivery) {
	req, err := http.NewRequest(http.MethodPost, d.URL, strings.NewReader(d.Body))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "Bitrix24 Webhook Engine")
		var resp *http.Response
		resp, err = q.client.Do(req)
		if err == nil {
			d.Status = resp.StatusCode
			_ = resp.Body.Close()
		}
	}
	if err != nil {
		d.Err = err.Error()
		q.log.Debug().Str("event", d.Event).Int("lead", d.LeadID).Msg("event delivery failed, not retried")
	}
	q.mu.Lock()
	q.sent = append(q.sent, d)
	q.mu.Unlock()
}

func (q *eventQueue) close() {
	q.once.Do(func() { close(q.stop) })
	<-q.done
}

// Deliveries returns the events pushed so far (sent or failed).
func (p *Portal) Deliveries() []Delivery {
	p.events.mu.Lock()
	defer p.events.mu.Unlock()
	return append([]Delivery(nil), p.events.sent...)
}
