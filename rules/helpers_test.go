package rules

import (
	"strings"
	"testing"
	"time"
)

// minimal is the smallest valid file; tests append sections to it.
const minimal = `version: 1
types: [{code: T, name: T}, {code: U, name: U}]
classify: [{set: {type: T}}]
`

func parseOK(t testing.TB, src string) *Rules {
	t.Helper()
	r, _, err := Parse("test.yaml", []byte(src), time.Time{})
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	return r
}

// testCalendar builds calendar "c" from the YAML of its body.
func testCalendar(t testing.TB, body string) *Calendar {
	t.Helper()
	ind := "    " + strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n    ")
	r := parseOK(t, minimal+"calendars:\n  c:\n"+ind+"\n")
	return r.Calendars["c"]
}

const mskBody = `timezone: Europe/Moscow
week: {mon-fri: "10:00-19:00"}
holidays: [2026-01-01..2026-01-11, 2026-02-23, 2026-03-09, 2026-05-01, 2026-05-11, 2026-06-12, 2026-11-04, 2026-12-31]
shortened: {2026-04-30: "10:00-18:00", 2026-05-08: "10:00-18:00", 2026-06-11: "10:00-18:00", 2026-11-03: "10:00-18:00"}`

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
