package sla

import "time"

// FormatTime formats a time for the portal: seconds and an explicit offset,
// in loc when it is not nil; the zero time is an empty string (clears a
// date field).
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}
