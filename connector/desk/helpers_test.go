package desk_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/desk"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

var msk = mustLoc("Europe/Moscow")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// at is a Moscow wall time in March 2026.
func at(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, msk) }

// incidentPolicy is an SLA policy for incidents on the 24/7 calendar,
// placed first so that a reclassification to B24D_INCIDENT changes policy.
const incidentPolicy = `  - name: incident
    when: {type: B24D_INCIDENT}
    calendar: always
    first_response: 1h
    resolution: 8h
    escalate:
      first_response:
        - {at: 50%, notify: [assignee]}
        - {at: 100%, notify: [assignee, pool:incident-managers], set: {priority: critical}}
`

// env is a portal simulator over real HTTP, the real client, store, outbox,
// engine and SLA clock, all on one manual clock.
type env struct {
	t      testing.TB
	clk    *clock.Manual
	portal *sim.Portal
	client *bitrix.Client
	rules  *rules.Rules
	schema *schema.Map
	dir    string
	st     *store.Store
	ob     *outbox.Outbox
	eng    *desk.Engine
	// skipEchoes: the engine skips the reads of its own writes' events
	// (as the daemon's does); set it, then restart.
	skipEchoes bool
}

func newEnv(t testing.TB, start time.Time) *env { return newEnvRules(t, start, nil) }

// newEnvRules is newEnv with the rules text changed by edit (nil: as is).
func newEnvRules(t testing.TB, start time.Time, edit func(string) string) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewManual(start), dir: t.TempDir()}
	e.portal = sim.New(sim.Options{Clock: e.clk, NoLimits: true, EventDelay: -1})
	srv := httptest.NewServer(e.portal)
	t.Cleanup(func() { srv.Close(); e.portal.Close() })
	for _, u := range []int{11, 12, 13, 21, 31, 41, 51, 61, 71} {
		e.portal.AddUser(sim.User{ID: u, Name: "U" + strconv.Itoa(u), Active: true})
	}
	var err error
	e.client, err = bitrix.New(bitrix.Config{WebhookURL: e.portal.WebhookURL(srv.URL), Logger: zerolog.Nop(),
		MaxRetries: -1, Clock: e.clk})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../config/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "  - name: special 24/7\n", incidentPolicy+"  - name: special 24/7\n", 1)
	if edit != nil {
		text = edit(text)
	}
	e.rules, _, err = rules.Parse("../../config/rules.example.yaml", []byte(text), start) // its imports lie beside it
	if err != nil {
		t.Fatalf("rules: %v", err)
	}
	rep, err := schema.Ensure(context.Background(), e.client, e.rules, schema.Options{})
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	e.schema = rep.Map
	e.open()
	return e
}

// open opens the state and builds outbox and engine (again after close).
func (e *env) open() {
	e.t.Helper()
	var err error
	e.st, err = store.Open(context.Background(), e.dir, zerolog.Nop())
	if err != nil {
		e.t.Fatal(err)
	}
	st := e.st
	e.t.Cleanup(func() { _ = st.Close() })
	e.ob = outbox.New(e.st, e.client, e.clk, zerolog.Nop(), outbox.Config{Jitter: -1})
	e.eng, err = desk.New(desk.Options{Store: e.st, Outbox: e.ob, Client: e.client,
		Rules: func() *rules.Rules { return e.rules }, Schema: func() *schema.Map { return e.schema },
		Clock: e.clk, Log: zerolog.Nop(), WebhookUserID: 1, SkipEchoes: e.skipEchoes, LearnSpam: true})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) restart() {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

// mailTicket creates a lead as the mail intake does (ORIGINATOR_ID
// b24desk) and records its ticket with the policy, then lets the SLA clock
// set it up.
func (e *env) mailTicket(policy string, assignee int) int64 {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.client.LeadAdd(ctx, map[string]any{"TITLE": "Не работает выгрузка", "SOURCE_ID": "B24D_TECH",
		"STATUS_ID": "NEW", "ASSIGNED_BY_ID": assignee, "ORIGINATOR_ID": "b24desk", "ORIGIN_ID": "mail:" + e.clk.Now().String()}, false)
	if err != nil {
		e.t.Fatal(err)
	}
	written, _ := json.Marshal(map[string]any{"STATUS_ID": "NEW", "SOURCE_ID": "B24D_TECH", "ASSIGNED_BY_ID": assignee})
	err = e.st.UpsertTicket(ctx, ticket.Ticket{LeadID: id, OriginID: "mail:" + strconv.FormatInt(id, 10), Type: "B24D_TECH", Status: "NEW",
		Assignee: int64(assignee), Tier: "enterprise", Priority: "normal", Policy: policy, CreatedAt: e.clk.Now(),
		NextDueAt: e.clk.Now(), SLAState: schema.StateOK, LastWritten: written}, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	e.tick()
	return id
}

// tick runs the SLA clock at the clock's time and delivers the writes.
func (e *env) tick() {
	e.t.Helper()
	if _, err := e.eng.SLA().Tick(context.Background(), e.clk.Now()); err != nil {
		e.t.Fatal(err)
	}
	e.flush()
}

func (e *env) flush() {
	e.t.Helper()
	if err := e.ob.Flush(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	parked, err := e.ob.List(context.Background(), store.OutboxParked, 10)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range parked {
		e.t.Errorf("parked outbox row %s: %s", r.DedupeKey, r.LastError)
	}
}

// staff changes the lead as a person does in the portal, then feeds the
// engine the update event.
func (e *env) staff(id int64, fields map[string]any) {
	e.t.Helper()
	if err := e.portal.SetLeadFields(int(id), fields); err != nil {
		e.t.Fatal(err)
	}
	e.event(id, events.EventLeadUpdate)
}

func (e *env) event(id int64, name string) {
	e.t.Helper()
	if err := e.eng.LeadChanged(context.Background(), events.Change{LeadID: int(id), Event: name, At: e.clk.Now()}); err != nil {
		e.t.Fatal(err)
	}
	e.flush()
}

func (e *env) ticket(id int64) ticket.Ticket {
	e.t.Helper()
	t, err := e.st.Ticket(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// field reads a lead field from the simulator as text.
func (e *env) field(id int64, name string) string {
	e.t.Helper()
	l, ok := e.portal.Lead(int(id))
	if !ok {
		e.t.Fatalf("lead %d missing", id)
	}
	switch v := l[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return strings.Trim(string(b), `"`)
	}
}

// enumValue reads an enumeration field back to its XML_ID.
func (e *env) enumValue(id int64, name string) string {
	e.t.Helper()
	raw := e.field(id, name)
	v, _ := e.schema.EnumValue(name, raw)
	return v
}

// comments returns the texts of the lead's timeline comments.
func (e *env) comments(id int64) []string {
	var out []string
	for _, c := range e.portal.Comments(int(id)) {
		out = append(out, c.Text)
	}
	return out
}

// writes counts the write calls the portal received.
func (e *env) writes() []string {
	var out []string
	for _, c := range e.portal.Calls() {
		if !strings.HasSuffix(c.Method, ".get") && !strings.HasSuffix(c.Method, ".list") && !strings.HasSuffix(c.Method, ".fields") {
			out = append(out, c.Method)
		}
	}
	return out
}

func (e *env) notes(id int64) []sim.Notification {
	var out []sim.Notification
	prefix := "b24d:" + strconv.FormatInt(id, 10) + ":"
	for _, n := range e.portal.Notifications() {
		if strings.HasPrefix(n.Tag, prefix) {
			out = append(out, n)
		}
	}
	return out
}
