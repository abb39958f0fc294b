package mimeparse

import (
	"html"
	"strings"
)

// EscapeHTML makes text safe for an HTML document (the HTML part of a mail
// b24desk sends): markup characters are escaped and line breaks become
// <br>. Portal fields take BB codes, not HTML: see EscapeBBCode.
func EscapeHTML(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br>\n")
}
