package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
)

// seedState fills the install's state with three tickets and three outbox
// rows (pending, parked, done).
func seedState(t *testing.T, dir string) (parkedID, doneID int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
	tickets := []ticket.Ticket{
		{LeadID: 11, Type: "B24D_TECH", Status: "NEW", Assignee: 5, Tier: "enterprise", Policy: "enterprise",
			CreatedAt: now, FirstResponseDue: now.Add(2 * time.Hour), ResolutionDue: now.Add(8 * time.Hour), SLAState: "breached", NextDueAt: now.Add(8 * time.Hour)},
		{LeadID: 12, Type: "B24D_MAP", Status: "IN_PROCESS", Assignee: 7, Policy: "standard", CreatedAt: now,
			FirstResponseDue: now.Add(time.Hour), FirstResponseMet: now.Add(30 * time.Minute), SLAState: "warning"},
		{LeadID: 13, Type: "B24D_OUTAGE", Status: "NEW", CreatedAt: now, SLAState: "ok"},
		{LeadID: 14, Type: "B24D_TECH", Status: "CONVERTED", CreatedAt: now, SLAState: "met", ClosedAt: now.Add(time.Hour)},
	}
	for _, tk := range tickets {
		if err := st.UpsertTicket(ctx, tk, now); err != nil {
			t.Fatal(err)
		}
	}
	enqueue := func(key string, state store.OutboxState, errText string) int64 {
		id, _, err := st.EnqueueOutbox(ctx, store.OutboxRow{Kind: "lead.update", Payload: json.RawMessage(`{"id":11}`),
			DedupeKey: key, GroupKey: "ticket:11"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if state != store.OutboxPending {
			r, err := st.OutboxRowByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			r.State, r.LastError, r.Attempts = state, errText, 1
			if err := st.UpdateOutbox(ctx, r, now); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	parkedID = enqueue("k-parked", store.OutboxParked, "ACCESS_DENIED: Access denied.")
	enqueue("k-pending", store.OutboxPending, "")
	doneID = enqueue("k-done", store.OutboxDone, "")
	return parkedID, doneID
}

func TestTicketsFilters(t *testing.T) {
	in := newInstall(t, "")
	seedState(t, in.state)
	cases := []struct {
		args      []string
		want      []string
		wantNot   []string
		wantCount string
	}{
		{nil, []string{"11", "12", "13", "B24D_TECH", "L1", "user 5", "breached", "met 03-10 10:30"}, []string{"CONVERTED"}, "3 ticket(s)"},
		{[]string{"--state", "breached"}, []string{"11 "}, []string{"B24D_MAP"}, "1 ticket(s)"},
		{[]string{"--state", "warning"}, []string{"B24D_MAP"}, []string{"B24D_TECH"}, "1 ticket(s)"},
		{[]string{"--state", "all"}, []string{"B24D_OUTAGE", "CONVERTED"}, nil, "4 ticket(s)"},
	}
	for _, c := range cases {
		code, out := in.run(t, cmdTickets, c.args...)
		if code != exitOK {
			t.Fatalf("tickets %v: exit %d\n%s", c.args, code, out)
		}
		for _, w := range append(c.want, c.wantCount) {
			if !strings.Contains(out, w) {
				t.Errorf("tickets %v: output lacks %q:\n%s", c.args, w, out)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(out, w) {
				t.Errorf("tickets %v: output has %q:\n%s", c.args, w, out)
			}
		}
	}
}

func TestTicketsJSONAndErrors(t *testing.T) {
	in := newInstall(t, "")
	seedState(t, in.state)
	var stdout, stderr bytes.Buffer
	code := cmdTickets(context.Background(), []string{"--config", in.config, "--json", "--state", "breached"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rows []ticketRow
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	if len(rows) != 1 || rows[0].Number != 11 || rows[0].Level == "" || rows[0].FirstResponseDue == nil {
		t.Fatalf("rows = %+v", rows)
	}
	if code, out := in.run(t, cmdTickets, "--state", "late"); code != exitUsage {
		t.Errorf("bad --state: exit %d\n%s", code, out)
	}
	if code, _ := in.run(t, cmdTickets, "--help"); code != exitOK {
		t.Errorf("--help: exit %d", code)
	}
	empty := newInstall(t, "")
	if code, out := empty.run(t, cmdTickets); code != exitFailed || !strings.Contains(out, "state") {
		t.Errorf("no state: exit %d\n%s", code, out)
	}
}

func TestOutboxListRetryDrop(t *testing.T) {
	in := newInstall(t, "")
	parked, done := seedState(t, in.state)
	code, out := in.run(t, cmdOutbox)
	if code != exitOK {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	for _, w := range []string{"1 to deliver", "1 parked", "ACCESS_DENIED", "parked", "pending", "outbox retry ID"} {
		if !strings.Contains(out, w) {
			t.Errorf("list lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "done") {
		t.Errorf("list without --all shows done rows:\n%s", out)
	}
	if _, out := in.run(t, cmdOutbox, "list", "--all"); !strings.Contains(out, "done") {
		t.Errorf("--all lacks the done row:\n%s", out)
	}

	// A daemon holding the lock does not stop retry or drop.
	ctx := context.Background()
	daemon, err := store.Open(ctx, in.state, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	if code, out := in.run(t, cmdOutbox, "retry", itoa(parked)); code != exitOK {
		t.Fatalf("retry: exit %d\n%s", code, out)
	}
	r, err := daemon.OutboxRowByID(ctx, parked)
	if err != nil || r.State != store.OutboxPending || r.Attempts != 0 {
		t.Fatalf("after retry: %+v %v", r, err)
	}
	if code, out := in.run(t, cmdOutbox, "drop", itoa(parked)); code != exitOK {
		t.Fatalf("drop: exit %d\n%s", code, out)
	}
	if r, _ := daemon.OutboxRowByID(ctx, parked); r.State != store.OutboxDropped {
		t.Fatalf("after drop: %s", r.State)
	}
	failures := []struct {
		args []string
		code int
	}{
		{[]string{"drop", itoa(done)}, exitFailed},
		{[]string{"retry", "999"}, exitFailed},
		{[]string{"retry", "x"}, exitUsage},
		{[]string{"retry"}, exitUsage},
		{[]string{"purge"}, exitUsage},
	}
	for _, f := range failures {
		if code, out := in.run(t, cmdOutbox, f.args...); code != f.code {
			t.Errorf("outbox %v: exit %d, want %d\n%s", f.args, code, f.code, out)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := cmdOutbox(ctx, []string{"--config", in.config, "--json", "--all"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("json: %d %s", code, stderr.String())
	}
	var views []outboxRowView
	if err := json.Unmarshal(stdout.Bytes(), &views); err != nil || len(views) != 3 {
		t.Fatalf("json rows %d, %v\n%s", len(views), err, stdout.String())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// oauthInstall is a simulator and a config in OAuth mode pointing at it.
func oauthInstall(t *testing.T) (*sim.Portal, string) {
	t.Helper()
	p := sim.New(sim.Options{NoLimits: true, EventDelay: -1})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	rulesPath, err := filepath.Abs("../../config/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := "portal:\n  client_id: " + p.ClientID() + "\n  client_secret: " + p.ClientSecret() +
		"\n  endpoint: " + srv.URL + "/rest/\n  oauth_server: " + srv.URL + "\n" +
		"rules:\n  path: " + rulesPath + "\nstate:\n  dir: " + filepath.Join(dir, "state") + "\n" +
		"events:\n  mode: offline\n"
	path := filepath.Join(dir, "b24desk.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, path
}

func TestAuthCodeExchange(t *testing.T) {
	p, cfg := oauthInstall(t)
	ctx := context.Background()
	runA := func(stdin string, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := runAuth(ctx, append([]string{"--config", cfg}, args...), strings.NewReader(stdin), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if strings.Contains(out, p.ClientSecret()) {
			t.Fatalf("client secret leaked:\n%s", out)
		}
		return code, out
	}
	if code, out := runA("", "status"); code != exitFailed || !strings.Contains(out, "run b24desk auth") {
		t.Fatalf("status before auth: %d\n%s", code, out)
	}
	code, out := runA("", "--code", p.AuthCode(1))
	if code != exitOK || !strings.Contains(out, "/oauth/authorize/?client_id=") || !strings.Contains(out, "accepts the token") {
		t.Fatalf("auth --code: %d\n%s", code, out)
	}
	// A code is single use: the server's invalid_grant is explained.
	used := p.AuthCode(1)
	if code, _ := runA("", "--code", used); code != exitOK {
		t.Fatal("first use failed")
	}
	if code, out := runA("", "--code", used); code != exitFailed || !strings.Contains(out, "invalid_grant") {
		t.Fatalf("reused code: %d\n%s", code, out)
	}
	// Pasted as the whole redirect URL.
	if code, out := runA("https://app.example/handler?code=" + p.AuthCode(1) + "&state=x&domain=y\n"); code != exitOK {
		t.Fatalf("pasted URL: %d\n%s", code, out)
	}
	p.ExpireAccessTokens()
	if code, out := runA("", "status"); code != exitOK || !strings.Contains(out, "accepts the token") {
		t.Fatalf("status after expiry: %d\n%s", code, out)
	}
}

func TestAuthUsage(t *testing.T) {
	in := newInstall(t, "")
	if code, out := in.run(t, cmdAuth); code != exitUsage || !strings.Contains(out, "webhook") {
		t.Errorf("webhook config: %d\n%s", code, out)
	}
	var stdout, stderr bytes.Buffer
	if code := cmdAuth(context.Background(), []string{"--help"}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "Example") {
		t.Errorf("--help: %d\n%s", code, stdout.String())
	}
	_, cfg := oauthInstall(t)
	if code := cmdAuth(context.Background(), []string{"--config", cfg, "--code", "a", "--listen", "127.0.0.1:0"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("--code with --listen: %d", code)
	}
}

func TestCodeFromRedirect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 1)
	go func() {
		c, _ := codeFromRedirect(ctx, ln, "s1")
		got <- c
	}()
	base := "http://" + ln.Addr().String() + "/"
	for _, c := range []struct {
		query  string
		status int
	}{
		{"", http.StatusBadRequest},
		{"?code=abc&state=other", http.StatusBadRequest},
		{"?code=abc&state=s1&domain=x.bitrix24.ru", http.StatusOK},
	} {
		resp, err := http.Get(base + c.query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%q: status %d, want %d", c.query, resp.StatusCode, c.status)
		}
	}
	if c := <-got; c != "abc" {
		t.Fatalf("code %q", c)
	}
}

func TestParseCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"abc123", "abc123"},
		{"https://h/x?code=zz&state=1", "zz"},
		{"code=yy", "yy"},
		{"not a code", ""},
		{"", ""},
	} {
		got, err := parseCode(c.in)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("parseCode(%q) = %q, %v", c.in, got, err)
		}
	}
}

// TestAuthBesideRunningDaemon: `auth` and `auth status` run while the
// daemon holds the state (its lock taken) and still store what they get
// from the OAuth server: the code's token pair, and a refreshed pair when
// the access token expired.
func TestAuthBesideRunningDaemon(t *testing.T) {
	p, cfg := oauthInstall(t)
	ctx := context.Background()
	stateDir := filepath.Join(filepath.Dir(cfg), "state")
	held, err := store.Open(ctx, stateDir, zerolog.Nop()) // the running daemon
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	runA := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := runAuth(ctx, append([]string{"--config", cfg}, args...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := runA("--code", p.AuthCode(1)); code != exitOK {
		t.Fatalf("auth --code beside the daemon: %d\n%s", code, out)
	}
	first, found, err := held.LoadToken(ctx)
	if err != nil || !found {
		t.Fatalf("the daemon does not see the pair: %v %v", found, err)
	}
	p.ExpireAccessTokens()
	if code, out := runA("status"); code != exitOK || !strings.Contains(out, "accepts the token") {
		t.Fatalf("status beside the daemon after expiry: %d\n%s", code, out)
	}
	second, _, err := held.LoadToken(ctx)
	if err != nil || second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatalf("the refreshed pair was not stored: %v", err)
	}
}
