package mimeparse

import (
	"regexp"
	"strings"
)

// quoteHeaders match the line that opens quoted history in common clients.
var quoteHeaders = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^on .{1,300}\bwrote:?\s*$`),
	regexp.MustCompile(`(?i)^.{1,300}\s(написал|написала|написал\(а\)|пишет)\s*:\s*$`),
	regexp.MustCompile(`(?i)^-{2,}\s*(original message|исходное сообщение|пересылаемое сообщение|forwarded message)\s*-{2,}\s*$`),
	regexp.MustCompile(`(?i)^_{10,}\s*$`),
	regexp.MustCompile(`(?i)^am .{1,300}\bschrieb .{0,200}:\s*$`),
}

// outlookFrom matches the first line of an Outlook-style header block
// ("From: …" followed within a few lines by "Sent:" or "Date:").
var (
	outlookFrom = regexp.MustCompile(`(?i)^\*?(from|от|von)\s*:\*?\s`)
	outlookSent = regexp.MustCompile(`(?i)^\*?(sent|date|отправлено|дата|gesendet)\s*:\*?\s`)
)

// StripQuoted returns text without the quoted history of a reply: it cuts
// at the first "On … wrote:" / "… написал(а):" line, an "-----Original
// Message-----" (or Russian "-----Исходное сообщение-----") separator, an
// Outlook "From: … Sent:" block, or a run of "> " lines at the end, and
// drops any remaining ">" lines. The result is trimmed; when cutting would
// leave nothing the text is returned whole.
func StripQuoted(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	cut := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if isQuoteHeader(t) {
			cut = i
			break
		}
		// "On Mon, … John" / "<john@x> wrote:" split over two lines.
		if i+1 < len(lines) && strings.HasPrefix(strings.ToLower(t), "on ") && isQuoteHeader(t+" "+strings.TrimSpace(lines[i+1])) {
			cut = i
			break
		}
		if outlookFrom.MatchString(t) {
			for j := i + 1; j < len(lines) && j <= i+3; j++ {
				if outlookSent.MatchString(strings.TrimSpace(lines[j])) {
					cut = i
					break
				}
			}
			if cut == i {
				break
			}
		}
	}
	var out []string
	for _, l := range lines[:cut] {
		if strings.HasPrefix(strings.TrimLeft(l, " "), ">") {
			continue
		}
		out = append(out, l)
	}
	res := strings.TrimSpace(strings.Join(out, "\n"))
	if res == "" {
		return strings.TrimSpace(text)
	}
	return res
}

func isQuoteHeader(t string) bool {
	if t == "" {
		return false
	}
	for _, re := range quoteHeaders {
		if re.MatchString(t) {
			return true
		}
	}
	return false
}
