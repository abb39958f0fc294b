package sim

import (
	"slices"
	"testing"
)

// TestRenderBBCode: the lead's COMMENTS and timeline comments are BB codes
// (api-reference/crm/main-entities-fields.md: "Comment. Supports BB
// codes"; for leads the docs only say "Comments": the stricter reading,
// rendered as BB codes, is taken). A "[" not followed directly by a known
// tag name is text, so a WORD JOINER after it keeps a customer's
// "[USER=1]" as text; HTML shows as typed.
func TestRenderBBCode(t *testing.T) {
	tests := []struct {
		in, text string
		mentions []int
		links    []string
	}{
		{in: "[USER=1]Admin[/USER] look", text: "Admin look", mentions: []int{1}},
		{in: "[url=http://evil.example]click[/url]", text: "click", links: []string{"http://evil.example"}},
		{in: "[URL]http://x.example[/URL] [b]bold[/b]", text: "http://x.example bold", links: []string{"http://x.example"}},
		{in: "[\u2060USER=1]x[\u2060/USER]", text: "[\u2060USER=1]x[\u2060/USER]"},
		{in: "array[0] = 5 [unknown]", text: "array[0] = 5 [unknown]"},
		{in: "<b>x</b> &lt;<br>", text: "<b>x</b> &lt;<br>"},
	}
	for _, tt := range tests {
		r := RenderBBCode(tt.in)
		if r.Text != tt.text || !slices.Equal(r.Mentions, tt.mentions) || !slices.Equal(r.Links, tt.links) {
			t.Errorf("RenderBBCode(%q) = %+v, want text %q mentions %v links %v", tt.in, r, tt.text, tt.mentions, tt.links)
		}
	}
}
