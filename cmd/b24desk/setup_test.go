package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

// testSecret is the simulator's webhook secret in these tests: it must never
// appear in any output.
const testSecret = "t0ps3cr3tw3bh00kv4lu3"

// testInstall is a simulator over HTTP and a config file pointing at it.
type testInstall struct {
	portal  *sim.Portal
	webhook string // contains testSecret
	config  string
	state   string
}

func newInstall(t *testing.T, extraYAML string) *testInstall {
	t.Helper()
	p := sim.New(sim.Options{NoLimits: true, EventDelay: -1, WebhookSecret: testSecret})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	rulesPath, err := filepath.Abs("../../config/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := "portal:\n  webhook_url: " + p.WebhookURL(srv.URL) + "\n  rate: 1000\n  burst: 10000\n" +
		"rules:\n  path: " + rulesPath + "\nstate:\n  dir: " + filepath.Join(dir, "state") + "\n" +
		"log:\n  level: debug\n  format: console\n" + extraYAML
	path := filepath.Join(dir, "b24desk.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testInstall{portal: p, webhook: p.WebhookURL(srv.URL), config: path, state: filepath.Join(dir, "state")}
}

// run runs a command function and checks no secret leaked into its output.
func (in *testInstall) run(t *testing.T, fn func(context.Context, []string, io.Writer, io.Writer) int, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := fn(context.Background(), append([]string{"--config", in.config}, args...), &stdout, &stderr)
	out := stdout.String() + stderr.String()
	if strings.Contains(out, testSecret) {
		t.Fatalf("the webhook secret leaked into the output:\n%s", out)
	}
	return code, out
}

func portalWrites(p *sim.Portal) []string {
	var out []string
	for _, c := range p.Calls() {
		m := c.Method
		if strings.HasSuffix(m, ".add") || strings.HasSuffix(m, ".update") || strings.HasSuffix(m, ".delete") ||
			strings.HasSuffix(m, ".bind") || m == "batch" {
			out = append(out, m)
		}
	}
	return out
}

func TestSetupTwiceThenNoChange(t *testing.T) {
	in := newInstall(t, "events:\n  mode: poll\n")
	code, out := in.run(t, cmdSetup)
	if code != exitOK {
		t.Fatalf("setup exit %d:\n%s", code, out)
	}
	for _, want := range []string{"created      SOURCE B24D_TECH «Технический вопрос»",
		"created      lead stage B24D_WAIT «Ждёт ответа клиента»", "created      field UF_CRM_B24D_PRIORITY", "schema map recorded"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(portalWrites(in.portal)) == 0 {
		t.Fatal("first setup wrote nothing")
	}

	in.portal.ResetCalls()
	code, out = in.run(t, cmdSetup)
	if code != exitOK || !strings.Contains(out, "no changes") {
		t.Fatalf("second setup exit %d:\n%s", code, out)
	}
	if w := portalWrites(in.portal); len(w) != 0 {
		t.Errorf("second setup wrote %v", w)
	}

	// The map is in the state: the daemon's Present passes.
	st, err := store.OpenReadOnly(context.Background(), in.state, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := schema.Load(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Present(); err != nil {
		t.Errorf("Present after setup: %v", err)
	}
	if _, ok := m.EnumID(schema.FieldSLAState, schema.StateWarning); !ok {
		t.Error("SLA state item not recorded")
	}
}

func TestSetupDryRunChangesNothing(t *testing.T) {
	in := newInstall(t, "events:\n  mode: poll\n")
	code, out := in.run(t, cmdSetup, "--dry-run")
	if code != exitOK {
		t.Fatalf("dry run exit %d:\n%s", code, out)
	}
	if w := portalWrites(in.portal); len(w) != 0 {
		t.Errorf("dry run wrote %v", w)
	}
	if !strings.Contains(out, "would create SOURCE B24D_OUTAGE «Авария»") || !strings.Contains(out, "nothing was written") {
		t.Errorf("dry-run output:\n%s", out)
	}
	if _, err := os.Stat(in.state); !os.IsNotExist(err) {
		t.Errorf("dry run touched the state dir: %v", err)
	}
}

func TestSetupUsageAndConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown flag", []string{"--nope"}, exitUsage},
		{"stray argument", []string{"--config", "x.yaml", "extra"}, exitUsage},
		{"missing config", []string{"--config", filepath.Join(t.TempDir(), "none.yaml")}, exitUsage},
		{"help", []string{"--help"}, exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := cmdSetup(context.Background(), tc.args, &stdout, &stderr); got != tc.want {
				t.Errorf("exit %d, want %d\n%s%s", got, tc.want, stdout.String(), stderr.String())
			}
		})
	}
}

func TestSetupRefusesSimpleCRM(t *testing.T) {
	in := newInstall(t, "events:\n  mode: poll\n")
	in.portal.SetCRMMode(2)
	code, out := in.run(t, cmdSetup)
	if code != exitFailed || !strings.Contains(out, "simple mode") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if w := portalWrites(in.portal); len(w) != 0 {
		t.Errorf("wrote %v", w)
	}
}

// TestSetupAndCheckSayWhatHappened: a method the portal does not know (404
// ERROR_METHOD_NOT_FOUND) is reported as that, not as an unreachable portal
// or a missing scope; a setup that stops half-way never says "no changes".
func TestSetupAndCheckSayWhatHappened(t *testing.T) {
	t.Run("unknown method", func(t *testing.T) {
		in := newInstall(t, "events:\n  mode: poll\n")
		in.portal.ForgetMethods("crm.settings.mode.get")
		code, out := in.run(t, cmdSetup)
		if code != exitFailed || !strings.Contains(out, "does not know the method crm.settings.mode.get (ERROR_METHOD_NOT_FOUND)") ||
			strings.Contains(out, "not reachable") || strings.Contains(out, "scope") {
			t.Errorf("setup exit %d:\n%s", code, out)
		}
		code, out = in.run(t, cmdCheck)
		if code != exitFailed || !strings.Contains(out, "crm.settings.mode.get (ERROR_METHOD_NOT_FOUND)") ||
			strings.Contains(out, "give the webhook the crm scope") {
			t.Errorf("check exit %d:\n%s", code, out)
		}
	})
	t.Run("stops half-way", func(t *testing.T) {
		in := newInstall(t, "events:\n  mode: poll\n")
		in.portal.ForgetMethods("crm.lead.userfield.add")
		code, out := in.run(t, cmdSetup)
		if code != exitFailed || strings.Contains(out, "no changes") || !strings.Contains(out, "stopped:") ||
			!strings.Contains(out, "does not know the method crm.lead.userfield.add") {
			t.Errorf("setup exit %d:\n%s", code, out)
		}
	})
}
