package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/rules"
)

const calendarUsage = `Usage:
  b24desk calendar show FILE.xml [--year Y]
  b24desk calendar show CALENDAR [--rules FILE | --config FILE] [--year Y]

show prints a year of a production calendar month by month (working days,
days off, shortened days, working hours) and then every date the holiday
data names, so that an admin can compare it with the decree.

FILE.xml is a production calendar file in the common XML format
(xmlcalendar, one year per file); its hours are those of the standard
40-hour week (8 hours a day, 7 on a shortened day), the figures decrees
state. CALENDAR is a calendar of the rules file (--rules, else the one the
config names) with its own working hours, imported files and hand entries
merged. --year defaults to the file's year, or to this year for a CALENDAR.

Examples:
  b24desk calendar show config/ru-2027.xml
  b24desk calendar show msk --rules config/rules.example.yaml --year 2027

Exit status: 0 shown, 2 bad command line, a file that cannot be read or is
invalid (FILE:LINE:COL: message), or an unknown calendar.
`

// cmdCalendar shows production calendars.
func cmdCalendar(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, calendarUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, calendarUsage)
		return exitOK
	case "show":
		return calendarShow(args[1:], stdout, stderr, clock.System{})
	}
	fmt.Fprintf(stderr, "b24desk calendar: unknown subcommand %q\n\n%s", args[0], calendarUsage)
	return exitUsage
}

func calendarShow(args []string, stdout, stderr io.Writer, clk clock.Clock) int {
	fs := flag.NewFlagSet("calendar show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below
	year := fs.Int("year", 0, "the year to show")
	rulesPath := fs.String("rules", "", "rules file (default: the one the config names)")
	cfgPath := fs.String("config", defaultConfigPath, "config file naming the rules file")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, calendarUsage)
		return exitOK
	}
	if err != nil || len(pos) != 1 {
		if err == nil {
			fmt.Fprintln(stderr, "b24desk calendar show: want exactly one FILE.xml or CALENDAR")
		}
		fmt.Fprintf(stderr, "\n%s", calendarUsage)
		return exitUsage
	}
	var cal *rules.Calendar
	label := "40-hour week"
	if strings.HasSuffix(strings.ToLower(pos[0]), ".xml") {
		f, code := readYearFile(pos[0], stderr)
		if f == nil {
			return code
		}
		if *year == 0 {
			*year = f.Year
		}
		if *year != f.Year {
			fmt.Fprintf(stderr, "b24desk calendar show: %s covers %d, not %d\n", pos[0], f.Year, *year)
			return exitUsage
		}
		cal = rules.FortyHourCalendar(f)
	} else {
		path := *rulesPath
		if path == "" {
			cfg, code := loadConfig(*cfgPath, stderr)
			if cfg == nil {
				return code
			}
			path = cfg.Rules.Path
		}
		r, code := loadRules(path, io.Discard, stderr, clk.Now())
		if r == nil {
			return code
		}
		if cal = r.Calendars[pos[0]]; cal == nil {
			fmt.Fprintf(stderr, "b24desk calendar show: %s has no calendar %q (it has: %s)\n", path, pos[0], strings.Join(calendarNames(r), ", "))
			return exitUsage
		}
		if *year == 0 {
			*year = clk.Now().In(cal.Location).Year()
		}
		label = cal.Location.String()
	}
	if *year < 1900 || *year > 9999 {
		fmt.Fprintf(stderr, "b24desk calendar show: --year %d is not a year\n", *year)
		return exitUsage
	}
	writeCalendarYear(stdout, cal, *year, label)
	return exitOK
}

