package rules

import (
	"testing"
	"time"
)

func TestCalendarAdd(t *testing.T) {
	msk := testCalendar(t, mskBody)
	lunch := testCalendar(t, `timezone: Europe/Berlin
week: {mon-fri: "09:00-12:00, 13:00-17:00"}
holidays: [2026-12-24..2026-12-26]
workdays: [2026-12-19]`)
	always := testCalendar(t, `timezone: Europe/Moscow
week: {mon-sun: "00:00-24:00"}`)
	ny := testCalendar(t, `timezone: America/New_York
week: {mon-sun: "00:00-24:00"}`)
	tests := []struct {
		name  string
		cal   *Calendar
		start string
		d     time.Duration
		want  string
	}{
		{"within the day", msk, "2026-03-02T10:15:00+03:00", 2 * time.Hour, "2026-03-02T12:15:00+03:00"},
		{"lands on closing time", msk, "2026-03-02T17:00:00+03:00", 2 * time.Hour, "2026-03-02T19:00:00+03:00"},
		{"carries to next day", msk, "2026-03-02T18:00:00+03:00", 2 * time.Hour, "2026-03-03T11:00:00+03:00"},
		{"before opening", msk, "2026-03-02T07:00:00+03:00", time.Hour, "2026-03-02T11:00:00+03:00"},
		{"friday into monday", msk, "2026-02-27T18:30:00+03:00", time.Hour, "2026-03-02T10:30:00+03:00"},
		{"skips 9 March holiday", msk, "2026-03-06T18:00:00+03:00", 2 * time.Hour, "2026-03-10T11:00:00+03:00"},
		{"new year holidays", msk, "2025-12-31T18:00:00+03:00", 2 * time.Hour, "2026-01-12T11:00:00+03:00"},
		{"shortened pre-holiday day", msk, "2026-04-30T17:00:00+03:00", 2 * time.Hour, "2026-05-04T11:00:00+03:00"},
		{"may holidays and shortened 8 May", msk, "2026-05-08T17:30:00+03:00", time.Hour, "2026-05-12T10:30:00+03:00"},
		{"24 working hours", msk, "2026-03-02T10:15:00+03:00", 24 * time.Hour, "2026-03-04T16:15:00+03:00"},
		{"lunch break skipped", lunch, "2026-03-02T11:30:00+01:00", time.Hour, "2026-03-02T13:30:00+01:00"},
		{"berlin DST spring forward", lunch, "2026-03-27T16:00:00+01:00", 2 * time.Hour, "2026-03-30T10:00:00+02:00"},
		{"transferred saturday", lunch, "2026-12-18T16:30:00+01:00", time.Hour, "2026-12-19T09:30:00+01:00"},
		{"christmas skipped", lunch, "2026-12-23T16:00:00+01:00", 2 * time.Hour, "2026-12-28T10:00:00+01:00"},
		{"24/7 across midnight, no lost minute", always, "2026-03-02T23:30:00+03:00", time.Hour, "2026-03-03T00:30:00+03:00"},
		{"24/7 exactly midnight", always, "2026-03-02T23:00:00+03:00", time.Hour, "2026-03-03T00:00:00+03:00"},
		{"24/7 30 days", always, "2026-03-02T12:00:00+03:00", 30 * 24 * time.Hour, "2026-04-01T12:00:00+03:00"},
		{"24/7 new york DST is real time", ny, "2026-03-08T01:30:00-05:00", time.Hour, "2026-03-08T03:30:00-04:00"},
		{"24/7 new york fall back", ny, "2026-11-01T00:30:00-04:00", 2 * time.Hour, "2026-11-01T01:30:00-05:00"},
		{"zero duration", msk, "2026-03-07T12:00:00+03:00", 0, "2026-03-07T12:00:00+03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := mustTime(t, tt.start)
			got := tt.cal.Add(start, tt.d)
			if want := mustTime(t, tt.want); !got.Equal(want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", tt.start, tt.d, got.Format(time.RFC3339), tt.want)
			}
			if e := tt.cal.Elapsed(start, got); e != tt.d {
				t.Fatalf("Elapsed back = %s, want %s", e, tt.d)
			}
		})
	}
}

