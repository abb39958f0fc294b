package main

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/store"
)

func TestCheckAllGoodAfterSetup(t *testing.T) {
	in := newInstall(t, "events:\n  mode: poll\n")
	if code, out := in.run(t, cmdSetup); code != exitOK {
		t.Fatalf("setup exit %d:\n%s", code, out)
	}
	code, out := in.run(t, cmdCheck)
	if code != exitOK || !strings.Contains(out, "✓ every lead stage of the portal is mapped") {
		t.Fatalf("check exit %d:\n%s", code, out)
	}
	// A stage the rules do not name is listed, as a warning.
	c, err := bitrix.New(bitrix.Config{WebhookURL: in.webhook, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StatusAdd(context.Background(), map[string]any{"ENTITY_ID": "STATUS", "STATUS_ID": "ON_HOLD", "NAME": "Отложен"}); err != nil {
		t.Fatal(err)
	}
	code, out = in.run(t, cmdCheck)
	if code != exitOK {
		t.Fatalf("check exit %d:\n%s", code, out)
	}
	for _, want := range []string{"✓ config", "✓ rules", "✓ calendar msk: holiday data covers to 2027-12-31", "✓ state dir", "is writable and not locked", "✓ portal", "/rest/1/***",
		"✓ scopes include crm, bizproc, im, user, department", "✓ CRM is in classic mode", "✓ portal schema recorded by setup",
		"✓ portal has the b24desk fields", "! lead stages not in the rules' statuses (they count as open): ON_HOLD «Отложен»"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a failed line:\n%s", out)
	}
}

func TestCheckNamesEachProblem(t *testing.T) {
	// The rules start a workflow, so admin rights matter.
	data, err := os.ReadFile("../../config/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rulesText := strings.Replace(string(data), "level: L2}", "level: L2, workflow: {template_id: 1}}", 1)

	tests := []struct {
		name  string
		setup func(p *sim.Portal)
		want  []string // each must appear on a ✗ line or its fix
	}{
		{"simple CRM", func(p *sim.Portal) { p.SetCRMMode(2) },
			[]string{"✗ CRM is in simple mode", "classic mode"}},
		{"not admin", func(p *sim.Portal) { p.SetAdmin(false) },
			[]string{"✗ the webhook user is not a portal administrator", "create the inbound webhook as an administrator"}},
		{"missing scopes", func(p *sim.Portal) { p.SetScopes("crm", "user") },
			[]string{"✗ webhook scopes lack bizproc, im, department", "tick crm, bizproc, im, user, department"}},
		{"no setup", func(*sim.Portal) {},
			[]string{"✗ portal schema not recorded", "✗ portal lacks", "run b24desk setup"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := newInstall(t, "events:\n  mode: poll\n")
			rulesPath, err := config.WriteRulesExample(t.TempDir()) // with the calendar files it imports
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rulesPath, []byte(rulesText), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, _ := os.ReadFile(in.config)
			cfg = []byte(strings.Replace(string(cfg), "config/rules.example.yaml", "", 1))
			cfg = []byte(replaceRulesPath(string(cfg), rulesPath))
			if err := os.WriteFile(in.config, cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			in.portal.AddTemplate(sim.Template{ID: 1, Name: "Авария"})
			if tc.name != "no setup" {
				if code, out := in.run(t, cmdSetup); code != exitOK {
					t.Fatalf("setup exit %d:\n%s", code, out)
				}
			}
			tc.setup(in.portal)
			code, out := in.run(t, cmdCheck)
			if code != exitFailed {
				t.Errorf("exit %d, want %d:\n%s", code, exitFailed, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// replaceRulesPath points the config's rules.path at path.
func replaceRulesPath(cfg, path string) string {
	lines := strings.Split(cfg, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  path: ") {
			lines[i] = "  path: " + path
		}
	}
	return strings.Join(lines, "\n")
}

func TestCheckInvalidConfigExits2(t *testing.T) {
	in := newInstall(t, "events:\n  mode: sometimes\n")
	code, out := in.run(t, cmdCheck)
	if code != exitUsage || !strings.Contains(out, "events.mode") || !strings.Contains(out, "✗ config") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestCheckWithRunningDaemon(t *testing.T) {
	in := newInstall(t, "events:\n  mode: poll\n")
	if code, out := in.run(t, cmdSetup); code != exitOK {
		t.Fatalf("setup exit %d:\n%s", code, out)
	}
	daemon, err := store.Open(context.Background(), in.state, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	code, out := in.run(t, cmdCheck)
	if code != exitOK || !strings.Contains(out, "in use by a running daemon (fine)") || !strings.Contains(out, "✓ portal schema recorded") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out = in.run(t, cmdSetup)
	if code != exitFailed || !strings.Contains(out, "daemon is running") {
		t.Errorf("setup next to a daemon: exit %d:\n%s", code, out)
	}
}

func TestCheckUnreachablePortal(t *testing.T) {
	in := newInstall(t, "events:\n  mode: poll\n")
	in.portal.SetFaults(sim.Faults{Down: true})
	code, out := in.run(t, cmdCheck)
	if code != exitFailed || !strings.Contains(out, "✗ portal") || !strings.Contains(out, "not reachable") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestOneShotCommandsGiveUpOnNoAnswer: check and setup against a portal
// address where every connection is closed unanswered report "not
// reachable" with exit 1 after one connection each, where the daemon's
// retries would wait about 16 s (5 retries); the attempts are counted, not
// timed.
func TestOneShotCommandsGiveUpOnNoAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  func(context.Context, []string, io.Writer, io.Writer) int
		want string
	}{
		{"check", cmdCheck, "✗ portal http://127.0.0.1:"},
		{"setup", cmdSetup, "b24desk setup: the portal is not reachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newInstall(t, "events:\n  mode: poll\n")
			var accepted atomic.Int64
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ln.Close() })
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted.Add(1)
					_ = c.Close()
				}
			}()
			u, err := url.Parse(in.webhook)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := os.ReadFile(in.config)
			if err != nil {
				t.Fatal(err)
			}
			cfg = []byte(strings.ReplaceAll(string(cfg), u.Host, ln.Addr().String()))
			if err := os.WriteFile(in.config, cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := in.run(t, tc.cmd)
			if code != exitFailed || !strings.Contains(out, tc.want) || !strings.Contains(out, "not reachable") ||
				!strings.Contains(out, "fix: check portal.webhook_url") {
				t.Errorf("exit %d, want %d with %q, not reachable and the fix:\n%s", code, exitFailed, tc.want, out)
			}
			if n := accepted.Load(); n != 1 {
				t.Errorf("%d connections to the portal, want 1", n)
			}
		})
	}
}

// TestCheckFailsOnParkedWrite: a parked portal write is a failed line of
// check, with the row's error and what to do.
func TestCheckFailsOnParkedWrite(t *testing.T) {
	in := newInstall(t, "events:\n  mode: poll\n")
	if code, out := in.run(t, cmdSetup); code != exitOK {
		t.Fatalf("setup exit %d:\n%s", code, out)
	}
	parked, _ := seedState(t, in.state)
	code, out := in.run(t, cmdCheck)
	if code != exitFailed {
		t.Fatalf("check exit %d with a parked write, want %d:\n%s", code, exitFailed, out)
	}
	for _, want := range []string{"✗ outbox: parked row " + itoa(parked), "ACCESS_DENIED", "outbox retry " + itoa(parked)} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
