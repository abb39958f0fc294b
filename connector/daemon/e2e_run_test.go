package daemon_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/store"
)

// A Tuesday, 10:00 in Moscow: inside working hours.
var e2eStart = time.Date(2026, 3, 10, 10, 0, 0, 0, time.FixedZone("MSK", 3*3600))

// TestRunLifecycle: refuses to start without the portal schema, then runs,
// answers health, readiness and metrics, refuses a second daemon on the same
// state, reloads the rules (a broken file keeps the old ones), moves the
// debug clock and stops on SIGTERM with exit 0.
func TestRunLifecycle(t *testing.T) {
	t.Parallel()
	r := newRig(t, e2eStart, "")

	code, out := r.command("run", "--config", r.config)
	if code != 1 || !strings.Contains(out, "b24desk setup") {
		t.Fatalf("run before setup: exit %d, want 1 naming `b24desk setup`:\n%s", code, out)
	}

	r.setup()
	r.start()
	if code, body := r.get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	r.waitFor("/readyz 200", 10*time.Second, func() bool { c, _ := r.get("/readyz"); return c == http.StatusOK })
	// The start-up calls (probe, reconcile, sweep) reached the portal and were counted.
	r.waitFor("portal calls counted", 10*time.Second, func() bool {
		_, body := r.get("/metrics")
		return regexp.MustCompile(`(?m)^b24desk_api_calls_total\{method="[a-z.]+",result="ok"\} [1-9]`).MatchString(body)
	})
	if code, body := r.get("/metrics"); code != http.StatusOK || !strings.Contains(body, "b24desk_outbox_pending 0") {
		t.Fatalf("/metrics: %d, lacks the outbox gauge:\n%.2000s", code, body)
	}

	code, out = r.command("run", "--config", r.config)
	if code != 1 || !strings.Contains(out, "locked") {
		t.Fatalf("second daemon: exit %d, want 1 saying locked:\n%s", code, out)
	}

	// A broken rules file is noticed by the watcher and keeps the old rules.
	good, err := os.ReadFile(r.rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.rules, append(append([]byte{}, good...), []byte("\nno_such_key: [\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitFor("an invalid reload counted", 15*time.Second, func() bool {
		return r.metric(`b24desk_rules_reloads_total{result="invalid"}`) >= 1
	})
	if c, _ := r.get("/healthz"); c != http.StatusOK {
		t.Fatal("daemon unhealthy after a broken rules file")
	}
	// SIGHUP reloads the repaired file.
	if err := os.WriteFile(r.rules, good, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = r.running.cmd.Process.Signal(syscall.SIGHUP)
	r.waitFor("a good reload counted", 15*time.Second, func() bool {
		return r.metric(`b24desk_rules_reloads_total{result="ok"}`) >= 1
	})

	r.setTime(e2eStart.Add(90 * time.Minute))

	if code := r.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0\n%s", code, r.output())
	}
	if !strings.Contains(r.output(), "outbox drained") {
		t.Error("shutdown did not report the outbox drain")
	}
}

// TestRunUsageErrors: a bad config or flag is exit 2; a debug clock start
// without --debug-clock is refused.
func TestRunUsageErrors(t *testing.T) {
	t.Parallel()
	r := newRig(t, e2eStart, "")
	bad := filepath.Join(r.dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("portal:\n  no_such_key: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "--config", bad},
		{"run", "--config", r.config, "--debug-clock-start", "2026-03-10T10:00:00+03:00"},
		{"run", "--config", r.config, "--debug-clock", "--debug-clock-start", "yesterday"},
		{"run", "--no-such-flag"},
	} {
		if code, out := r.command(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2:\n%s", args, code, out)
		}
	}
}

// TestRunOfflineEvents: an OAuth application in offline mode reads the
// portal's offline event queue, hands the change to the engine and clears
// the queue.
func TestRunOfflineEvents(t *testing.T) {
	t.Parallel()
	r := newRig(t, e2eStart, "")
	p := r.portal
	cfg := "portal:\n  client_id: " + p.ClientID() + "\n  client_secret: " + p.ClientSecret() +
		"\n  oauth_server: " + r.simURL + "\n  endpoint: " + r.simURL + "/rest/\n  rate: 1000\n  burst: 10000\n" +
		"rules:\n  path: " + r.rules + "\nstate:\n  dir: " + filepath.Join(r.dir, "state") + "\n" +
		"http:\n  listen: " + r.listen + "\n" +
		"events:\n  mode: offline\n  offline_interval: 1s\n" +
		"reconcile:\n  interval: 1h\n  sweep_interval: 1h\n" +
		"log:\n  level: debug\n"
	if err := os.WriteFile(r.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The application's first token pair, as `b24desk auth` stores it.
	st, err := store.Open(context.Background(), filepath.Join(r.dir, "state"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	access, refresh := p.IssueTokens(1)
	err = st.SaveToken(context.Background(), store.Token{AccessToken: access, RefreshToken: refresh,
		ExpiresAt: r.clk.Now().Add(time.Hour)}, r.clk.Now())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if code, out := r.command("setup", "--config", r.config); code != 0 {
		t.Fatalf("setup exit %d:\n%s", code, out)
	}
	r.start()

	c, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(r.simURL), Rate: 1000, Burst: 10000, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.LeadAdd(context.Background(), map[string]any{"TITLE": "Метка", "SOURCE_ID": "B24D_MAP", "ASSIGNED_BY_ID": 5}, false)
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("the offline event recorded and cleared", 15*time.Second, func() bool {
		cleared := 0
		for _, call := range p.Calls() {
			if call.Method == "event.offline.clear" && call.Code == "" {
				cleared++
			}
		}
		return cleared > 0 && r.metric(`b24desk_portal_events_total{result="recorded"}`) >= 1
	})
	r.waitFor("the hand-made ticket given an SLA", 15*time.Second, func() bool {
		l, _ := p.Lead(int(id))
		return l["UF_CRM_B24D_SLA_DUE"] != nil && l["UF_CRM_B24D_SLA_DUE"] != ""
	})
	if code := r.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	for _, secret := range []string{p.ClientSecret(), access, refresh} {
		if strings.Contains(r.output(), secret) {
			t.Fatal("an OAuth secret or token leaked into the daemon's output")
		}
	}
}