func TestCalendarNextOpenAndIsOpen(t *testing.T) {
	msk := testCalendar(t, mskBody)
	tests := []struct {
		at, want string
		open     bool
	}{
		{"2026-03-02T12:00:00+03:00", "2026-03-02T12:00:00+03:00", true},
		{"2026-03-02T19:00:00+03:00", "2026-03-03T10:00:00+03:00", false},
		{"2026-03-02T09:59:59+03:00", "2026-03-02T10:00:00+03:00", false},
		{"2026-03-07T12:00:00+03:00", "2026-03-10T10:00:00+03:00", false}, // Saturday, then 9 March holiday
		{"2026-11-03T18:30:00+03:00", "2026-11-05T10:00:00+03:00", false}, // shortened day, then 4 November
		{"2026-03-02T00:00:00Z", "2026-03-02T10:00:00+03:00", false},
	}
	for _, tt := range tests {
		at := mustTime(t, tt.at)
		if got := msk.NextOpen(at); !got.Equal(mustTime(t, tt.want)) {
			t.Errorf("NextOpen(%s) = %s, want %s", tt.at, got.Format(time.RFC3339), tt.want)
		}
		if got := msk.IsOpen(at); got != tt.open {
			t.Errorf("IsOpen(%s) = %v", tt.at, got)
		}
	}
}

func TestCalendarElapsed(t *testing.T) {
	msk := testCalendar(t, mskBody)
	tests := []struct {
		a, b string
		want time.Duration
	}{
		{"2026-03-02T10:00:00+03:00", "2026-03-09T10:00:00+03:00", 45 * time.Hour},
		{"2026-03-06T18:00:00+03:00", "2026-03-10T10:30:00+03:00", 90 * time.Minute},
		{"2026-01-01T00:00:00+03:00", "2026-01-12T00:00:00+03:00", 0},
		{"2026-04-30T10:00:00+03:00", "2026-05-01T00:00:00+03:00", 8 * time.Hour},
		{"2026-03-02T12:00:00+03:00", "2026-03-02T11:00:00+03:00", -time.Hour},
	}
	for _, tt := range tests {
		if got := msk.Elapsed(mustTime(t, tt.a), mustTime(t, tt.b)); got != tt.want {
			t.Errorf("Elapsed(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	msk := testCalendar(t, mskBody)
	tests := []struct {
		name, start string
		n           int
		want        string
	}{
		{"same time of day", "2026-03-02T14:30:00+03:00", 3, "2026-03-05T14:30:00+03:00"},
		{"skips weekend and holiday", "2026-03-05T11:00:00+03:00", 2, "2026-03-10T11:00:00+03:00"},
		{"clamped to the shortened day's close", "2026-04-29T18:30:00+03:00", 1, "2026-04-30T18:00:00+03:00"},
		{"outside hours counts from next opening", "2026-03-02T20:00:00+03:00", 1, "2026-03-04T10:00:00+03:00"},
		{"saturday start", "2026-03-14T12:00:00+03:00", 1, "2026-03-17T10:00:00+03:00"},
	}
	for _, tt := range tests {
		got := msk.AddWorkingDays(mustTime(t, tt.start), tt.n)
		if !got.Equal(mustTime(t, tt.want)) {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %s, want %s", tt.name, tt.start, tt.n, got.Format(time.RFC3339), tt.want)
		}
	}
}

func TestAlwaysOpen(t *testing.T) {
	if !testCalendar(t, "timezone: UTC\nweek: {mon-sun: \"00:00-24:00\"}").AlwaysOpen() {
		t.Error("24/7 calendar not detected")
	}
	if testCalendar(t, mskBody).AlwaysOpen() {
		t.Error("msk is not 24/7")
	}
	if testCalendar(t, "timezone: UTC\nweek: {mon-sun: \"00:00-24:00\"}\nholidays: [2026-01-01]").AlwaysOpen() {
		t.Error("a holiday makes it not 24/7")
	}
}

func TestCivilDays(t *testing.T) {
	for _, d := range []int{-800000, -1, 0, 1, 20000, 20513, 2932896} {
		y, m, dd := civilFromDays(d)
		if got := daysFromCivil(y, m, dd); got != d {
			t.Fatalf("round trip %d -> %d-%d-%d -> %d", d, y, m, dd, got)
		}
		want := time.Unix(int64(d)*86400, 0).UTC().Weekday()
		if weekdayOf(d) != want {
			t.Fatalf("weekday of %d = %s, want %s", d, weekdayOf(d), want)
		}
	}
}
