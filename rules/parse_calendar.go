package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func (p *parser) calendars(n *yaml.Node, path string) {
	p.mapItems(n, path, func(k, v *yaml.Node, ip string) {
		c := &Calendar{Name: k.Value, special: map[int][]span{}, marks: map[int]dayMark{}}
		p.calNodes[k.Value] = k
		p.hand = map[int]handEntry{}
		var workdays, imports *yaml.Node
		seen := p.fields(v, ip, map[string]handler{
			"timezone": func(v *yaml.Node, path string) {
				s, ok := p.str(v, path)
				if !ok {
					return
				}
				loc, err := time.LoadLocation(s)
				if err != nil || strings.EqualFold(s, "local") {
					p.errf(v, path, "unknown time zone %q (use an IANA name such as Europe/Moscow)", s)
					return
				}
				c.Location = loc
			},
			"week": func(v *yaml.Node, path string) { p.week(c, v, path) },
			"holidays": func(v *yaml.Node, path string) {
				p.items(v, path, func(_ int, iv *yaml.Node, ip string) {
					s, ok := p.str(iv, ip)
					if !ok {
						return
					}
					from, to, err := parseDateRange(s)
					if err != nil {
						p.errf(iv, ip, "%s", err)
						return
					}
					for d := from; d <= to; d++ {
						p.special(c, iv, ip, d, nil, DayOff)
					}
				})
			},
			"shortened": func(v *yaml.Node, path string) {
				p.mapItems(v, path, func(dk, dv *yaml.Node, dp string) {
					day, err := parseDate(dk.Value)
					if err != nil {
						p.errf(dk, dp, "%s", err)
						return
					}
					if s, ok := p.str(dv, dp); ok {
						if spans, err := parseHours(s); err != nil {
							p.errf(dv, dp, "%s", err)
						} else {
							p.special(c, dk, dp, day, spans, ShortDay)
						}
					}
				})
			},
			"workdays": func(v *yaml.Node, path string) { workdays = v },
			"import":   func(v *yaml.Node, path string) { imports = v },
		})
		p.require(v, ip, seen, "timezone", "week")
		if workdays != nil {
			p.workdays(c, workdays, join(ip, "workdays"))
		}
		if imports != nil {
			p.imports(c, imports, join(ip, "import"))
		}
		if c.Location == nil {
			c.Location = time.UTC
		}
		c.always = isAlways(c)
		c.index()
		p.r.Calendars[k.Value] = c
	})
}

// special records a holiday, shortened or transferred day of the rules file
// once.
func (p *parser) special(c *Calendar, n *yaml.Node, path string, day int, spans []span, kind DayKind) {
	if _, dup := c.special[day]; dup {
		p.errf(n, path, "%s is listed twice (holidays, shortened and workdays must not overlap)", dayString(day))
		return
	}
	c.special[day] = spans
	c.marks[day] = dayMark{kind: kind, note: handNotes[kind]}
	p.hand[day] = handEntry{node: n, path: path, spans: spans}
	if day > c.dataEnd {
		c.dataEnd = day
	}
}

// workdays reads transferred working days: a list of dates worked with the
// hours of the week's first working day, or a mapping date: hours.
func (p *parser) workdays(c *Calendar, n *yaml.Node, path string) {
	def := c.firstWorkingHours()
	if n.Kind == yaml.MappingNode {
		p.mapItems(n, path, func(dk, dv *yaml.Node, dp string) {
			day, err := parseDate(dk.Value)
			if err != nil {
				p.errf(dk, dp, "%s", err)
				return
			}
			if s, ok := p.str(dv, dp); ok {
				if spans, err := parseHours(s); err != nil {
					p.errf(dv, dp, "%s", err)
				} else {
					p.special(c, dk, dp, day, spans, WorkingWeekend)
				}
			}
		})
		return
	}
	p.items(n, path, func(_ int, iv *yaml.Node, ip string) {
		if s, ok := p.str(iv, ip); ok {
			day, err := parseDate(s)
			if err != nil {
				p.errf(iv, ip, "%s", err)
				return
			}
			p.special(c, iv, ip, day, def, WorkingWeekend)
		}
	})
}

