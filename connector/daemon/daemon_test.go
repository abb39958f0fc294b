package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

var testStart = time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)

// fixture is an in-process daemon over the simulator, with setup done.
type fixture struct {
	cfg    *config.Config
	st     *store.Store
	client *bitrix.Client
	rules  *rules.Rules
	clk    *clock.Manual
	portal *sim.Portal
}

func newFixture(t *testing.T, setup bool, extra string) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewManual(testStart)
	p := sim.New(sim.Options{Clock: clk, NoLimits: true, EventDelay: -1})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	dir := t.TempDir()
	rulesPath, _ := filepath.Abs("../../config/rules.example.yaml")
	yaml := "portal:\n  webhook_url: " + p.WebhookURL(srv.URL) + "\n  rate: 1000\n  burst: 10000\n" +
		"rules:\n  path: " + rulesPath + "\nstate:\n  dir: " + filepath.Join(dir, "state") + "\n" +
		"http:\n  listen: 127.0.0.1:0\n" + extra
	path := filepath.Join(dir, "b24desk.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := rules.Load(cfg.Rules.Path, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.State.Dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := bitrix.New(bitrix.Config{WebhookURL: cfg.Portal.WebhookURL.Value(), Rate: 1000, Burst: 10000, Clock: clk, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if setup {
		rep, err := schema.Ensure(ctx, c, r, schema.Options{EventsMode: cfg.Events.Mode})
		if err != nil {
			t.Fatal(err)
		}
		old, _ := schema.Load(ctx, st)
		if err := st.WithTx(ctx, func(tx *store.Tx) error { return rep.Map.Save(ctx, old, tx) }); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{cfg: cfg, st: st, client: c, rules: r, clk: clk, portal: p}
}

func (f *fixture) options() Options {
	return Options{Config: f.cfg, Store: f.st, Client: f.client, Rules: f.rules, DebugClock: f.clk, Logger: zerolog.Nop()}
}

func TestNewRefusesMissingSchema(t *testing.T) {
	f := newFixture(t, false, "")
	_, err := New(context.Background(), f.options())
	if !errors.Is(err, schema.ErrMissing) || !strings.Contains(err.Error(), "b24desk setup") {
		t.Fatalf("New without setup: %v, want schema.ErrMissing naming b24desk setup", err)
	}
}

func TestNewBadListenFailsFast(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:99999", "not an address"} {
		f := newFixture(t, true, "")
		f.cfg.HTTP.Listen = listen
		if _, err := New(context.Background(), f.options()); err == nil || !strings.Contains(err.Error(), "listen") {
			t.Errorf("listen %q: err %v, want a listen error", listen, err)
		}
	}
	f := newFixture(t, true, "")
	f.cfg.HTTP.Listen = "0.0.0.0:0"
	if _, err := New(context.Background(), f.options()); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("debug clock on a public listener: err %v, want refused", err)
	}
}

// TestServeAndStop runs the daemon in process: health, readiness, the
// debug clock's answers, and a stop on context cancel.
func TestServeAndStop(t *testing.T) {
	f := newFixture(t, true, "")
	d, err := New(context.Background(), f.options())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	base := "http://" + d.Addr()

	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}

	post := func(body string) (int, string) {
		resp, err := http.Post(base+PathDebugClock, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		body string
		code int
		now  time.Time
	}{
		{`{"advance":"90m"}`, 200, testStart.Add(90 * time.Minute)},
		{`{"set":"2026-03-11T10:00:00+03:00"}`, 200, time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)},
		{`{"advance":"-1h"}`, 400, time.Time{}},
		{`{"set":"tomorrow"}`, 400, time.Time{}},
		{`{"set":"2026-03-11T10:00:00Z","advance":"1m"}`, 400, time.Time{}},
		{`{}`, 400, time.Time{}},
		{`not json`, 400, time.Time{}},
	} {
		code, body := post(c.body)
		if code != c.code {
			t.Errorf("POST %s: %d %s, want %d", c.body, code, body, c.code)
			continue
		}
		if code == 200 {
			var ans ClockAnswer
			if err := json.Unmarshal([]byte(body), &ans); err != nil || !ans.Now.Equal(c.now) || !f.clk.Now().Equal(c.now) || !ans.Ticked {
				t.Errorf("POST %s: now %v (clock %v), ticked %v; want %v, ticked", c.body, ans.Now, f.clk.Now(), ans.Ticked, c.now)
			}
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("HTTP server still serving after Run returned")
	}
}

