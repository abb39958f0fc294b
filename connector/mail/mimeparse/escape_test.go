package mimeparse

import (
	"regexp"
	"strings"
	"testing"
)

func TestEscapeHTML(t *testing.T) {
	got := EscapeHTML("<script>alert(1)</script> & \"q\"\nline2")
	want := "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;q&#34;<br>\nline2"
	if got != want {
		t.Errorf("EscapeHTML = %q, want %q", got, want)
	}
}

// bbTag is what a BBCode parser recognises as a tag.
var bbTag = regexp.MustCompile(`(?i)\[/?(user|url|b|i|img|quote|code|noparse|disk file id)[=\] ]`)

func TestEscapeBBCode(t *testing.T) {
	for _, in := range []string{
		"[USER=1]Admin[/USER] please look",
		"[url=http://evil]click[/url] [b]bold[/b] [img]x[/img]",
		"[/noparse][USER=1]x[/USER]",
		"array[0] = 5",
	} {
		got := EscapeBBCode(in)
		if bbTag.MatchString(got) {
			t.Errorf("EscapeBBCode(%q) = %q still has a tag", in, got)
		}
		if strings.ReplaceAll(got, wordJoiner, "") != in {
			t.Errorf("EscapeBBCode(%q) changed visible text: %q", in, got)
		}
	}
}

// TestCleanText: NUL and other control characters are dropped, line
// breaks and tabs kept (CleanText) or folded into spaces (CleanLine).
func TestCleanText(t *testing.T) {
	in := "a\x00b\x07c\r\nd\re\tf\x7f\u0085g\xff"
	if got, want := CleanText(in), "abc\nd\ne\tfg\uFFFD"; got != want {
		t.Errorf("CleanText = %q, want %q", got, want)
	}
	if got, want := CleanLine(" "+in+" "), "abc d e fg\uFFFD"; got != want {
		t.Errorf("CleanLine = %q, want %q", got, want)
	}
	if got := EscapeBBCode("[b]\x00x"); got != "["+wordJoiner+"b]x" {
		t.Errorf("EscapeBBCode = %q", got)
	}
}
