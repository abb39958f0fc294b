package rules

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
)

// CalendarImport is one production calendar file a calendar imports.
type CalendarImport struct {
	// File is the file as the rules name it.
	File string
	// Path is where it was read: beside the rules file.
	Path string
	// Year is the year the file covers.
	Year int
	// Made is the file's own date.
	Made time.Time
}

// ImportedFiles returns the paths of the production calendar files the
// calendars import, sorted, each once: a daemon watches them with the rules
// file.
func (r *Rules) ImportedFiles() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Calendars {
		for _, im := range c.Imports {
			if !seen[im.Path] {
				seen[im.Path] = true
				out = append(out, im.Path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// dayMark says what kind of special day a date is and where that comes
// from, for `calendar show`.
type dayMark struct {
	kind DayKind
	note string
}

var handNotes = map[DayKind]string{
	DayOff:         "day off (rules file)",
	ShortDay:       "shortened (rules file)",
	WorkingWeekend: "working day (rules file)",
}

// handEntry is where the rules file lists a special day by hand.
type handEntry struct {
	node  *yaml.Node
	path  string
	spans []span
}

// fileReader reads a file an import names, relative to the rules file; it
// returns the name to use in positions.
type fileReader func(name string) (string, []byte, error)

// diskReader resolves imports beside the rules file at rulesPath.
func diskReader(rulesPath string) fileReader {
	return func(name string) (string, []byte, error) {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(rulesPath), filepath.FromSlash(name))
		}
		data, err := readSmall(p)
		return p, data, err
	}
}

// maxImportBytes bounds a production calendar file (a year is about 2 KB).
const maxImportBytes = 1 << 20

// readSmall reads a regular file of at most maxImportBytes.
func readSmall(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
	if err == nil && len(data) > maxImportBytes {
		err = fmt.Errorf("larger than %d bytes", maxImportBytes)
	}
	return data, err
}

// fsReader resolves imports beside the rules file at rulesPath in fsys.
func fsReader(fsys fs.FS, rulesPath string) fileReader {
	return func(name string) (string, []byte, error) {
		p := path.Join(path.Dir(rulesPath), name)
		if !fs.ValidPath(p) {
			return name, nil, fmt.Errorf("%q is not a path inside the rules' folder", name)
		}
		data, err := fs.ReadFile(fsys, p)
		return p, data, err
	}
}

// imports merges production calendar files into a calendar after its hand
// entries: a date the rules list by hand keeps the hand entry, and a
// warning names both positions when the two differ.
func (p *parser) imports(c *Calendar, n *yaml.Node, path string) {
	nodes, names := p.strs(n, path)
	years := map[int]string{}
	for i, name := range names {
		ip := path
		if n.Kind == yaml.SequenceNode {
			ip = index(path, i)
		}
		disp, data, err := p.read(name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				err = fs.ErrNotExist
			}
			p.errf(nodes[i], ip, "cannot read %s: %v", disp, err)
			continue
		}
		f, err := ParseYearFile(disp, data)
		if err != nil {
			var probs Problems
			errors.As(err, &probs)
			p.probs = append(p.probs, probs...)
			p.errf(nodes[i], ip, "%s is not a valid production calendar file (%d problem(s))", disp, len(probs))
			continue
		}
		if prev, dup := years[f.Year]; dup {
			p.errf(nodes[i], ip, "%s covers %d, like %s before it", disp, f.Year, prev)
			continue
		}
		years[f.Year] = disp
		c.Imports = append(c.Imports, CalendarImport{File: name, Path: disp, Year: f.Year, Made: f.Made})
		p.mergeYear(c, f)
	}
	sort.Slice(c.Imports, func(i, j int) bool { return c.Imports[i].Year < c.Imports[j].Year })
	for i := 1; i < len(c.Imports); i++ {
		if a, b := c.Imports[i-1].Year, c.Imports[i].Year; b != a+1 {
			p.warnf(n, path, "no file for %d: between %d and %d the calendar counts every weekday as working", a+1, a, b)
		}
	}
}

// mergeYear adds a file's days to the calendar; the year counts as data up
// to its 31 December.
func (p *parser) mergeYear(c *Calendar, f *YearFile) {
	for _, d := range f.Days {
		day := d.dayNum(f.Year)
		spans := c.importedHours(day, d.Kind)
		if h, ok := p.hand[day]; ok {
			if !sameSpans(h.spans, spans) {
				p.warnf(h.node, h.path, "%s: this entry wins over %s:%d:%d (%s)", dayString(day), f.File, d.Line, d.Col, d.Note())
			}
			continue
		}
		c.special[day] = spans
		c.marks[day] = dayMark{kind: d.Kind, note: d.Note()}
	}
	if end := daysFromCivil(f.Year, time.December, 31); end > c.dataEnd {
		c.dataEnd = end
	}
}

// importedHours returns a file's day as working intervals: none for a day
// off; the day's hours (or, on a weekend, those of the week's first working
// day) for a working weekend day; the same one hour shorter for a
// shortened day.
func (c *Calendar) importedHours(day int, kind DayKind) []span {
	if kind == DayOff {
		return nil
	}
	base := c.week[weekdayOf(day)]
	if len(base) == 0 {
		base = c.firstWorkingHours()
	}
	out := append([]span(nil), base...)
	if kind != ShortDay {
		return out
	}
	cut := 60
	for len(out) > 0 && cut > 0 {
		last := &out[len(out)-1]
		if n := last.to - last.from; n > cut {
			last.to -= cut
			cut = 0
		} else {
			cut -= n
			out = out[:len(out)-1]
		}
	}
	return out
}

// firstWorkingHours returns the hours of the week's first working day from
// Monday: what a transferred working day works.
func (c *Calendar) firstWorkingHours() []span {
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if len(c.week[d]) > 0 {
			return c.week[d]
		}
	}
	return nil
}

func sameSpans(a, b []span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dayString(day int) string {
	y, m, d := civilFromDays(day)
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}
