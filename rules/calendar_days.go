package rules

import "time"

// DayInfo is one date of a calendar as an admin compares it with the
// decree.
type DayInfo struct {
	// Working is the day's working time (0: a day off).
	Working time.Duration
	// Kind is what the holiday data says about the day; 0 for a day the
	// data does not name (working or not by the week).
	Kind DayKind
	// Note says where the kind comes from: the holiday's title, "day off
	// moved from MM.DD", or "(rules file)" for a hand entry.
	Note string
}

// Day describes the calendar's date y-m-d.
func (c *Calendar) Day(y int, m time.Month, d int) DayInfo {
	day := daysFromCivil(y, m, d)
	var info DayInfo
	for _, sp := range c.hoursOf(day) {
		info.Working += time.Duration(sp.to-sp.from) * time.Minute
	}
	if mk, ok := c.marks[day]; ok {
		info.Kind, info.Note = mk.kind, mk.note
	}
	return info
}

// FortyHourCalendar returns a calendar of a production calendar file on
// the standard five-day 40-hour week (8 hours Monday to Friday): the week
// decrees state their working-time figures for.
func FortyHourCalendar(f *YearFile) *Calendar {
	c := &Calendar{Name: f.File, Location: time.UTC, special: map[int][]span{}, marks: map[int]dayMark{}}
	for d := time.Monday; d <= time.Friday; d++ {
		c.week[d] = []span{{9 * 60, 17 * 60}}
	}
	c.Imports = []CalendarImport{{File: f.File, Year: f.Year, Made: f.Made}}
	p := &parser{hand: map[int]handEntry{}}
	p.mergeYear(c, f)
	c.index()
	return c
}
