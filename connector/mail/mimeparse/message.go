package mimeparse

import (
	"fmt"
	"strings"
	"time"
)

// Address is one mailbox of an address header, the display name decoded.
type Address struct {
	Name string
	Addr string
}

// String renders the address for display ("Name <addr>" or "addr").
func (a Address) String() string {
	if a.Name == "" {
		return a.Addr
	}
	return fmt.Sprintf("%s <%s>", a.Name, a.Addr)
}

// Attachment is one non-body part of a mail: a file, an inline image or an
// attached message.
type Attachment struct {
	// Filename is the decoded file name (RFC 2231 or RFC 2047), or a name
	// made up from the content type when the part has none.
	Filename    string
	ContentType string
	// ContentID is the Content-ID without angle brackets (inline images).
	ContentID string
	// Inline is true for parts shown in the body (Content-Disposition
	// inline or parts of multipart/related).
	Inline bool
	// Size is the decoded size in bytes, also when Data was omitted.
	Size int
	// Data is the decoded content; nil when Omitted.
	Data []byte
	// Omitted is true when the data was not kept (size caps, oversize mail).
	Omitted bool
}

// Bounce holds what a delivery-status report says about a failed delivery.
type Bounce struct {
	// OriginalMessageID is the Message-ID of the mail that bounced, from
	// the attached message/rfc822 or text/rfc822-headers part, else from a
	// "Message-ID:" line quoted in the text.
	OriginalMessageID string
	// Recipients are the final recipients the report names as failed (or
	// all it names, when no Action is given).
	Recipients []string
	// Status is the first DSN status code seen (e.g. "5.1.1").
	Status string
}

// Message is a parsed mail.
type Message struct {
	// MessageID is the normalized Message-ID, without angle brackets.
	MessageID  string
	InReplyTo  string
	References []string

	From    Address
	ReplyTo []Address
	To      []Address
	Cc      []Address
	// ReturnPath is the Return-Path address; HasReturnPath says whether the
	// header was present, so an empty "<>" is ReturnPath=="" with
	// HasReturnPath true.
	ReturnPath    string
	HasReturnPath bool

	// Subject is the RFC 2047-decoded subject.
	Subject string
	// Date is the Date header; zero when absent or unreadable.
	Date time.Time
	// Header holds every header field, canonical keys, RFC 2047-decoded.
	Header map[string][]string

	// Text is the readable body: text/plain preferred, else HTML as text.
	Text string
	// HTML is the raw HTML body, if the mail has one.
	HTML string
	// Charset is the charset used for the main text part (lowercase name).
	Charset string
	// CharsetDetected is true when Charset was guessed, not declared.
	CharsetDetected bool

	Attachments []Attachment
	// AttachedMessageID is the Message-ID of the first attached message
	// (message/rfc822 or text/rfc822-headers), for bounce lookup.
	AttachedMessageID string

	// Auto is the automatic-mail class; AutoReason says which header or
	// rule decided it.
	Auto       Auto
	AutoReason string
	// Bounce is set for every mail classified AutoBounce (with the fields
	// that could be found) and for delivery-status reports.
	Bounce *Bounce
	// Spam is true for X-Spam-Flag: YES or X-Spam-Status: Yes.
	Spam bool
	// SuppressAutoReply is true when the sender asked for no automatic
	// replies (X-Auto-Response-Suppress) or the mail is automatic.
	SuppressAutoReply bool

	// Size is the raw size in bytes.
	Size int
	// Oversize is true when the mail exceeded Options.MaxSize: only the
	// headers and the first text part were read.
	Oversize bool
	// Partial is true when a part could not be read fully; Problems says
	// why, and also lists harmless repairs (e.g. a corrected charset).
	Partial  bool
	Problems []string
}

// Reply returns the text without quoted history (see StripQuoted).
func (m *Message) Reply() string {
	return StripQuoted(m.Text)
}

// Summary is a one-line description for logs: IDs and sizes, no body and no
// personal data beyond the Message-ID.
func (m *Message) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "message-id=%q size=%d attachments=%d charset=%s auto=%s", m.MessageID, m.Size, len(m.Attachments), m.Charset, m.Auto)
	if m.Oversize {
		b.WriteString(" oversize")
	}
	if m.Partial {
		fmt.Fprintf(&b, " partial(%d problems)", len(m.Problems))
	}
	if m.Spam {
		b.WriteString(" spam")
	}
	return b.String()
}

// note records a repair that lost nothing (e.g. a corrected charset).
func (m *Message) note(format string, args ...any) {
	if len(m.Problems) < 50 {
		m.Problems = append(m.Problems, fmt.Sprintf(format, args...))
	}
}

func (m *Message) problem(format string, args ...any) {
	m.Partial = true
	if len(m.Problems) < 50 {
		m.Problems = append(m.Problems, fmt.Sprintf(format, args...))
	}
}
