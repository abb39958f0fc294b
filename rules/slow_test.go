package rules

import (
	"testing"
	"time"
)

// TestSparseCalendarIsBounded: a calendar with one minute a week and a
// ten-year target must not walk millions of weeks.
func TestSparseCalendarIsBounded(t *testing.T) {
	r := parseOK(t, minimal+`calendars: {c: {timezone: UTC, week: {sun: "00:00-00:01"}}}
sla:
  - calendar: c
    first_response: 87000h
    resolution: 3650wd
    escalate:
      first_response: [{at: 10%, notify: [assignee]}, {at: 50%, notify: [assignee]}, {at: 90%, notify: [assignee]}]
`)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := r.Decide(Input{}, RouteState{}, now).Schedule
	for _, ts := range s.Targets {
		if !ts.Due.After(now) {
			t.Errorf("%s due %s not after start", ts.Target, ts.Due)
		}
	}
}
