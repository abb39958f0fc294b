package sla

import (
	"sync"
	"time"

	"github.com/b24desk/b24desk/rules"
)

// pastData remembers, per calendar, the last local day on which an SLA
// computed past the calendar's holiday data was reported, so that the log
// line and the metric come once per calendar and day, not once per ticket.
type pastData struct {
	mu   sync.Mutex
	last map[string]string // calendar name → "2006-01-02" last reported
}

// first reports whether this is the first report for the calendar on the
// local day of now.
func (p *pastData) first(cal *rules.Calendar, now time.Time) bool {
	day := now.In(cal.Location).Format("2006-01-02")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		p.last = map[string]string{}
	}
	if p.last[cal.Name] == day {
		return false
	}
	p.last[cal.Name] = day
	return true
}

// notePastData logs and counts a schedule computed past the end of the
// policy's calendar data, once per calendar and day.
func (c *Clock) notePastData(p *rules.Policy, leadID int64, now time.Time) {
	if !c.past.first(p.Calendar, now) {
		return
	}
	end, _ := p.Calendar.HolidayDataEnd()
	c.o.Metrics.PastCalendarData(p.Calendar.Name)
	c.log.Warn().Str("calendar", p.Calendar.Name).Str("data_end", end.Format("2006-01-02")).
		Str("policy", p.Name).Int64("lead", leadID).
		Msg("SLA deadline computed past the calendar's holiday data: every later weekday counts as working; add the next year's production calendar to the rules")
}
