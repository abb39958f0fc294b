package ticket

import (
	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/rules"
)

// Mail is a customer's mail that opens a new ticket, as the intake hands
// it to the ticket engine: what the rules classify by and what the new
// lead shows, already rendered by the intake (title without the subject
// tag, comments in BB codes with the intake's notes, the files to attach).
type Mail struct {
	// Origin is the mail's dedupe key: the new lead's ORIGIN_ID, one
	// ticket per origin.
	Origin string
	// MessageID is the mail's Message-ID ("" when it has none).
	MessageID string
	// Row is the dedupe key of the spooled message row, marked with the
	// lead ID once the lead exists.
	Row string

	// What the rules classify by.
	Mailbox     string
	From        string // the sender's address, lower case
	FromName    string
	To, Cc      []string
	Subject     string
	Text        string
	Headers     map[string][]string
	Attachments []rules.Attachment
	Size        int64

	// What the lead shows.
	Title       string // TITLE
	FirstName   string // NAME
	LastName    string // LAST_NAME ("" when none)
	Description string // SOURCE_DESCRIPTION
	Comments    string // COMMENTS, BB codes
	Files       []bitrix.FileData

	// Junk: the spam filter (or an upstream X-Spam-Flag with spam: junk)
	// says spam; the ticket is created closed in the junk stage.
	Junk bool
	// SpamScore is the filter's score, nil when the mail was not checked.
	SpamScore *float64
}

// Input is the mail as the rules see it.
func (m Mail) Input() rules.Input {
	return rules.Input{Mailbox: m.Mailbox, From: m.From, FromName: m.FromName, To: m.To, Cc: m.Cc,
		Subject: m.Subject, Body: m.Text, Headers: m.Headers, Attachments: m.Attachments, Size: m.Size}
}

// Opened is what handing a mail to the ticket engine came to.
type Opened struct {
	// Duplicate: the mail's ticket exists already (the same mail in
	// another mailbox, or again); nothing new was queued.
	Duplicate bool
	// Lead is the ticket's lead when it exists already (0: its lead.add
	// is queued, see Wait).
	Lead int64
	// Wait is the dedupe key of the outbox row (the lead.add) the mail
	// waits for before it is finished in the mailbox ("" when Lead is
	// known).
	Wait string
	// Type is the new ticket's type ("" for a duplicate).
	Type string
	// Junk: the ticket was created closed in the junk stage.
	Junk bool
}
