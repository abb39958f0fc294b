package mimeparse

import (
	"strings"
	"unicode"
)

// The portal's text fields: the lead's COMMENTS and timeline comments take
// BB codes (bitrix24-api.md §6, §10; the docs say "Supports BB codes" for
// COMMENTS, api-reference/crm/main-entities-fields.md), TITLE and names are
// plain text. Customer text must become neither markup nor junk in them.

// wordJoiner is U+2060 WORD JOINER: invisible, and it breaks a BBCode tag
// name away from its "[".
const wordJoiner = "\u2060"

// EscapeBBCode makes customer text safe for a BB-code field (the lead's
// COMMENTS, a timeline comment): control characters are dropped
// (CleanText), and a WORD JOINER is put after every "[" so that no
// "[USER=1]", "[URL]" or other tag is recognised, while the text still
// reads the same. [noparse] is not used: Bitrix24's parser does not support
// it everywhere, and a customer could close it. HTML is not escaped: the
// field shows "<b>" as typed. Word joiners already in the text are kept.
func EscapeBBCode(text string) string {
	return strings.ReplaceAll(CleanText(text), "[", "["+wordJoiner)
}

// CleanText drops NUL and the other control characters (C0, DEL, C1) that
// a portal field cannot show (a NUL became "€" in the portal), keeping line
// breaks and tabs; CRLF and lone CR become LF. Invalid UTF-8 becomes U+FFFD.
func CleanText(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n', r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(text, "\uFFFD"))
}

// CleanLine is CleanText for a one-line plain-text field (TITLE, NAME):
// line breaks and tabs become single spaces, the ends are trimmed.
func CleanLine(text string) string {
	return strings.Join(strings.Fields(CleanText(text)), " ")
}
