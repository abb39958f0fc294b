package outbound

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
)

// Address is a mailbox in a header: a display name and an address.
type Address = mail.Address

// Mail is an outgoing mail before it is rendered.
type Mail struct {
	From    Address
	To, Cc  []Address
	Subject string
	// MessageID, InReplyTo and References are without angle brackets.
	MessageID  string
	InReplyTo  string
	References []string
	Date       time.Time
	// Text is the plain text; HTML is made from it when empty.
	Text string
	HTML string
	// AutoReplied marks an acknowledgement (Auto-Submitted: auto-replied).
	AutoReplied bool
	// Loop is the value of the loop header (mimeparse.LoopHeader), e.g. the
	// mailbox name; every mail b24desk sends carries the header.
	Loop string
}

// Bytes renders the mail: RFC 5322 headers (RFC 2047 encoded where needed)
// and a multipart/alternative body with the text and HTML parts, both
// UTF-8 quoted-printable.
func (m Mail) Bytes() ([]byte, error) {
	var h mail.Header
	h.SetDate(m.Date)
	h.SetAddressList("From", []*Address{&m.From})
	h.SetAddressList("To", ptrs(m.To))
	if len(m.Cc) > 0 {
		h.SetAddressList("Cc", ptrs(m.Cc))
	}
	h.SetSubject(m.Subject)
	if m.MessageID == "" {
		return nil, fmt.Errorf("render mail: no Message-ID")
	}
	h.SetMessageID(m.MessageID)
	if m.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{m.InReplyTo})
	}
	if len(m.References) > 0 {
		h.SetMsgIDList("References", m.References)
	}
	if m.AutoReplied {
		h.Set("Auto-Submitted", "auto-replied")
		h.Set("X-Auto-Response-Suppress", "All")
	}
	loop := m.Loop
	if loop == "" {
		loop = "1"
	}
	h.Set(mimeparse.LoopHeader, loop)
	h.Set("MIME-Version", "1.0")
	html := m.HTML
	if html == "" {
		html = TextToHTML(m.Text)
	}
	var buf bytes.Buffer
	w, err := mail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("render mail: %w", err)
	}
	for _, p := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", html}} {
		var ph mail.InlineHeader
		ph.SetContentType(p.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("render mail: %w", err)
		}
		if _, err := pw.Write([]byte(crlf(p.body))); err != nil {
			return nil, fmt.Errorf("render mail: %w", err)
		}
		if err := pw.Close(); err != nil {
			return nil, fmt.Errorf("render mail: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("render mail: %w", err)
	}
	return buf.Bytes(), nil
}

// TextToHTML wraps plain text as a small HTML document, escaped, line
// breaks kept.
func TextToHTML(text string) string {
	return "<!DOCTYPE html>\r\n<html><body><div style=\"font-family: sans-serif\">" +
		mimeparse.EscapeHTML(text) + "</div></body></html>"
}

// MessageID is the Message-ID of the mail with the send key, on the
// mailbox's domain, mixed with the installation ID (store.InstallationID):
// the same key always gives the same ID on one installation, so a mail
// rendered again keeps its identity, while two installations (a rehearsal
// against the simulator and the live portal) never give two different
// mails the same ID, which mail clients would drop as a duplicate.
func MessageID(installation, key, fromAddr string) string {
	sum := sha256.Sum256([]byte(installation + "\x00" + key))
	domain := "b24desk.local"
	if _, d, ok := strings.Cut(fromAddr, "@"); ok && d != "" {
		domain = strings.ToLower(d)
	}
	return "b24d." + hex.EncodeToString(sum[:12]) + "@" + domain
}

func ptrs(as []Address) []*Address {
	out := make([]*Address, len(as))
	for i := range as {
		out[i] = &as[i]
	}
	return out
}

func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
