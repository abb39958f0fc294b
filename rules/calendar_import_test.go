package rules

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// exampleFS holds the default rules and the files they import, as
// config embeds them; extra files are added by name.
func exampleFS(t testing.TB, extra map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"rules.example.yaml", "ru-2026.xml", "ru-2027.xml"} {
		data, err := os.ReadFile("../config/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	for name, text := range extra {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

// parseFS parses name from fsys and fails the test on problems.
func parseFS(t testing.TB, fsys fstest.MapFS, name string) (*Rules, []Warning) {
	t.Helper()
	r, warns, err := ParseFS(fsys, name, time.Time{})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return r, warns
}

// TestImported2026MatchesHandLists: the default rules importing only
// ru-2026.xml give exactly the deadlines and step times of the default
// rules as they were with the hand-carried 2026 lists, for every policy and
// target, starting at several times of every day of 2026; with both years
// imported they agree wherever the old schedule stays inside 2026.
func TestImported2026MatchesHandLists(t *testing.T) {
	t.Parallel()
	old, _, err := Load("testdata/calendars/rules-2026-hand.yaml", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	fsys := exampleFS(t, nil)
	src := string(fsys["rules.example.yaml"].Data)
	if !strings.Contains(src, "import: [ru-2026.xml, ru-2027.xml]") {
		t.Fatal("the default rules no longer import both years")
	}
	fsys["only2026.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(src, "import: [ru-2026.xml, ru-2027.xml]", "import: [ru-2026.xml]", 1))}
	only2026, _ := parseFS(t, fsys, "only2026.yaml")
	both, _ := parseFS(t, fsys, "rules.example.yaml")

	oldMsk, newMsk := old.Calendars["msk"], only2026.Calendars["msk"]
	for d := 0; d < 365; d++ {
		day := time.Date(2026, 1, 1+d, 0, 0, 0, 0, time.UTC)
		if a, b := oldMsk.Day(day.Date()), newMsk.Day(day.Date()); a.Working != b.Working {
			t.Errorf("%s: hand lists work %s, imported file %s", day.Format("2006-01-02"), a.Working, b.Working)
		}
	}
	// Before opening, at opening, midday, before and after a shortened
	// day's close, at closing.
	clocks := []string{"00:00", "10:00", "13:37", "17:45", "18:30", "19:00"}
	compared, withinData := 0, 0
	for _, p := range old.SLA {
		pNew, pBoth := only2026.PolicyByName(p.Name), both.PolicyByName(p.Name)
		for d := 0; d < 365; d++ {
			for _, hm := range clocks {
				start, err := time.ParseInLocation("2006-01-02 15:04", time.Date(2026, 1, 1+d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")+" "+hm, oldMsk.Location)
				if err != nil {
					t.Fatal(err)
				}
				tl := Timeline{Created: start, CustomerReply: start.Add(3 * time.Hour)}
				want := p.Schedule(tl)
				if len(want.Targets) < 2 {
					t.Fatalf("%s: only %d targets", p.Name, len(want.Targets))
				}
				if got := pNew.Schedule(tl); !sameSchedule(got, want) {
					t.Fatalf("%s from %s: imported 2026 gives %+v, hand lists %+v", p.Name, start, got, want)
				}
				compared++
				if scheduleEnd(want).Year() == 2026 {
					withinData++
					if got := pBoth.Schedule(tl); !sameSchedule(got, want) {
						t.Fatalf("%s from %s: default rules give %+v, hand lists %+v", p.Name, start, got, want)
					}
				}
			}
		}
	}
	if compared != 6*365*len(clocks) || withinData < compared/2 {
		t.Fatalf("compared %d schedules, %d inside 2026", compared, withinData)
	}
}

func sameSchedule(a, b Schedule) bool {
	if a.Policy != b.Policy || len(a.Targets) != len(b.Targets) {
		return false
	}
	for i := range a.Targets {
		x, y := a.Targets[i], b.Targets[i]
		if x.Target != y.Target || !x.Due.Equal(y.Due) || len(x.Steps) != len(y.Steps) {
			return false
		}
		for j := range x.Steps {
			if x.Steps[j].ID != y.Steps[j].ID || !x.Steps[j].FireAt.Equal(y.Steps[j].FireAt) {
				return false
			}
		}
	}
	return true
}

// scheduleEnd returns the latest deadline or step time, in Moscow.
func scheduleEnd(s Schedule) time.Time {
	var end time.Time
	for _, ts := range s.Targets {
		if ts.Due.After(end) {
			end = ts.Due
		}
		for _, st := range ts.Steps {
			if st.FireAt.After(end) {
				end = st.FireAt
			}
		}
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	return end.In(msk)
}

// Test2027: the 2027 file's transfers on the default msk calendar (Moscow
// 10:00-19:00 on weekdays): the working shortened Saturday 20 February, the
// day off on Monday 22 February, 3-5 November.
func Test2027(t *testing.T) {
	r, _ := parseFS(t, exampleFS(t, nil), "rules.example.yaml")
	msk := r.Calendars["msk"]
	add := []struct {
		name, start string
		d           time.Duration
		want        string
	}{
		{"friday evening into the working saturday", "2027-02-19T18:00:00+03:00", 2 * time.Hour, "2027-02-20T11:00:00+03:00"},
		{"the saturday closes at 18:00, then 22-23 February off", "2027-02-20T17:30:00+03:00", time.Hour, "2027-02-24T10:30:00+03:00"},
		{"monday 22 february is off", "2027-02-22T12:00:00+03:00", 2 * time.Hour, "2027-02-24T12:00:00+03:00"},
		{"3 november shortened, 4-7 off", "2027-11-03T17:00:00+03:00", 2 * time.Hour, "2027-11-08T11:00:00+03:00"},
		{"friday 5 november is off", "2027-11-05T11:00:00+03:00", time.Hour, "2027-11-08T11:00:00+03:00"},
	}
	for _, tt := range add {
		start := mustTime(t, tt.start)
		if got := msk.Add(start, tt.d); !got.Equal(mustTime(t, tt.want)) {
			t.Errorf("%s: Add(%s, %s) = %s, want %s", tt.name, tt.start, tt.d, got.Format(time.RFC3339), tt.want)
		}
	}
	days := []struct {
		name, start string
		n           int
		want        string
	}{
		{"1wd from friday 19 february lands on the saturday", "2027-02-19T15:00:00+03:00", 1, "2027-02-20T15:00:00+03:00"},
		{"the saturday is an hour shorter", "2027-02-19T18:30:00+03:00", 1, "2027-02-20T18:00:00+03:00"},
		{"3wd across 22-23 february", "2027-02-19T15:00:00+03:00", 3, "2027-02-25T15:00:00+03:00"},
		{"3wd across 4-5 november", "2027-11-02T12:00:00+03:00", 3, "2027-11-09T12:00:00+03:00"},
	}
	for _, tt := range days {
		if got := msk.AddWorkingDays(mustTime(t, tt.start), tt.n); !got.Equal(mustTime(t, tt.want)) {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %s, want %s", tt.name, tt.start, tt.n, got.Format(time.RFC3339), tt.want)
		}
	}
	// The default policies on these days: partner (first response 5h,
	// resolution 5wd) from the Friday before the working Saturday.
	s := r.PolicyByName("partner").Schedule(Timeline{Created: mustTime(t, "2027-02-19T16:00:00+03:00")})
	want := map[Target]string{FirstResponse: "2027-02-20T12:00:00+03:00", Resolution: "2027-03-01T16:00:00+03:00"}
	for _, ts := range s.Targets {
		if !ts.Due.Equal(mustTime(t, want[ts.Target])) {
			t.Errorf("partner %s due %s, want %s", ts.Target, ts.Due.Format(time.RFC3339), want[ts.Target])
		}
	}
	if s.PastDataEnd {
		t.Error("a February 2027 schedule is inside the data")
	}
	info := msk.Day(2027, time.February, 20)
	if info.Working != 8*time.Hour || info.Kind != ShortDay {
		t.Errorf("20 February 2027: %+v, want 8h of work, shortened", info)
	}
}

// TestPastDataEnd: a schedule reaching past 31 December 2027 says so; a
// 24/7 calendar has no holiday data to run out of.
func TestPastDataEnd(t *testing.T) {
	r, _ := parseFS(t, exampleFS(t, nil), "rules.example.yaml")
	late := Timeline{Created: mustTime(t, "2027-12-27T12:00:00+03:00")}
	if s := r.PolicyByName("prospect").Schedule(late); !s.PastDataEnd {
		t.Error("a 10wd resolution from 27 December 2027 ends in 2028: want PastDataEnd")
	}
	if s := r.PolicyByName("special 24/7").Schedule(late); s.PastDataEnd {
		t.Error("the 24/7 calendar has no holiday data: never past its end")
	}
	if s := r.PolicyByName("prospect").Schedule(Timeline{Created: mustTime(t, "2027-06-01T12:00:00+03:00")}); s.PastDataEnd {
		t.Error("June 2027 is inside the data")
	}
	end, ok := r.Calendars["msk"].HolidayDataEnd()
	if !ok || end.Format("2006-01-02") != "2027-12-31" {
		t.Errorf("data end %s %v, want 2027-12-31", end, ok)
	}
	if got := r.Calendars["msk"].Imports; len(got) != 2 || got[1].Year != 2027 || got[1].Made.Format("2006-01-02") != "2026-09-02" {
		t.Errorf("imports %+v", got)
	}
}

// importRules is a rules file with calendar c importing files and hand
// entries.
func importRules(cal string) string {
	return minimal + "calendars:\n  c:\n    timezone: Europe/Moscow\n    week: {mon-fri: \"10:00-19:00\"}\n" + cal
}

func TestImportConflictsAndErrors(t *testing.T) {
	tests := []struct {
		name   string
		cal    string
		probs  []string
		warns  []string
		verify func(t *testing.T, c *Calendar)
	}{
		{
			name: "a differing hand entry wins and is reported with both positions",
			cal:  "    import: [ru-2027.xml]\n    workdays: [2027-11-05]\n    holidays: [2027-11-03]\n",
			warns: []string{
				"r.yaml:9:16: calendars.c.workdays[0]: 2027-11-05: this entry wins over ru-2027.xml:36:9 (day off moved from 01.02)",
				"r.yaml:10:16: calendars.c.holidays[0]: 2027-11-03: this entry wins over ru-2027.xml:34:9 (shortened by one hour)",
			},
			verify: func(t *testing.T, c *Calendar) {
				if c.Day(2027, time.November, 5).Working != 9*time.Hour || c.Day(2027, time.November, 3).Working != 0 {
					t.Error("the hand entries did not win")
				}
			},
		},
		{
			name: "a hand entry that agrees is no conflict",
			cal:  "    import: [ru-2027.xml]\n    holidays: [2027-11-04..2027-11-05]\n    shortened: {2027-11-03: \"10:00-18:00\"}\n",
		},
		{
			name:  "the same year twice",
			cal:   "    import: [ru-2027.xml, again.xml]\n",
			probs: []string{"r.yaml:8:27: calendars.c.import[1]: again.xml covers 2027, like ru-2027.xml before it"},
		},
		{
			name:  "a missing file",
			cal:   "    import: [ru-2028.xml]\n",
			probs: []string{"r.yaml:8:14: calendars.c.import[0]: cannot read ru-2028.xml: file does not exist"},
		},
		{
			name: "a malformed file: its own positions and the import's",
			cal:  "    import: [bad.xml]\n",
			probs: []string{
				"bad.xml:3:5: <day> t=\"4\": want 1 (day off), 2 (shortened) or 3 (working weekend day)",
				"r.yaml:8:14: calendars.c.import[0]: bad.xml is not a valid production calendar file (1 problem(s))",
			},
		},
		{
			name:  "a year missing between two",
			cal:   "    import: [ru-2027.xml, y2029.xml]\n",
			warns: []string{"r.yaml:8:13: calendars.c.import: no file for 2028: between 2027 and 2029 the calendar counts every weekday as working"},
		},
		{
			name: "a single file as a value",
			cal:  "    import: ru-2026.xml\n",
			verify: func(t *testing.T, c *Calendar) {
				if end, _ := c.HolidayDataEnd(); end.Format("2006-01-02") != "2026-12-31" {
					t.Errorf("data end %s", end)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := exampleFS(t, map[string]string{
				"r.yaml":    importRules(tt.cal),
				"again.xml": string(exampleFS(t, nil)["ru-2027.xml"].Data),
				"bad.xml":   "<calendar year=\"2027\" date=\"2026.09.02\"><days>\n\n    <day d=\"01.01\" t=\"4\"/>\n</days></calendar>\n",
				"y2029.xml": "<calendar year=\"2029\" date=\"2028.09.01\"><days/></calendar>",
			})
			r, warns, err := ParseFS(fsys, "r.yaml", time.Time{})
			var probs Problems
			if err != nil && !errors.As(err, &probs) {
				t.Fatal(err)
			}
			if got := problemStrings(probs); strings.Join(got, "\n") != strings.Join(tt.probs, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.probs, "\n"))
			}
			if got := problemStrings(warns); strings.Join(got, "\n") != strings.Join(tt.warns, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.warns, "\n"))
			}
			if tt.verify != nil && r != nil {
				tt.verify(t, r.Calendars["c"])
			}
		})
	}
}

func problemStrings(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// TestYearFileProblems: malformed files give file:line:col.
func TestYearFileProblems(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"f.xml:1:1: the file is empty (want a <calendar> element)"}},
		{"not xml", "hello", []string{"f.xml:1:1: unexpected text \"hello\""}},
		{"wrong root", "<?xml version=\"1.0\"?>\n<year/>", []string{"f.xml:2:1: want a <calendar> element first"}},
		{"no year, no date", "<calendar>\n</calendar>", []string{
			"f.xml:1:1: <calendar> has no year attribute",
			"f.xml:1:1: <calendar> has no date attribute (the date the file was made, YYYY.MM.DD)",
		}},
		{"bad year and date", `<calendar year="27" date="2026-09-02"/>`, []string{
			"f.xml:1:1: <calendar> year \"27\" is not a year like 2027",
			"f.xml:1:1: <calendar> date \"2026-09-02\" is not a date like 2026.09.02",
		}},
		{"unclosed element", "<calendar year=\"2027\" date=\"2026.09.02\">\n  <days>\n    <day d=\"01.01\" t=\"1\">\n  </days>", []string{
			"f.xml:4:10: invalid XML: element <day> closed by </days>",
		}},
		{"bad day entries", "<calendar year=\"2027\" date=\"2026.09.02\">\n<days>\n" +
			"  <day d=\"02.30\" t=\"1\"/>\n" +
			"  <day d=\"1.5\" t=\"1\"/>\n" +
			"  <day d=\"03.01\" t=\"3\"/>\n" +
			"  <day d=\"03.08\" t=\"1\" h=\"9\"/>\n" +
			"  <day d=\"03.09\" t=\"1\" f=\"13.01\"/>\n" +
			"  <day d=\"03.10\" t=\"2\"/><day d=\"03.10\" t=\"2\"/>\n" +
			"  <night/>\n" +
			"</days>\n<weeks/>\n</calendar>", []string{
			"f.xml:3:3: <day> d=\"02.30\": no such date in 2027",
			"f.xml:4:3: <day> d=\"1.5\": want a date MM.DD",
			"f.xml:5:3: 03.01 is a Monday: t=\"3\" marks a working Saturday or Sunday",
			"f.xml:6:3: <day> names holiday \"9\", which <holidays> does not list",
			"f.xml:7:3: <day> f=\"13.01\": no such date in 2027",
			"f.xml:8:25: 03.10 is listed twice (first at line 8)",
			"f.xml:9:3: unknown element <night> (want <day>)",
			"f.xml:11:1: unknown element <weeks> in <calendar> (known: holidays, days)",
		}},
		{"truncated", "<calendar year=\"2027\" date=\"2026.09.02\">\n<days>\n", []string{"f.xml:3:1: invalid XML: unexpected EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseYearFile("f.xml", []byte(tt.src))
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("want Problems, got %v", err)
			}
			if got := problemStrings(probs); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestYearFileSamples: the two sample files read as the README describes.
func TestYearFileSamples(t *testing.T) {
	for _, tt := range []struct {
		file       string
		year, days int
		made       string
	}{
		{"ru-2026.xml", 2026, 22, "2025-09-30"},
		{"ru-2027.xml", 2027, 24, "2026-09-02"},
	} {
		data, err := os.ReadFile("../config/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseYearFile(tt.file, data)
		if err != nil {
			t.Fatal(err)
		}
		if f.Year != tt.year || len(f.Days) != tt.days || f.Made.Format("2006-01-02") != tt.made {
			t.Errorf("%s: year %d, %d days, made %s", tt.file, f.Year, len(f.Days), f.Made)
		}
		// The 40-hour week figures of 2026 are those of the decree: 247
		// working days, 1972 hours; January 15 days.
		c := FortyHourCalendar(f)
		var work int
		var hours time.Duration
		for d := time.Date(tt.year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == tt.year; d = d.AddDate(0, 0, 1) {
			if h := c.Day(d.Date()).Working; h > 0 {
				work++
				hours += h
			}
		}
		if tt.year == 2026 && (work != 247 || hours != 1972*time.Hour) {
			t.Errorf("2026: %d working days, %s; the decree says 247 and 1972h", work, hours)
		}
	}
}

// FuzzYearFile: no input panics, and every problem has a position.
func FuzzYearFile(f *testing.F) {
	for _, name := range []string{"ru-2026.xml", "ru-2027.xml"} {
		if data, err := os.ReadFile("../config/" + name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("<calendar year=\"2027\" date=\"2026.09.02\"><days><day d=\"02.20\" t=\"2\"/></days></calendar>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		yf, err := ParseYearFile("f.xml", data)
		if err != nil {
			var probs Problems
			if !errors.As(err, &probs) || len(probs) == 0 {
				t.Fatalf("error is not Problems: %v", err)
			}
			for _, p := range probs {
				if p.Line < 1 || p.Col < 1 || p.File != "f.xml" || p.Msg == "" {
					t.Fatalf("problem without position: %+v", p)
				}
			}
			return
		}
		FortyHourCalendar(yf).Day(yf.Year, time.March, 1)
	})
}
