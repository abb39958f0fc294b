package mimeparse

import (
	"fmt"
	"strings"
	"testing"
)

// TestHugeHeaderKeepsVitalFields: a huge field before Message-ID, Date and
// Content-Type never pushes them into the body; the cut is recorded.
func TestHugeHeaderKeepsVitalFields(t *testing.T) {
	tail := "Message-ID: <v@example.com>\r\nDate: Tue, 10 Mar 2026 09:00:00 +0300\r\nFrom: a@example.com\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n0KLQtdC60YHRgg==\r\n"
	many := func() string {
		var b strings.Builder
		for i := range 40000 {
			fmt.Fprintf(&b, "X-Filler-%d: %s\r\n", i, strings.Repeat("z", 30))
		}
		return b.String()
	}
	for _, c := range []struct{ name, head, problem string }{
		{"1 MB subject", "Subject: " + strings.Repeat("A", 1<<20) + "\r\n", `header "Subject" cut at 32768`},
		{"5 MB line", "X-Junk: " + strings.Repeat("B", 5<<20) + "\r\n", `header "X-Junk" cut at 32768`},
		{"5 MB folded", "X-Folded: a\r\n" + strings.Repeat(" "+strings.Repeat("C", 70)+"\r\n", 5<<20/72), `header "X-Folded" cut`},
		{"a 1.6 MB block of small fields", many(), "fields left out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(c.head+tail), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.MessageID != "v@example.com" || m.Date.IsZero() || m.From.Addr != "a@example.com" || m.Text != "Текст" {
				t.Fatalf("vital fields lost: id %q date %v from %q text %.80q", m.MessageID, m.Date, m.From.Addr, m.Text)
			}
			if !m.Partial || !strings.Contains(strings.Join(m.Problems, "; "), c.problem) {
				t.Fatalf("problems %v, want %q", m.Problems, c.problem)
			}
			if len(m.Subject) > DefaultMaxFieldBytes {
				t.Fatalf("subject kept %d bytes", len(m.Subject))
			}
		})
	}
	// No blank line at all: the whole mail is header, nothing is body.
	m, err := Parse([]byte("Subject: only\r\nMessage-ID: <h@x>"), Options{})
	if err != nil || m.MessageID != "h@x" || m.Text != "" {
		t.Fatalf("header only: %v %+v", err, m)
	}
}
