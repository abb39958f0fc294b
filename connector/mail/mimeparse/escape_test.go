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
