package rules

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// DayKind is what a production calendar file says about a date.
type DayKind int

// The day kinds of the xmlcalendar format (attribute t).
const (
	// DayOff is a holiday or a transferred day off (t="1").
	DayOff DayKind = 1
	// ShortDay is a working day one hour shorter, before a holiday (t="2").
	ShortDay DayKind = 2
	// WorkingWeekend is a Saturday or Sunday worked (t="3").
	WorkingWeekend DayKind = 3
)

// YearFile is one year of a production calendar in the common xmlcalendar
// format (<calendar year date><holidays/><days/></calendar>) that Russian
// accounting and HR software exchange.
type YearFile struct {
	// File is the name used in positions.
	File string
	// Year is the year the file covers.
	Year int
	// Made is the file's own date (attribute date).
	Made time.Time
	// Days are the file's day entries in file order.
	Days []YearDay
}

// YearDay is one <day> entry of a YearFile.
type YearDay struct {
	Month time.Month
	Day   int
	Kind  DayKind
	// Holiday is the holiday's title (attribute h), empty for none.
	Holiday string
	// From is the date a transferred day off was moved from (attribute f,
	// MM.DD as written), empty for none.
	From string
	// Line and Col are where the entry starts in the file.
	Line, Col int
}

// dayNum returns the entry's day number in the year.
func (d YearDay) dayNum(year int) int { return daysFromCivil(year, d.Month, d.Day) }

// Note describes the day in words, for `calendar show` and messages.
func (d YearDay) Note() string {
	switch {
	case d.Kind == DayOff && d.Holiday != "":
		return "holiday: " + d.Holiday
	case d.Kind == DayOff && d.From != "":
		return "day off moved from " + d.From
	case d.Kind == DayOff:
		return "day off"
	case d.Kind == ShortDay:
		return "shortened by one hour"
	}
	return "working weekend day"
}

// ParseYearFile reads a production calendar file. A malformed file returns
// Problems naming file:line:col.
func ParseYearFile(name string, data []byte) (*YearFile, error) {
	x := &xmlReader{file: name, dec: xml.NewDecoder(bytes.NewReader(data)), out: &YearFile{File: name}}
	x.read()
	if len(x.probs) > 0 {
		sortProblems(x.probs)
		return nil, Problems(x.probs)
	}
	return x.out, nil
}

// xmlReader walks the file's tokens, keeping the position of each element.
type xmlReader struct {
	file      string
	dec       *xml.Decoder
	out       *YearFile
	probs     []Problem
	line, col int // where the last returned token starts
}

func (x *xmlReader) errf(line, col int, format string, args ...any) {
	line, col = max(line, 1), max(col, 1) // the decoder may stop before a line's first column
	x.probs = append(x.probs, Problem{File: x.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// next returns the next start or end element, skipping text, comments and
// processing instructions; io.EOF at the end. A syntax error is recorded.
func (x *xmlReader) next() (xml.Token, error) {
	for {
		x.line, x.col = x.dec.InputPos()
		tok, err := x.dec.Token()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			x.syntax(err)
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement, xml.EndElement:
			return t, nil
		case xml.CharData:
			if s := strings.TrimSpace(string(t)); s != "" {
				x.errf(x.line, x.col, "unexpected text %q", clip(s, 40))
			}
		}
	}
}

// skip reads to the end of the element just started; false (with the
// problem recorded) on a syntax error.
func (x *xmlReader) skip() bool {
	if err := x.dec.Skip(); err != nil {
		x.syntax(err)
		return false
	}
	return true
}

// syntax records a decoder error at the position the decoder stopped.
func (x *xmlReader) syntax(err error) {
	line, col := x.dec.InputPos()
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	x.errf(line, col, "invalid XML: %s", msg)
}

func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// read reads <calendar year date> and its sections.
func (x *xmlReader) read() {
	tok, err := x.next()
	if errors.Is(err, io.EOF) {
		if len(x.probs) == 0 {
			x.errf(1, 1, "the file is empty (want a <calendar> element)")
		}
		return
	}
	if err != nil {
		return
	}
	root, ok := tok.(xml.StartElement)
	if !ok || root.Name.Local != "calendar" {
		x.errf(x.line, x.col, "want a <calendar> element first")
		return
	}
	rl, rc := x.line, x.col
	if s, ok := attr(root, "year"); !ok {
		x.errf(rl, rc, "<calendar> has no year attribute")
	} else if y, err := strconv.Atoi(s); err != nil || len(s) != 4 {
		x.errf(rl, rc, "<calendar> year %q is not a year like 2027", s)
	} else {
		x.out.Year = y
	}
	if s, ok := attr(root, "date"); !ok {
		x.errf(rl, rc, "<calendar> has no date attribute (the date the file was made, YYYY.MM.DD)")
	} else if t, err := time.Parse("2006.01.02", s); err != nil {
		x.errf(rl, rc, "<calendar> date %q is not a date like 2026.09.02", s)
	} else {
		x.out.Made = t
	}
	holidays := map[string]string{}
	var hdays []int // indexes of days naming a holiday, resolved at the end
	for {
		tok, err := x.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				x.errf(x.line, x.col, "the file ends inside <calendar>")
			}
			return
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			break // </calendar>
		}
		switch se.Name.Local {
		case "holidays":
			if !x.children("holiday", func(se xml.StartElement) {
				id, _ := attr(se, "id")
				title, _ := attr(se, "title")
				if id == "" {
					x.errf(x.line, x.col, "<holiday> has no id")
					return
				}
				holidays[id] = title
			}) {
				return
			}
		case "days":
			if !x.children("day", func(se xml.StartElement) {
				if d, ok := x.day(se); ok {
					if d.Holiday != "" {
						hdays = append(hdays, len(x.out.Days))
					}
					x.out.Days = append(x.out.Days, d)
				}
			}) {
				return
			}
		default:
			x.errf(x.line, x.col, "unknown element <%s> in <calendar> (known: holidays, days)", se.Name.Local)
			if !x.skip() {
				return
			}
		}
	}
	for _, i := range hdays {
		d := &x.out.Days[i]
		title, ok := holidays[d.Holiday]
		if !ok {
			x.errf(d.Line, d.Col, "<day> names holiday %q, which <holidays> does not list", d.Holiday)
			continue
		}
		if title == "" {
			title = "holiday " + d.Holiday
		}
		d.Holiday = title
	}
	x.checkDays()
}