// readYearFile reads a production calendar file; problems go to stderr.
func readYearFile(path string, stderr io.Writer) (*rules.YearFile, int) {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk calendar: %v\n", err)
		return nil, exitUsage
	}
	f, err := rules.ParseYearFile(path, data)
	var probs rules.Problems
	if errors.As(err, &probs) {
		for _, p := range probs {
			fmt.Fprintln(stderr, p.String())
		}
		fmt.Fprintf(stderr, "b24desk calendar: %s: %d problem(s)\n", path, len(probs))
		return nil, exitUsage
	}
	return f, exitOK
}

// calendarNames returns the rules' calendar names in order.
func calendarNames(r *rules.Rules) []string {
	names := make([]string, 0, len(r.Calendars))
	for n := range r.Calendars {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// writeCalendarYear prints the year's figures per month and the dates the
// holiday data names; label says whose hours they are.
func writeCalendarYear(w io.Writer, cal *rules.Calendar, year int, label string) {
	fmt.Fprintf(w, "%s (%s), %d: %s\n", cal.Name, label, year, calendarCoverage(cal))
	if end, ok := cal.HolidayDataEnd(); !ok || end.Year() < year {
		fmt.Fprintf(w, "warning: no holiday data for %d: every day is worked by the week's hours\n", year)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "month\tworking days\tdays off\tshortened\thours\t")
	var totWork, totOff, totShort int
	var totHours time.Duration
	var named []string
	for m := time.January; m <= time.December; m++ {
		var work, off, short int
		var hours time.Duration
		days := time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
		for d := 1; d <= days; d++ {
			info := cal.Day(year, m, d)
			if info.Working == 0 {
				off++
			} else {
				work++
				hours += info.Working
			}
			if info.Kind == rules.ShortDay && info.Working > 0 {
				short++
			}
			if info.Kind != 0 {
				named = append(named, namedDay(year, m, d, info))
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", m, work, off, short, hoursText(hours))
		totWork, totOff, totShort, totHours = totWork+work, totOff+off, totShort+short, totHours+hours
	}
	fmt.Fprintf(tw, "year\t%d\t%d\t%d\t%s\t\n", totWork, totOff, totShort, hoursText(totHours))
	_ = tw.Flush()
	if len(named) == 0 {
		return
	}
	fmt.Fprintln(w, "\nDates the holiday data names:")
	for _, s := range named {
		fmt.Fprintln(w, s)
	}
}

func namedDay(year int, m time.Month, d int, info rules.DayInfo) string {
	t := time.Date(year, m, d, 0, 0, 0, 0, time.UTC)
	work := "day off"
	if info.Working > 0 {
		work = hoursText(info.Working) + " h"
	}
	return fmt.Sprintf("  %s %s  %-8s %s", t.Format("2006-01-02"), t.Format("Mon"), work, info.Note)
}

// hoursText prints a duration in hours: 135, or 7.5.
func hoursText(d time.Duration) string {
	return strconv.FormatFloat(d.Hours(), 'f', -1, 64)
}

// calendarCoverage says how far a calendar's holiday data reaches and from
// which files: what `rules check` and `calendar show` print.
func calendarCoverage(cal *rules.Calendar) string {
	end, ok := cal.HolidayDataEnd()
	if !ok {
		if cal.AlwaysOpen() {
			return "open 24/7, no holiday data needed"
		}
		return "no holiday data: every day is worked by the week's hours"
	}
	s := "holiday data covers to " + end.Format("2006-01-02")
	if len(cal.Imports) == 0 {
		return s + " (listed in the rules file)"
	}
	files := make([]string, len(cal.Imports))
	for i, f := range cal.Imports {
		files[i] = fmt.Sprintf("%s (%d, file dated %s)", f.File, f.Year, f.Made.Format("2006-01-02"))
	}
	return s + " from " + strings.Join(files, ", ")
}

// writeCoverage prints each calendar's coverage, for `rules check`.
func writeCoverage(w io.Writer, r *rules.Rules) {
	for _, n := range calendarNames(r) {
		fmt.Fprintf(w, "calendar %s: %s\n", n, calendarCoverage(r.Calendars[n]))
	}
}