// TestReadiness: each rule fails on its own and names itself.
func TestReadiness(t *testing.T) {
	f := newFixture(t, true, "")
	d, err := New(context.Background(), f.options())
	if err != nil {
		t.Fatal(err)
	}
	defer d.ln.Close()
	ctx := context.Background()

	// Just started: every part gets its full bound.
	if rd := d.CheckReady(ctx); !rd.Ready {
		t.Fatalf("right after start: %+v", rd)
	}
	// The portal silent for too long.
	f.clk.Advance(d.opts.PortalStaleAfter + time.Second)
	rd := d.CheckReady(ctx)
	if rd.Ready || len(rd.NotReady) != 1 || !strings.HasPrefix(rd.NotReady[0], "portal:") {
		t.Fatalf("portal silent: %+v", rd)
	}
	// An answer (even a method error) makes it reachable again.
	if err := d.probePortal(ctx, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if rd := d.CheckReady(ctx); !rd.Ready {
		t.Fatalf("after a probe: %+v", rd)
	}
	// A write stuck in the outbox (the portal down).
	f.portal.SetFaults(sim.Faults{Down: true})
	if _, _, err := d.outbox.Enqueue(ctx, nil, outboxEntry()); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(d.opts.OutboxStuckAfter + time.Minute)
	if err := d.probePortal(ctx, f.clk.Now()); err == nil {
		t.Fatal("probe of a down portal succeeded")
	}
	rd = d.CheckReady(ctx)
	if rd.Ready || !containsPrefix(rd.NotReady, "outbox:") || !containsPrefix(rd.NotReady, "portal:") {
		t.Fatalf("portal down with a stuck write: %+v", rd)
	}
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestRulesReloadKeepsOldOnError: a broken file keeps the rules in force and
// is counted invalid; a good one replaces them.
func TestRulesReloadKeepsOldOnError(t *testing.T) {
	src := config.RulesExample()
	path, err := config.WriteRulesExample(t.TempDir()) // with the calendar files it imports
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(testStart)
	r0, _, err := rules.Load(path, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := NewRulesHolder(path, r0, clk, zerolog.Nop(), metrics.New(newRegistry()))
	if h.changed() {
		t.Fatal("unchanged file reported changed")
	}
	if err := os.WriteFile(path, []byte("types: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !h.changed() {
		t.Fatal("a rewritten file not noticed")
	}
	if err := h.Reload(); err == nil || h.Get() != r0 {
		t.Fatalf("broken file: err %v, rules replaced %v", err, h.Get() != r0)
	}
	if h.changed() {
		t.Fatal("a file already reloaded reported changed again")
	}
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.Reload(); err != nil || h.Get() == r0 || h.Get() == nil {
		t.Fatalf("good file: err %v", err)
	}

	// A corrected production calendar file beside the rules is noticed too:
	// 5 November 2027 becomes a working day.
	if h.changed() {
		t.Fatal("unchanged files reported changed")
	}
	xml := filepath.Join(filepath.Dir(path), "ru-2027.xml")
	data, err := os.ReadFile(xml)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(data), `<day d="11.05" t="1" f="01.02"/>`, "", 1)
	if fixed == string(data) {
		t.Fatal("ru-2027.xml lacks 5 November")
	}
	if err := os.WriteFile(xml, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	if !h.changed() {
		t.Fatal("a rewritten calendar file not noticed")
	}
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := h.Get().Calendars["msk"].Day(2027, time.November, 5).Working; got != 9*time.Hour {
		t.Errorf("5 November 2027 works %s after the reload, want 9h", got)
	}
	if h.changed() {
		t.Fatal("a file already reloaded reported changed again")
	}
}

func TestWebhookUserID(t *testing.T) {
	for _, c := range []struct {
		url  string
		want int
	}{
		{"https://x.bitrix24.ru/rest/7/abc/", 7},
		{"https://x.bitrix24.ru/rest/1/abc", 1},
		{"https://x.bitrix24.ru/sub/rest/42/s/", 42},
		{"https://x.bitrix24.ru/rest/abc/s/", 0},
		{"::bad", 0},
	} {
		if got := webhookUserID(config.Portal{WebhookURL: config.Secret(c.url)}); got != c.want {
			t.Errorf("%s: %d, want %d", c.url, got, c.want)
		}
	}
	if got := webhookUserID(config.Portal{ClientID: "app"}); got != 0 {
		t.Errorf("OAuth: %d", got)
	}
}

func TestAnsweredClasses(t *testing.T) {
	for _, c := range []struct {
		err      error
		answered bool
	}{
		{nil, true},
		{&bitrix.APIError{Kind: bitrix.ErrNotFound}, true},
		{&bitrix.APIError{Kind: bitrix.ErrRateLimited}, true},
		{&bitrix.APIError{Kind: bitrix.ErrTransient}, false},
		{&bitrix.APIError{Kind: bitrix.ErrOutcomeUnknown}, false},
		{context.DeadlineExceeded, false},
		{errors.New("other"), false},
	} {
		if got := answered(bitrix.ErrorClass(c.err)); got != c.answered {
			t.Errorf("%v: answered %v, want %v", c.err, got, c.answered)
		}
	}
}

// TestShutdownDrain: a write queued before the stop is delivered before Run
// returns; with the portal down Run still returns once the bound has passed.
func TestShutdownDrain(t *testing.T) {
	for _, down := range []bool{false, true} {
		f := newFixture(t, true, "")
		o := f.options()
		// Up, the drain ends as soon as the write is delivered: a generous
		// bound keeps a loaded machine from failing the test. Down, the
		// bound is what ends Run.
		o.DrainTimeout = 20 * time.Second
		if down {
			o.DrainTimeout = 300 * time.Millisecond
		}
		d, err := New(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		if down {
			f.portal.SetFaults(sim.Faults{Down: true})
		}
		if _, _, err := d.outbox.Enqueue(context.Background(), nil, outboxEntry()); err != nil {
			t.Fatal(err)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("down=%v: Run: %v", down, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("down=%v: Run did not return", down)
		}
		delivered := 0
		for _, n := range f.portal.Notifications() {
			if n.Tag == "test" {
				delivered++
			}
		}
		if want := map[bool]int{false: 1, true: 0}[down]; delivered != want {
			t.Errorf("down=%v: %d notifications delivered, want %d", down, delivered, want)
		}
		if down {
			st, _ := d.outbox.Stats(context.Background())
			if st.Depth != 1 {
				t.Errorf("the undelivered write is not kept for the next start: %+v", st)
			}
		}
	}
}

// TestReadinessListsParked: a parked write is listed in /readyz's body
// without making the daemon unready, and the admins named in
// outbox.alert_users get one notification of it.
func TestReadinessListsParked(t *testing.T) {
	f := newFixture(t, true, "outbox:\n  alert_users: [1]\n")
	d, err := New(context.Background(), f.options())
	if err != nil {
		t.Fatal(err)
	}
	defer d.ln.Close()
	ctx := context.Background()
	id, _, err := d.outbox.Enqueue(ctx, nil, outbox.Entry{DedupeKey: "gone", GroupKey: outbox.GroupFor("999"),
		Payload: outbox.LeadUpdate{ID: outbox.LeadOf(999), Fields: map[string]any{"TITLE": "x"}, Params: outbox.Feed(false)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.outbox.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rd := d.CheckReady(ctx)
	if !rd.Ready || len(rd.Parked) != 1 || !strings.Contains(rd.Parked[0], fmt.Sprintf("row %d lead.update of ticket 999", id)) {
		t.Fatalf("readiness with a parked write: %+v", rd)
	}
	alarms := 0
	for _, n := range f.portal.Notifications() {
		if n.UserID == 1 && n.Tag == fmt.Sprintf("b24d:parked:%d", id) && strings.Contains(n.Message, fmt.Sprintf("outbox retry %d", id)) {
			alarms++
		}
	}
	if alarms != 1 {
		t.Fatalf("%d notifications of the parked write to user 1, want 1: %+v", alarms, f.portal.Notifications())
	}
}