// children reads the elements of a section, each of the one known name,
// up to the section's end; false on a syntax error.
func (x *xmlReader) children(name string, f func(xml.StartElement)) bool {
	for {
		tok, err := x.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				x.errf(x.line, x.col, "the file ends inside a section")
			}
			return false
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			return true
		}
		if se.Name.Local != name {
			x.errf(x.line, x.col, "unknown element <%s> (want <%s>)", se.Name.Local, name)
		} else {
			f(se)
		}
		if !x.skip() {
			return false
		}
	}
}

// day reads <day d="MM.DD" t="1|2|3" h f>.
func (x *xmlReader) day(se xml.StartElement) (YearDay, bool) {
	d := YearDay{Line: x.line, Col: x.col}
	ok := true
	ds, _ := attr(se, "d")
	m, dd, err := monthDay(ds, x.out.Year)
	if err != nil {
		x.errf(d.Line, d.Col, "<day> d=%q: %s", ds, err)
		ok = false
	}
	d.Month, d.Day = m, dd
	switch ts, _ := attr(se, "t"); ts {
	case "1":
		d.Kind = DayOff
	case "2":
		d.Kind = ShortDay
	case "3":
		d.Kind = WorkingWeekend
	default:
		x.errf(d.Line, d.Col, "<day> t=%q: want 1 (day off), 2 (shortened) or 3 (working weekend day)", ts)
		ok = false
	}
	d.Holiday, _ = attr(se, "h")
	if f, has := attr(se, "f"); has {
		if _, _, err := monthDay(f, x.out.Year); err != nil {
			x.errf(d.Line, d.Col, "<day> f=%q: %s", f, err)
			ok = false
		}
		d.From = f
	}
	return d, ok
}

// monthDay reads MM.DD, a real date of the year (0: check the format only).
func monthDay(s string, year int) (time.Month, int, error) {
	ms, ds, found := strings.Cut(s, ".")
	m, err1 := strconv.Atoi(ms)
	d, err2 := strconv.Atoi(ds)
	if !found || len(ms) != 2 || len(ds) != 2 || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("want a date MM.DD")
	}
	if year == 0 {
		year = 2000 // a leap year: 02.29 passes the format check
	}
	t := time.Date(year, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d {
		return 0, 0, fmt.Errorf("no such date in %d", year)
	}
	return time.Month(m), d, nil
}

// checkDays reports a date listed twice and kinds that contradict the
// weekday: a working weekend day on a weekday.
func (x *xmlReader) checkDays() {
	if x.out.Year == 0 {
		return
	}
	seen := map[int]YearDay{}
	for _, d := range x.out.Days {
		n := d.dayNum(x.out.Year)
		if prev, dup := seen[n]; dup {
			x.errf(d.Line, d.Col, "%02d.%02d is listed twice (first at line %d)", d.Month, d.Day, prev.Line)
			continue
		}
		seen[n] = d
		if wd := weekdayOf(n); d.Kind == WorkingWeekend && wd != time.Saturday && wd != time.Sunday {
			x.errf(d.Line, d.Col, "%02d.%02d is a %s: t=\"3\" marks a working Saturday or Sunday", d.Month, d.Day, wd)
		}
	}
}
