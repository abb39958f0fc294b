package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/clock"
)

func TestCalendarShow(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(bad, []byte("<calendar year=\"2027\" date=\"2026.09.02\">\n  <days>\n    <day d=\"02.30\" t=\"1\"/>\n  </days>\n</calendar>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err []string
	}{
		{"a file: the decree's 40-hour figures", []string{"show", "../../config/ru-2026.xml"}, exitOK, []string{
			"(40-hour week), 2026: holiday data covers to 2026-12-31 from ../../config/ru-2026.xml (2026, file dated 2025-09-30)",
			"January            15        16          0    120",
			"April            22         8          1    175",
			"year           247       118          4   1972",
			"2026-01-09 Fri  day off  day off moved from 01.03",
			"2026-11-03 Tue  7 h      shortened by one hour",
		}, nil},
		{"a rules calendar in 2027", []string{"show", "msk", "--rules", "../../config/rules.example.yaml", "--year", "2027"}, exitOK, []string{
			"msk (Europe/Moscow), 2027: holiday data covers to 2027-12-31 from ru-2026.xml (2026, file dated 2025-09-30), ru-2027.xml (2027, file dated 2026-09-02)",
			"February            19         9          1    170",
			"2027-02-20 Sat  8 h      shortened by one hour",
			"2027-02-22 Mon  day off  day off moved from 02.20",
			"2027-11-05 Fri  day off  day off moved from 01.02",
		}, nil},
		{"a year past the data", []string{"show", "msk", "--rules", "../../config/rules.example.yaml", "--year", "2028"}, exitOK, []string{
			"warning: no holiday data for 2028",
		}, nil},
		{"the default year is this year", []string{"show", "msk", "--rules", "../../config/rules.example.yaml"}, exitOK, []string{"msk (Europe/Moscow), 2027:"}, nil},
		{"a malformed file", []string{"show", bad}, exitUsage, nil, []string{bad + ":3:5: <day> d=\"02.30\": no such date in 2027"}},
		{"a missing file", []string{"show", "nope.xml"}, exitUsage, nil, []string{"nope.xml"}},
		{"a year the file does not cover", []string{"show", "../../config/ru-2026.xml", "--year", "2027"}, exitUsage, nil, []string{"covers 2026, not 2027"}},
		{"an unknown calendar", []string{"show", "spb", "--rules", "../../config/rules.example.yaml"}, exitUsage, nil, []string{`no calendar "spb" (it has: always, msk)`}},
		{"no argument", []string{"show"}, exitUsage, nil, []string{"Usage:"}},
		{"unknown subcommand", []string{"list"}, exitUsage, nil, []string{"Usage:"}},
		{"help", []string{"--help"}, exitOK, []string{"calendar show FILE.xml"}, nil},
	}
	clk := clock.NewManual(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			var code int
			if tt.args[0] == "show" {
				code = calendarShow(tt.args[1:], &out, &errOut, clk)
			} else {
				code = cmdCalendar(context.Background(), tt.args, &out, &errOut)
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
			for _, w := range tt.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.err {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
		})
	}
}

func TestRulesCheckShowsCoverage(t *testing.T) {
	code, out, errOut := runRules(t, "check", "../../config/rules.example.yaml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{
		"calendar always: open 24/7, no holiday data needed",
		"calendar msk: holiday data covers to 2027-12-31 from ru-2026.xml (2026, file dated 2025-09-30), ru-2027.xml (2027, file dated 2026-09-02)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
}
