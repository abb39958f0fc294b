package mail

import (
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

// TestCustomerTextStaysText: BB codes, HTML and control characters a
// customer writes reach the lead as text. COMMENTS takes BB codes
// (api-reference/crm/main-entities-fields.md, "Supports BB codes"), so the
// simulator renders it as the portal does: no mention, no link, the text
// as typed, no "<br>" or "&lt;" of an HTML rendering; TITLE is plain text
// without control characters (a NUL showed as "€" in the portal).
func TestCustomerTextStaysText(t *testing.T) {
	e := newEnv(t, imaptest.StartMemory(t), nil)
	e.appendMail([]byte("From: Ivan <ivan@example.ru>\r\nTo: support@example.test\r\n" +
		"Subject: =?UTF-8?Q?[USER=3D1]_=D0=BA=D0=B0=D1=80=D1=82=D0=B0=00_[URL=3Dhttp://evil.example]x[/URL]?=\r\n" +
		"Message-ID: <markup-1@example.ru>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"[USER=1] please look\x00 at [URL=http://evil.example]this[/URL]\r\n<b>bold</b> & \x07bell\r\n"))
	e.round()
	leads := e.portal.Leads()
	if len(leads) != 1 {
		t.Fatalf("%d leads, want 1", len(leads))
	}
	id, err := strconv.Atoi(str(leads[0]["ID"]))
	if err != nil {
		t.Fatal(err)
	}
	title, comments, _ := e.portal.LeadRendered(id)
	if len(comments.Mentions) != 0 || len(comments.Links) != 0 || len(comments.Tags) != 0 {
		t.Errorf("customer text became markup in COMMENTS: %+v", comments)
	}
	visible := strings.ReplaceAll(comments.Text, "\u2060", "")
	for _, want := range []string{"[USER=1] please look at [URL=http://evil.example]this[/URL]\n<b>bold</b> & bell"} {
		if !strings.Contains(visible, want) {
			t.Errorf("COMMENTS shows %q, want it to contain %q", visible, want)
		}
	}
	for _, field := range []string{title, comments.Text} {
		if strings.ContainsFunc(field, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
			t.Errorf("control character reached the portal: %q", field)
		}
	}
	if want := "[USER=1] карта [URL=http://evil.example]x[/URL]"; title != want {
		t.Errorf("TITLE = %q, want %q", title, want)
	}
}
