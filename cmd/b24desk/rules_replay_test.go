package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/replay"
)

// TestRulesReplayCommand replays a state's history through the default
// rules and through a broken file: the figures come out (tickets without
// kept inputs keep their recorded classification), a bad NEW.yaml is
// reported by position with exit 2, a missing state is exit 1.
func TestRulesReplayCommand(t *testing.T) {
	in := newInstall(t, "")
	seedState(t, in.state)
	replayCmd := func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return cmdRules(ctx, append([]string{"replay"}, args...), stdout, stderr)
	}
	dir := t.TempDir()
	newRules, err := config.WriteRulesExample(dir)
	if err != nil {
		t.Fatal(err)
	}
	period := []string{"--from", "2026-03-01", "--to", "2026-03-31"}
	code, out := in.run(t, replayCmd, append([]string{newRules, "--json"}, period...)...)
	if code != exitOK {
		t.Fatalf("replay: exit %d\n%s", code, out)
	}
	var res replay.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// The seeded tickets have no kept inputs: their type, tier and assignee
	// stay as recorded. (The seed has tickets without a policy, which the
	// default rules' catch-all would give one: see connector/replay's tests
	// for a history the rules really made.)
	if res.Tickets != 4 || res.AsRecorded != 4 || res.Actual.Report.Total.Opened != 4 || res.Replay.Report.Total.Opened != 4 ||
		fmt.Sprint(res.Actual.Types) != fmt.Sprint(res.Replay.Types) || fmt.Sprint(res.Actual.Assignees) != fmt.Sprint(res.Replay.Assignees) {
		t.Errorf("replay of 4 recorded tickets: %+v", res)
	}
	code, out = in.run(t, replayCmd, append([]string{newRules, "--by", "level"}, period...)...)
	if code != exitOK || !strings.Contains(out, replay.StaffNote) || !strings.Contains(out, "LEVEL") || !strings.Contains(out, "Outcomes that change (0)") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\ncolour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := in.run(t, replayCmd, bad); code != exitUsage || !strings.Contains(out, bad+":2:1:") {
		t.Errorf("bad NEW.yaml: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{}, {newRules, "--by", "colour"}, {newRules, "--from", "March"}, {newRules, newRules},
		{filepath.Join(dir, "missing.yaml")}} {
		if code, out := in.run(t, replayCmd, args...); code != exitUsage {
			t.Errorf("replay %v: exit %d, want 2\n%s", args, code, out)
		}
	}
	if code, out := newInstall(t, "").run(t, replayCmd, newRules); code != exitFailed {
		t.Errorf("no state: exit %d\n%s", code, out)
	}
}
