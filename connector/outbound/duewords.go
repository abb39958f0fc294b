package outbound

import (
	"fmt"
	"time"
)

var (
	weekdaysGenitive = [7]string{"воскресенья", "понедельника", "вторника", "среды", "четверга", "пятницы", "субботы"}
	monthsGenitive   = [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля",
		"августа", "сентября", "октября", "ноября", "декабря"}
)

// DueWords says a due time the way a customer reads it, in Russian and in
// loc: "до 15:00 вторника, 10 марта" ("до 15:00 сегодня" and "до 15:00
// завтра" for the next two days; the year is added when it differs from
// now's). A zero time gives "".
func DueWords(due, now time.Time, loc *time.Location) string {
	if due.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	d, n := due.In(loc), now.In(loc)
	clock := d.Format("15:04")
	dy, dm, dd := d.Date()
	ny, nm, nd := n.Date()
	today := time.Date(ny, nm, nd, 0, 0, 0, 0, loc)
	switch time.Date(dy, dm, dd, 0, 0, 0, 0, loc) {
	case today:
		return "до " + clock + " сегодня"
	case today.AddDate(0, 0, 1):
		return "до " + clock + " завтра"
	}
	s := fmt.Sprintf("до %s %s, %d %s", clock, weekdaysGenitive[d.Weekday()], dd, monthsGenitive[dm-1])
	if dy != ny {
		s += fmt.Sprintf(" %d года", dy)
	}
	return s
}
