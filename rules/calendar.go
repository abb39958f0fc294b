package rules

import (
	"time"
)

// maxCalendarDays bounds every calendar walk (ten years): a calendar whose
// week has working hours always opens well before that.
const maxCalendarDays = 3660

// span is one working interval of a day in minutes from local midnight,
// [from, to) with to at most 1440 (24:00).
type span struct{ from, to int }

// Calendar is a business calendar: weekly working hours in a time zone,
// holidays, shortened days and transferred working days. All arithmetic walks
// whole days, so its cost grows with the number of days, not minutes.
type Calendar struct {
	// Name is the calendar's key in the rules file.
	Name string
	// Location is the calendar's time zone.
	Location *time.Location

	week    [7][]span      // by time.Weekday
	special map[int][]span // by day number: holidays (nil), shortened and transferred days
	dataEnd int            // last day number named in holidays, shortened or workdays; 0 if none
	always  bool           // open 24 hours a day, 7 days a week
}

// AlwaysOpen reports whether the calendar is open around the clock every day
// (a 24/7 calendar): escalation steps then fire at their exact time.
func (c *Calendar) AlwaysOpen() bool { return c.always }

// HolidayDataEnd returns the last date the calendar's holiday, shortened or
// transferred-day data names, and false when it names none.
func (c *Calendar) HolidayDataEnd() (time.Time, bool) {
	if c.dataEnd == 0 {
		return time.Time{}, false
	}
	y, m, d := civilFromDays(c.dataEnd)
	return time.Date(y, m, d, 0, 0, 0, 0, c.Location), true
}

// IsOpen reports whether t falls inside working hours.
func (c *Calendar) IsOpen(t time.Time) bool {
	day := c.dayOf(t)
	mid, next := c.midnight(day), c.midnight(day+1)
	for _, sp := range c.hoursOf(day) {
		a, b := c.bounds(day, mid, next, sp)
		if !t.Before(a) && t.Before(b) {
			return true
		}
	}
	return false
}

// IsWorkingDay reports whether the local date of t has any working hours.
func (c *Calendar) IsWorkingDay(t time.Time) bool { return len(c.hoursOf(c.dayOf(t))) > 0 }

// NextOpen returns t itself when the calendar is open at t, else the start of
// the next working interval.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	day := c.dayOf(t)
	mid := c.midnight(day)
	for i := 0; i < maxCalendarDays; i++ {
		next := c.midnight(day + 1)
		for _, sp := range c.hoursOf(day) {
			a, b := c.bounds(day, mid, next, sp)
			if !b.After(t) {
				continue
			}
			if a.After(t) {
				return a
			}
			return t
		}
		day, mid = day+1, next
	}
	return t
}

// Add returns the instant after start at which d of working time has passed.
// A result that lands exactly on a closing time is that closing time; d <= 0
// returns start.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start
	}
	day := c.dayOf(start)
	mid := c.midnight(day)
	for i := 0; i < maxCalendarDays; i++ {
		next := c.midnight(day + 1)
		for _, sp := range c.hoursOf(day) {
			a, b := c.bounds(day, mid, next, sp)
			if !b.After(start) {
				continue
			}
			if a.Before(start) {
				a = start
			}
			if avail := b.Sub(a); d <= avail {
				return a.Add(d)
			} else {
				d -= avail
			}
		}
		day, mid = day+1, next
	}
	return start.Add(d)
}

// Elapsed returns the working time between a and b (negative when b is
// before a).
func (c *Calendar) Elapsed(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.Elapsed(b, a)
	}
	var sum time.Duration
	day := c.dayOf(a)
	mid := c.midnight(day)
	for mid.Before(b) {
		next := c.midnight(day + 1)
		for _, sp := range c.hoursOf(day) {
			x, y := c.bounds(day, mid, next, sp)
			if x.Before(a) {
				x = a
			}
			if y.After(b) {
				y = b
			}
			if y.After(x) {
				sum += y.Sub(x)
			}
		}
		day, mid = day+1, next
	}
	return sum
}

// AddWorkingDays returns the deadline n working days after start: the same
// time of day on the n-th working day after the day start counts from, or
// that day's opening or closing time when the day is shorter. A start outside
// working hours counts from the next opening.
func (c *Calendar) AddWorkingDays(start time.Time, n int) time.Time {
	s := c.NextOpen(start)
	if n <= 0 {
		return s
	}
	day := c.dayOf(s)
	ls := s.In(c.Location)
	h, mi, sec := ls.Clock()
	for i := 0; n > 0 && i < maxCalendarDays; i++ {
		day++
		if len(c.hoursOf(day)) > 0 {
			n--
		}
	}
	hours := c.hoursOf(day)
	if len(hours) == 0 {
		return s
	}
	mid, next := c.midnight(day), c.midnight(day+1)
	open, _ := c.bounds(day, mid, next, hours[0])
	_, closing := c.bounds(day, mid, next, hours[len(hours)-1])
	y, m, d := civilFromDays(day)
	t := time.Date(y, m, d, h, mi, sec, ls.Nanosecond(), c.Location)
	if t.Before(open) {
		return open
	}
	if t.After(closing) {
		return closing
	}
	return t
}

// hoursOf returns the working intervals of a day number.
func (c *Calendar) hoursOf(day int) []span {
	if s, ok := c.special[day]; ok {
		return s
	}
	return c.week[weekdayOf(day)]
}

// dayOf returns the local day number of t.
func (c *Calendar) dayOf(t time.Time) int {
	y, m, d := t.In(c.Location).Date()
	return daysFromCivil(y, m, d)
}

// midnight returns the instant the local day starts.
func (c *Calendar) midnight(day int) time.Time {
	y, m, d := civilFromDays(day)
	return time.Date(y, m, d, 0, 0, 0, 0, c.Location)
}

// bounds turns a span of a day into instants; mid and next are the day's and
// the following day's midnights. Days without a clock change use plain
// offsets; a day with one builds each bound from the wall clock.
func (c *Calendar) bounds(day int, mid, next time.Time, sp span) (time.Time, time.Time) {
	if next.Sub(mid) == 24*time.Hour {
		return mid.Add(time.Duration(sp.from) * time.Minute), mid.Add(time.Duration(sp.to) * time.Minute)
	}
	return c.wall(day, mid, next, sp.from), c.wall(day, mid, next, sp.to)
}

func (c *Calendar) wall(day int, mid, next time.Time, minute int) time.Time {
	switch minute {
	case 0:
		return mid
	case 1440:
		return next
	}
	y, m, d := civilFromDays(day)
	return time.Date(y, m, d, minute/60, minute%60, 0, 0, c.Location)
}

// weekdayOf returns the weekday of a day number (day 0 = 1970-01-01, a
// Thursday).
func weekdayOf(day int) time.Weekday {
	w := (day + 4) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

// daysFromCivil converts a proleptic Gregorian date to days since
// 1970-01-01 (H. Hinnant's algorithm).
func daysFromCivil(y int, m time.Month, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mm := int(m)
	if mm > 2 {
		mm -= 3
	} else {
		mm += 9
	}
	doy := (153*mm+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int) (int, time.Month, int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, time.Month(m), d
}
