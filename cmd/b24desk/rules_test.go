package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/clock"
)

func runRules(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cmdRules(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRulesCheck(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"valid example", []string{"check", "../../config/rules.example.yaml"}, exitOK, []string{"ok: 9 types"}},
		{"broken file", []string{"check", "testdata/rules/broken.yaml"}, exitUsage, []string{
			"testdata/rules/broken.yaml:4:22: classify[0].when.subject: bad regex",
			"testdata/rules/broken.yaml:4:41: classify[0].set.type: unknown type \"X\"",
		}},
		{"missing file", []string{"check", "testdata/rules/nope.yaml"}, exitUsage, nil},
		{"no file", []string{"check"}, exitUsage, nil},
		{"help", []string{"--help"}, exitOK, []string{"rules check FILE", "Examples:"}},
		{"unknown subcommand", []string{"lint"}, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runRules(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, want := range tt.out {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestRulesTestMailJSON(t *testing.T) {
	code, out, errOut := runRules(t, "test", "../../config/rules.example.yaml", "--mail", "testdata/rules/outage.eml", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := map[string]any{
		"type": "B24D_OUTAGE", "priority": "high", "tier": "enterprise",
		"classify_rule": "outage", "route_rule": "outage", "assignee": 21.0,
		"sla_policy": "enterprise",
		// Friday 17:30 + 2 working hours: Monday 9 March is a holiday.
		"first_response_due": "2026-03-10T10:30:00+03:00",
		"resolution_due":     "2026-03-12T17:30:00+03:00",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	esc, _ := got["escalations"].([]any)
	if len(esc) != 4 {
		t.Fatalf("escalations %v", got["escalations"])
	}
	first := esc[0].(map[string]any)
	if first["at"] != "2026-03-10T10:06:00+03:00" || first["target"] != "first_response" {
		t.Errorf("first escalation %v", first)
	}
}

func TestRulesTestTrailAndAt(t *testing.T) {
	code, out, errOut := runRules(t, "test", "../../config/rules.example.yaml", "--mail", "testdata/rules/outage.eml", "--at", "2026-03-02T10:00:00+03:00")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`classify:  "urgent": subject matches`,
		`classify:  "outage": subject matches`,
		"type:      B24D_OUTAGE (Авария, L2)",
		"assignee:  user 21 from pool incident-managers",
		"first_response  due 2026-03-02T12:00:00+03:00",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trail lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesTestLead(t *testing.T) {
	code, out, errOut := runRules(t, "test", "--json", "../../config/rules.example.yaml", "--lead", "testdata/rules/lead.json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got["type"] != "B24D_MAP" || got["tier"] != "partner" || got["assignee"] != 11.0 || got["first_response_due"] != "2026-03-02T15:00:00+03:00" {
		t.Fatalf("got %v", got)
	}
}

func TestRulesTestErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.eml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"unparseable mail", []string{"test", "../../config/rules.example.yaml", "--mail", "testdata/rules/garbage.eml"}, exitFailed},
		{"empty mail", []string{"test", "../../config/rules.example.yaml", "--mail", empty}, exitFailed},
		{"missing mail", []string{"test", "../../config/rules.example.yaml", "--mail", filepath.Join(dir, "nope.eml")}, exitFailed},
		{"bad lead", []string{"test", "../../config/rules.example.yaml", "--lead", "testdata/rules/outage.eml"}, exitFailed},
		{"broken rules", []string{"test", "testdata/rules/broken.yaml", "--mail", "testdata/rules/outage.eml"}, exitUsage},
		{"both inputs", []string{"test", "../../config/rules.example.yaml", "--mail", "a", "--lead", "b"}, exitUsage},
		{"no input", []string{"test", "../../config/rules.example.yaml"}, exitUsage},
		{"bad --at", []string{"test", "../../config/rules.example.yaml", "--mail", "testdata/rules/outage.eml", "--at", "tomorrow"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runRules(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if tt.code != exitOK && errOut == "" {
				t.Error("no message on stderr")
			}
		})
	}
}

func TestRulesTestDefaultsToNow(t *testing.T) {
	// A lead without DATE_CREATE and no --at counts from the clock.
	dir := t.TempDir()
	lead := filepath.Join(dir, "lead.json")
	if err := os.WriteFile(lead, []byte(`{"ID": "1", "TITLE": "вопрос"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	clk := clock.NewManual(time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC))
	if code := rulesTest(context.Background(), []string{"../../config/rules.example.yaml", "--lead", lead, "--json"}, &out, &errOut, clk); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// 15:00 MSK Tuesday + 24 working hours (prospect).
	if got["first_response_due"] != "2026-03-06T12:00:00+03:00" {
		t.Fatalf("first_response_due %v", got["first_response_due"])
	}
}

// TestRulesCheckBrokenTemplate: every template is parsed at check time; a
// broken one (the example's ack subject cut to `{{tag …`) is exit 2 with
// its position.
func TestRulesCheckBrokenTemplate(t *testing.T) {
	src, err := os.ReadFile("../../config/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const good = `subject: "{{tag}} Обращение зарегистрировано: {{subject}}"`
	if !bytes.Contains(src, []byte(good)) {
		t.Fatal("the example's ack subject changed: update the test")
	}
	line := 1 + bytes.Count(src[:bytes.Index(src, []byte(good))], []byte("\n"))
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, bytes.Replace(src, []byte(good), []byte(`subject: "{{tag …"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runRules(t, "check", path)
	want := path + ":" + strconv.Itoa(line) + ":15: templates[0].subject: \"{{\" is not closed by \"}}\""
	if code != exitUsage || !strings.Contains(out+errOut, want) {
		t.Fatalf("exit %d, want %d and %q:\n%s%s", code, exitUsage, want, out, errOut)
	}
}
