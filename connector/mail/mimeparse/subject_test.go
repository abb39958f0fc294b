package mimeparse

import (
	"strings"
	"testing"
)

func TestFindTag(t *testing.T) {
	tests := []struct {
		subject, format string
		id              int
		ok              bool
	}{
		{"[#12345] Не работает карта", "", 12345, true},
		{"Re: [#12345] Не работает карта", "", 12345, true},
		{"RE: Re: FW: Fwd: AW: WG: [#7] x", "", 7, true},
		{"Ответ: Отв: Пересл: [#42] тема", "", 42, true},
		{"Re: Не работает карта [#12345]", "", 12345, true},
		{"Re: [# 12345 ] spaced", "", 12345, true},
		{"Re: Не работает карта [#123", "", 0, false}, // cut: the number may be cut too
		{"Re: no tag here", "", 0, false},
		{"[#0] zero", "", 0, false},
		{"[#abc] letters", "", 0, false},
		{"Re: [Ticket 99] custom", "[Ticket {id}]", 99, true},
		{"re: [ticket 99] case", "[Ticket {id}]", 99, true},
		{"Re: (#5) parens", "(#{id})", 5, true},
		{"Re: [#5] format without id", "[#]", 0, false},
		{"[#99999999999999999999999] overflow", "", 0, false},
		{"Fwd: [#1] first [#2] second", "", 1, true},
	}
	for _, tt := range tests {
		id, ok := FindTag(tt.subject, tt.format)
		if id != tt.id || ok != tt.ok {
			t.Errorf("FindTag(%q, %q) = %d, %v; want %d, %v", tt.subject, tt.format, id, ok, tt.id, tt.ok)
		}
	}
}

func TestFormatTagRoundTrip(t *testing.T) {
	for _, format := range []string{"", DefaultTagFormat, "[Ticket {id}]", "{id}#"} {
		for _, id := range []int{1, 12345, 999999999} {
			subject := "Re: " + FormatTag(format, id) + " Тема"
			if got, ok := FindTag(subject, format); !ok || got != id {
				t.Errorf("format %q id %d: FindTag(%q) = %d, %v", format, id, subject, got, ok)
			}
		}
	}
	if got := FormatTag("", 5); got != "[#5]" {
		t.Errorf("FormatTag default = %q", got)
	}
}

func TestCleanSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Re: [#12345] Не работает карта", "Не работает карта"},
		{"RE: Ответ: Re[2]: FW: Не работает карта", "Не работает карта"},
		{"Fwd:   Broken    link", "Broken link"},
		{"", NoSubject},
		{"Re: [#5]", NoSubject},
		{"Re:", NoSubject},
		{"Reply needed: contract", "Reply needed: contract"},
		{"Отчёт за март", "Отчёт за март"},
	}
	for _, tt := range tests {
		if got := CleanSubject(tt.in); got != tt.want {
			t.Errorf("CleanSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("Я", 400)
	got := CleanSubject("Re: " + long)
	if n := len([]rune(got)); n != MaxTitleLen {
		t.Errorf("long subject: %d characters, want %d", n, MaxTitleLen)
	}
	if got := CleanSubjectTag("Re: [Ticket 9] Hi", "[Ticket {id}]"); got != "Hi" {
		t.Errorf("CleanSubjectTag = %q", got)
	}
}
