package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/b24desk/b24desk/connector/report"
)

// TestReportCommand runs report beside the tickets command on the same
// state: the backlog's figures are the tickets the other lists.
func TestReportCommand(t *testing.T) {
	in := newInstall(t, "")
	seedState(t, in.state)
	period := []string{"--from", "2026-03-01", "--to", "2026-03-31"}
	code, out := in.run(t, cmdReport, append(period, "--format", "json")...)
	if code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	_, all := in.run(t, cmdTickets, "--state", "all")
	_, breached := in.run(t, cmdTickets, "--state", "breached")
	_, warning := in.run(t, cmdTickets, "--state", "warning")
	_, open := in.run(t, cmdTickets)
	if !strings.Contains(all, "4 ticket(s)") || rep.Total.Opened != 4 || rep.Total.Closed != 1 {
		t.Errorf("opened %d closed %d; tickets --state all:\n%s", rep.Total.Opened, rep.Total.Closed, all)
	}
	if !strings.Contains(open, "3 ticket(s)") || rep.Backlog.Open != 3 {
		t.Errorf("backlog open %d; tickets:\n%s", rep.Backlog.Open, open)
	}
	if !strings.Contains(breached, "1 ticket(s)") || rep.Backlog.Breached != 1 {
		t.Errorf("breached now %d; tickets --state breached:\n%s", rep.Backlog.Breached, breached)
	}
	if !strings.Contains(warning, "1 ticket(s)") || rep.Backlog.AtRisk != 1 {
		t.Errorf("at risk %d; tickets --state warning:\n%s", rep.Backlog.AtRisk, warning)
	}
	code, out = in.run(t, cmdReport, append(period, "--by", "level")...)
	if code != exitOK || !strings.Contains(out, "L1") || !strings.Contains(out, "Backlog now: 3 open, 1 at risk, 1 breached") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	code, out = in.run(t, cmdReport, append(period, "--format", "csv", "--by", "assignee")...)
	if code != exitOK || !strings.HasPrefix(out, "assignee,opened,closed") || !strings.Contains(out, "user 5,1,") {
		t.Errorf("csv: exit %d\n%s", code, out)
	}
	code, out = in.run(t, cmdReport, append(period, "--format", "html")...)
	if code != exitOK || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, `id="chart-backlog"`) {
		t.Errorf("html: exit %d\n%.300s", code, out)
	}
	if code, out := in.run(t, cmdReport, "--link"); code != exitUsage || !strings.Contains(out, "report_token") {
		t.Errorf("--link without a token: exit %d\n%s", code, out)
	}
	tok := newInstall(t, "http:\n  public_base_url: https://desk.example.com\n  report_token: "+testSecret+"-report\n")
	code, out = tok.run(t, cmdReport, "--link", "--link-ttl", "1h")
	if code != exitOK || !strings.HasPrefix(out, "https://desk.example.com/report?exp=") || !strings.Contains(out, "&sig=") {
		t.Errorf("--link: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"--by", "colour"}, {"--format", "pdf"}, {"--from", "March"}, {"--from", "2026-04-01", "--to", "2026-03-01"}, {"extra"}} {
		if code, out := in.run(t, cmdReport, bad...); code != exitUsage {
			t.Errorf("report %v: exit %d, want 2\n%s", bad, code, out)
		}
	}
	if code, out := newInstall(t, "").run(t, cmdReport); code != exitFailed {
		t.Errorf("no state: exit %d\n%s", code, out)
	}
}
