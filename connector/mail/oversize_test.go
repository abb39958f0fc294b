package mail

import (
	"strings"
	"testing"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

func TestOversize(t *testing.T) {
	if testing.Short() {
		t.Skip("appends a 30 MiB mail")
	}
	t.Parallel() // slow (its own servers and state): overlap the package's other tests
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) { testOversize(t, s) })
}

// bigMail is a mail of about size bytes: a text part, then a base64
// attachment that makes up the rest.
func bigMail(size int) []byte {
	var b strings.Builder
	b.WriteString("From: Ivan <ivan@example.ru>\r\nTo: support@example.test\r\nSubject: Huge dump\r\n" +
		"Message-ID: <huge-1@example.ru>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe database dump is attached, the export hangs.\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"dump.bin\"\r\nContent-Disposition: attachment; filename=\"dump.bin\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJD", 19) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	b.WriteString("--b1--\r\n")
	return []byte(b.String())
}

// testOversize: a 30 MiB mail (cap 25 MiB) becomes a ticket with its
// headers and first text part and a note; the original goes to quarantine.
func testOversize(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.appendMail(bigMail(30 << 20))
	e.round()
	if n := e.portal.LeadCount(); n != 1 {
		t.Fatalf("%d leads, want 1", n)
	}
	l := e.portal.Leads()[0]
	if got := str(l["TITLE"]); got != "Huge dump" {
		t.Errorf("TITLE = %q", got)
	}
	c := str(l["COMMENTS"])
	if !strings.Contains(c, "The database dump is attached") || !strings.Contains(c, "size cap") || !strings.Contains(c, "quarantine") {
		t.Errorf("COMMENTS = %.300q, want the text and the oversize note", c)
	}
	if len(c) > 1<<20 {
		t.Errorf("COMMENTS is %d bytes: the attachment leaked in", len(c))
	}
	if f := str(l["UF_CRM_B24D_FILES"]); f != "" && f != "[]" && f != "false" {
		t.Errorf("files attached from an oversize mail: %.100s", f)
	}
	if got := e.counts(); got != "INBOX 0, Processed 0, Quarantine 1" {
		t.Errorf("folders: %s", got)
	}
}
