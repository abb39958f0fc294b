package mimeparse

import (
	"html"
	"strings"
)

// EscapeHTML makes customer text safe for the lead's COMMENTS field (HTML):
// markup characters are escaped and line breaks become <br>.
func EscapeHTML(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br>\n")
}

// wordJoiner is U+2060 WORD JOINER: invisible, and it breaks a BBCode tag
// name away from its "[".
const wordJoiner = "\u2060"

// EscapeBBCode makes customer text safe for a timeline comment (BBCode):
// a WORD JOINER is put after every "[" so that no "[USER=1]", "[URL]" or
// other tag is recognised, while the text still reads the same. [noparse]
// is not used: Bitrix24's parser does not support it everywhere, and a
// customer could close it. Word joiners already in the text are kept as
// they are; nothing else is changed.
func EscapeBBCode(text string) string {
	return strings.ReplaceAll(text, "[", "["+wordJoiner)
}
