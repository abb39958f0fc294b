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
	// Imports are the production calendar files the calendar takes its
	// days from, by year.
	Imports []CalendarImport

	week    [7][]span       // by time.Weekday
	special map[int][]span  // by day number: holidays (nil), shortened and transferred days
	marks   map[int]dayMark // by day number: what each special day is, for display
	// dense holds special days as a slice from denseFrom when they span at
	// most maxDenseDays (lookups on the hot path); denseSet marks entries.
	dense     [][]span
	denseSet  []bool
	denseFrom int
	weekTotal time.Duration // working time of a week without special days
	dataEnd   int           // last day number named in holidays, shortened or workdays, or 31 December of the last imported year; 0 if none
	always    bool          // open 24 hours a day, 7 days a week
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

// PastDataEnd reports whether the local date of t is after the last date
// the calendar's holiday data covers: arithmetic there counts every weekday
// as an ordinary one. A calendar without holiday data has nothing to run
// past (false).
func (c *Calendar) PastDataEnd(t time.Time) bool {
	return c.dataEnd != 0 && c.dayOf(t) > c.dataEnd
}

// IsOpen reports whether t falls inside working hours.
func (c *Calendar) IsOpen(t time.Time) bool {
	it := c.days(c.dayOf(t))
	for _, sp := range c.hoursOf(it.day) {
		a, b := it.bounds(sp)
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
	it := c.days(c.dayOf(t))
	for i := 0; i < maxCalendarDays; i++ {
		for _, sp := range c.hoursOf(it.day) {
			a, b := it.bounds(sp)
			if !b.After(t) {
				continue
			}
			if a.After(t) {
				return a
			}
			return t
		}
		it.advance()
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
	it := c.days(c.dayOf(start))
	for i := 0; i < maxCalendarDays; i++ {
		for i > 0 && i+7 < maxCalendarDays && d > c.weekTotal && it.canJumpWeek() {
			d -= c.weekTotal
			it.jumpWeek()
			i += 7
		}
		for _, sp := range c.hoursOf(it.day) {
			a, b := it.bounds(sp)
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
		it.advance()
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
	it := c.days(c.dayOf(a))
	for it.mid.Before(b) {
		for it.mid.After(a) && !it.mid.Add(7*24*time.Hour).After(b) && it.canJumpWeek() {
			sum += c.weekTotal
			it.jumpWeek()
		}
		for _, sp := range c.hoursOf(it.day) {
			x, y := it.bounds(sp)
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
		it.advance()
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
	it := c.days(day)
	open, _ := it.bounds(hours[0])
	_, closing := it.bounds(hours[len(hours)-1])
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

// maxDenseDays bounds the dense special-day table (about 20 years).
const maxDenseDays = 7400

// hoursOf returns the working intervals of a day number.
func (c *Calendar) hoursOf(day int) []span {
	if c.denseSet != nil {
		if i := day - c.denseFrom; i >= 0 && i < len(c.denseSet) && c.denseSet[i] {
			return c.dense[i]
		}
	} else if s, ok := c.special[day]; ok {
		return s
	}
	return c.week[weekdayOf(day)]
}

// index builds the dense special-day table when the days are close enough
// together; the parser calls it once the calendar is complete.
func (c *Calendar) index() {
	c.weekTotal = 0
	for _, spans := range c.week {
		for _, sp := range spans {
			c.weekTotal += time.Duration(sp.to-sp.from) * time.Minute
		}
	}
	if len(c.special) == 0 {
		return
	}
	lo, hi := c.dataEnd, c.dataEnd
	for d := range c.special {
		lo = min(lo, d)
		hi = max(hi, d)
	}
	if hi-lo >= maxDenseDays {
		return
	}
	c.denseFrom = lo
	c.dense = make([][]span, hi-lo+1)
	c.denseSet = make([]bool, hi-lo+1)
	for d, s := range c.special {
		c.dense[d-lo], c.denseSet[d-lo] = s, true
	}
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

// dayIter walks local days. It finds each midnight with time.Date only
// around clock changes; within one zone period a midnight is the previous
// one plus 24 hours, which keeps long walks cheap.
type dayIter struct {
	c         *Calendar
	day       int
	mid, next time.Time // this day's and the next day's midnight
	// zoneEnd is the end of the zone period of mid (zero: none); aligned
	// says mid is a wall-clock 00:00. nextZoneEnd and nextAligned are the
	// same for next.
	zoneEnd, nextZoneEnd time.Time
	aligned, nextAligned bool
}

func (c *Calendar) days(day int) dayIter {
	it := dayIter{c: c, day: day}
	it.mid = c.midnight(day)
	it.zoneEnd, it.aligned = c.zoneOf(it.mid)
	it.following()
	return it
}

// zoneOf returns the end of the zone period of a midnight and whether it
// is a wall-clock 00:00 (a clock change at midnight moves it).
func (c *Calendar) zoneOf(m time.Time) (time.Time, bool) {
	_, end := m.ZoneBounds()
	h, mi, s := m.In(c.Location).Clock()
	return end, h == 0 && mi == 0 && s == 0
}

// following sets next, the midnight after mid.
func (it *dayIter) following() {
	if cand := it.mid.Add(24 * time.Hour); it.aligned && (it.zoneEnd.IsZero() || cand.Before(it.zoneEnd)) {
		it.next, it.nextZoneEnd, it.nextAligned = cand, it.zoneEnd, true
		return
	}
	it.next = it.c.midnight(it.day + 1)
	it.nextZoneEnd, it.nextAligned = it.c.zoneOf(it.next)
}

func (it *dayIter) advance() {
	it.day++
	it.mid, it.zoneEnd, it.aligned = it.next, it.nextZoneEnd, it.nextAligned
	it.following()
}

// bounds turns a span of the day into instants. Days without a clock change
// use plain offsets; a day with one builds each bound from the wall clock.
func (it *dayIter) bounds(sp span) (time.Time, time.Time) {
	if it.next.Sub(it.mid) == 24*time.Hour {
		return it.mid.Add(time.Duration(sp.from) * time.Minute), it.mid.Add(time.Duration(sp.to) * time.Minute)
	}
	return it.wall(sp.from), it.wall(sp.to)
}

func (it *dayIter) wall(minute int) time.Time {
	switch minute {
	case 0:
		return it.mid
	case 1440:
		return it.next
	}
	y, m, d := civilFromDays(it.day)
	return time.Date(y, m, d, minute/60, minute%60, 0, 0, it.c.Location)
}

// canJumpWeek reports whether the seven days from it.day are a plain week:
// no special day and no clock change, so they hold exactly weekTotal.
func (it *dayIter) canJumpWeek() bool {
	if !it.aligned || it.c.weekTotal == 0 {
		return false
	}
	if !it.zoneEnd.IsZero() && !it.mid.Add(8*24*time.Hour).Before(it.zoneEnd) {
		return false
	}
	c := it.c
	if c.denseSet != nil {
		lo, hi := it.day-c.denseFrom, it.day+7-c.denseFrom
		if hi <= 0 || lo >= len(c.denseSet) {
			return true
		}
		for i := max(lo, 0); i < min(hi, len(c.denseSet)); i++ {
			if c.denseSet[i] {
				return false
			}
		}
		return true
	}
	for d := it.day; d < it.day+7; d++ {
		if _, ok := c.special[d]; ok {
			return false
		}
	}
	return true
}

// jumpWeek moves seven days ahead; canJumpWeek must hold.
func (it *dayIter) jumpWeek() {
	it.day += 7
	it.mid = it.mid.Add(7 * 24 * time.Hour)
	it.following()
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
