package rules

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// propCalendars are the calendars the properties run on: Moscow (no DST,
// holidays, shortened days), Berlin and New York (DST) with lunch breaks,
// and a 24/7 calendar.
func propCalendars(t *testing.T) map[string]*Calendar {
	return map[string]*Calendar{
		"msk": testCalendar(t, mskBody),
		"berlin": testCalendar(t, `timezone: Europe/Berlin
week: {mon-thu: "08:30-12:00, 12:45-17:00", fri: "08:30-14:00"}
holidays: [2026-04-03..2026-04-06, 2026-05-01, 2026-12-24..2026-12-26, 2027-01-01]
shortened: {2026-12-31: "08:30-12:00"}
workdays: {2026-10-24: "09:00-13:00"}`),
		"newyork": testCalendar(t, `timezone: America/New_York
week: {mon-fri: "09:00-12:30, 13:30-18:00", sat: "10:00-14:00"}
holidays: [2026-07-03, 2026-11-26..2026-11-27, 2026-12-25]`),
		"always": testCalendar(t, `timezone: America/New_York
week: {mon-sun: "00:00-24:00"}`),
	}
}

func genStart(t *rapid.T) time.Time {
	// 2025-12-01 .. 2027-01-31, minute or second resolution.
	lo := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC).Unix()
	return time.Unix(rapid.Int64Range(lo, hi).Draw(t, "start"), 0)
}

func genDur(t *rapid.T, label string) time.Duration {
	return time.Duration(rapid.Int64Range(0, 300*3600).Draw(t, label)) * time.Second
}

func forEachCalendar(t *testing.T, f func(t *rapid.T, c *Calendar)) {
	for name, c := range propCalendars(t) {
		t.Run(name, func(t *testing.T) { rapid.Check(t, func(rt *rapid.T) { f(rt, c) }) })
	}
}

func TestPropElapsedInvertsAdd(t *testing.T) {
	forEachCalendar(t, func(t *rapid.T, c *Calendar) {
		s, d := genStart(t), genDur(t, "d")
		end := c.Add(s, d)
		if got := c.Elapsed(s, end); got != d {
			t.Fatalf("Elapsed(s, Add(s, %s)) = %s (s=%s end=%s)", d, got, s, end)
		}
	})
}

func TestPropAddAssociative(t *testing.T) {
	forEachCalendar(t, func(t *rapid.T, c *Calendar) {
		s := c.NextOpen(genStart(t))
		a, b := genDur(t, "a"), genDur(t, "b")
		if x, y := c.Add(c.Add(s, a), b), c.Add(s, a+b); !x.Equal(y) {
			t.Fatalf("Add(Add(s,%s),%s) = %s, Add(s,%s) = %s (s=%s)", a, b, x, a+b, y, s)
		}
	})
}

func TestPropMonotonic(t *testing.T) {
	forEachCalendar(t, func(t *rapid.T, c *Calendar) {
		s1, s2 := genStart(t), genStart(t)
		if s2.Before(s1) {
			s1, s2 = s2, s1
		}
		d1, d2 := genDur(t, "d1"), genDur(t, "d2")
		if d2 < d1 {
			d1, d2 = d2, d1
		}
		if c.Add(s1, d1).After(c.Add(s1, d2)) {
			t.Fatalf("Add not monotonic in d")
		}
		if c.Add(s1, d1).After(c.Add(s2, d1)) {
			t.Fatalf("Add not monotonic in start")
		}
		if c.Elapsed(s1, s2) < 0 || c.Elapsed(s1, s2) > s2.Sub(s1) {
			t.Fatalf("Elapsed(%s, %s) = %s out of [0, %s]", s1, s2, c.Elapsed(s1, s2), s2.Sub(s1))
		}
		mid := s1.Add(s2.Sub(s1) / 2)
		if c.Elapsed(s1, mid)+c.Elapsed(mid, s2) != c.Elapsed(s1, s2) {
			t.Fatalf("Elapsed not additive")
		}
	})
}

func TestPropHolidaysNeverCounted(t *testing.T) {
	forEachCalendar(t, func(t *rapid.T, c *Calendar) {
		s, d := genStart(t), genDur(t, "d")
		end := c.Add(s, d)
		if d > 0 && !c.IsWorkingDay(end) && !c.IsWorkingDay(end.Add(-time.Nanosecond)) {
			t.Fatalf("Add(%s, %s) = %s on a day off", s, d, end)
		}
		for day, hours := range c.special {
			if len(hours) != 0 {
				continue
			}
			from, to := c.midnight(day), c.midnight(day+1)
			if e := c.Elapsed(from, to); e != 0 {
				t.Fatalf("holiday %s counts %s", from, e)
			}
		}
		if o := c.NextOpen(s); !c.IsOpen(o) || o.Before(s) {
			t.Fatalf("NextOpen(%s) = %s is not open", s, o)
		}
	})
}

// TestPropWeekJumpsAgreeWithDayWalk checks the whole-week shortcut against
// the plain day-by-day walk (weekTotal 0 turns the shortcut off).
func TestPropWeekJumpsAgreeWithDayWalk(t *testing.T) {
	forEachCalendar(t, func(t *rapid.T, c *Calendar) {
		plain := *c
		plain.weekTotal = 0
		s, d := genStart(t), genDur(t, "d")
		if x, y := c.Add(s, d), plain.Add(s, d); !x.Equal(y) {
			t.Fatalf("Add(%s, %s): jumps %s, days %s", s, d, x, y)
		}
		e := genStart(t)
		if x, y := c.Elapsed(s, e), plain.Elapsed(s, e); x != y {
			t.Fatalf("Elapsed(%s, %s): jumps %s, days %s", s, e, x, y)
		}
	})
}
