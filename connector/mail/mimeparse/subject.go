package mimeparse

import (
	"regexp"
	"strconv"
	"strings"
)

// DefaultTagFormat is the subject tag format used when none is configured;
// "{id}" stands for the ticket number.
const DefaultTagFormat = "[#{id}]"

// MaxTitleLen is the longest lead TITLE CleanSubject returns, in characters.
const MaxTitleLen = 255

// NoSubject is the title of a mail without a subject.
const NoSubject = "(no subject)"

// replyPrefix matches one reply/forward prefix, with optional counters
// ("Re[2]:", "RE(3):") and the Russian and German variants.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|fwd?|aw|wg|sv|vs|antw|tr|ответ|отв|пересл|переслать|на|фв)\s*(\[\d+\]|\(\d+\))?\s*:\s*`)

// FormatTag renders the tag for ticket id in format ("{id}" is replaced).
// An empty format means DefaultTagFormat.
func FormatTag(format string, id int) string {
	if format == "" {
		format = DefaultTagFormat
	}
	return strings.ReplaceAll(format, "{id}", strconv.Itoa(id))
}

// tagRegexp builds the pattern of a tag format: the literal parts matched
// case-insensitively with flexible spacing, the id as digits.
func tagRegexp(format string) (*regexp.Regexp, bool) {
	if format == "" {
		format = DefaultTagFormat
	}
	before, after, ok := strings.Cut(format, "{id}")
	if !ok {
		return nil, false
	}
	lit := func(s string) string {
		var parts []string
		for _, f := range strings.Fields(s) {
			var b strings.Builder
			for i, r := range f {
				if i > 0 {
					b.WriteString(`\s*`)
				}
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
			parts = append(parts, b.String())
		}
		return strings.Join(parts, `\s*`)
	}
	re, err := regexp.Compile(`(?i)` + lit(before) + `\s*0*([1-9]\d{0,17})\s*` + lit(after))
	if err != nil {
		return nil, false
	}
	return re, true
}

// FindTag finds the first complete ticket tag in subject (prefixes such as
// "Re:", "Fwd:", "Ответ:" and text around it do not matter). A tag cut by a
// truncated subject ("[#123" without "]") is not accepted, since its number
// may be cut too.
func FindTag(subject, format string) (int, bool) {
	re, ok := tagRegexp(format)
	if !ok {
		return 0, false
	}
	m := re.FindStringSubmatch(subject)
	if m == nil {
		return 0, false
	}
	id, err := strconv.Atoi(m[1])
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// CleanSubject is CleanSubjectTag with DefaultTagFormat.
func CleanSubject(subject string) string {
	return CleanSubjectTag(subject, DefaultTagFormat)
}

// CleanSubjectTag makes a lead TITLE from a subject: reply/forward
// prefixes and tags in format removed, whitespace collapsed, at most
// MaxTitleLen characters, NoSubject when nothing is left.
func CleanSubjectTag(subject, format string) string {
	s := strings.Join(strings.Fields(subject), " ")
	if re, ok := tagRegexp(format); ok {
		s = re.ReplaceAllString(s, " ")
	}
	for i := 0; i < 20; i++ {
		s = strings.TrimSpace(s)
		loc := replyPrefix.FindStringIndex(s)
		if loc == nil {
			break
		}
		s = s[loc[1]:]
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return NoSubject
	}
	if r := []rune(s); len(r) > MaxTitleLen {
		s = strings.TrimSpace(string(r[:MaxTitleLen-1])) + "…"
	}
	return s
}