// week reads {mon-fri: "10:00-19:00", sat: "10:00-14:00"}.
func (p *parser) week(c *Calendar, n *yaml.Node, path string) {
	var set [7]bool
	p.mapItems(n, path, func(k, v *yaml.Node, ip string) {
		days, err := parseDays(k.Value)
		if err != nil {
			p.errf(k, ip, "%s", err)
			return
		}
		s, ok := p.str(v, ip)
		if !ok {
			return
		}
		spans, err := parseHours(s)
		if err != nil {
			p.errf(v, ip, "%s", err)
			return
		}
		for _, d := range days {
			if set[d] {
				p.errf(k, ip, "%s is given hours twice", d)
				continue
			}
			set[d] = true
			c.week[d] = spans
		}
	})
	if n.Kind == yaml.MappingNode {
		open := false
		for _, s := range c.week {
			open = open || len(s) > 0
		}
		if !open {
			p.errf(n, path, "the week has no working hours")
		}
	}
}

func isAlways(c *Calendar) bool {
	full := func(s []span) bool { return len(s) == 1 && s[0].from == 0 && s[0].to == 1440 }
	for _, s := range c.week {
		if !full(s) {
			return false
		}
	}
	for _, s := range c.special {
		if !full(s) {
			return false
		}
	}
	return true
}

// dayName reads a three-letter English day name.
func dayName(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()[:3]) {
			return d, true
		}
	}
	return 0, false
}

// parseDays reads "mon-fri", "sat", "mon,wed,fri" or "sat-sun".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, ok1 := dayName(strings.TrimSpace(from))
		b := a
		ok2 := true
		if isRange {
			b, ok2 = dayName(strings.TrimSpace(to))
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("bad days %q (use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri or lists like mon,wed)", s)
		}
		ia, ib := (int(a)+6)%7, (int(b)+6)%7 // Monday first
		if ib < ia {
			return nil, fmt.Errorf("bad days %q: a range runs forward from Monday to Sunday", s)
		}
		for i := ia; i <= ib; i++ {
			out = append(out, time.Weekday((i+1)%7))
		}
	}
	return out, nil
}

// parseHours reads "10:00-19:00" or "10:00-13:00, 14:00-19:00"; 24:00 ends a
// day; "closed" is a day without hours.
func parseHours(s string) ([]span, error) {
	if strings.TrimSpace(strings.ToLower(s)) == "closed" {
		return []span{}, nil
	}
	var out []span
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("bad time range %q (write 10:00-19:00)", strings.TrimSpace(part))
		}
		from, err1 := parseClock(a)
		to, err2 := parseClock(b)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad time range %q (write 10:00-19:00, times from 00:00 to 24:00)", strings.TrimSpace(part))
		}
		if to <= from {
			return nil, fmt.Errorf("bad time range %q: the end must be after the start", strings.TrimSpace(part))
		}
		if len(out) > 0 && from < out[len(out)-1].to {
			return nil, fmt.Errorf("bad time ranges %q: ranges must be in order and not overlap", s)
		}
		if len(out) > 0 && from == out[len(out)-1].to {
			out[len(out)-1].to = to
			continue
		}
		out = append(out, span{from, to})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(m) != 2 || len(h) == 0 || len(h) > 2 {
		return 0, fmt.Errorf("bad time")
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad time")
	}
	return hh*60 + mm, nil
}

func parseDate(s string) (int, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("bad date %q (write YYYY-MM-DD)", s)
	}
	return daysFromCivil(t.Date()), nil
}

// parseDateRange reads a date or a range FROM..TO.
func parseDateRange(s string) (int, int, error) {
	a, b, isRange := strings.Cut(s, "..")
	from, err := parseDate(a)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return from, from, nil
	}
	to, err := parseDate(b)
	if err != nil {
		return 0, 0, err
	}
	if to < from {
		return 0, 0, fmt.Errorf("bad date range %q: the end is before the start", s)
	}
	if to-from > 366 {
		return 0, 0, fmt.Errorf("bad date range %q: longer than a year", s)
	}
	return from, to, nil
}
