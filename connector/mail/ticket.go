package mail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// newTicket hands the mail to the ticket engine, which opens its ticket
// (desk.Engine.NewTicket): the intake renders what the lead shows (title
// without the subject tag, comments with its notes, the files) and indexes
// the mail's Message-ID as pending, so that a reply that comes before the
// lead exists finds its ticket (and waits for the lead). Spam (the
// filter's verdict v, or an upstream X-Spam-Flag with spam: junk) becomes
// a junk ticket.
func (i *Intake) newTicket(ctx context.Context, tx *store.Tx, msg *mimeparse.Message, origin string,
	related int64, oversize bool, row store.Message, v verdict, now time.Time) (outcome, error) {
	first, last := splitName(msg.From)
	m := ticket.Mail{
		Origin: origin, MessageID: msg.MessageID, Row: row.DedupeKey,
		Mailbox: i.name, From: strings.ToLower(msg.From.Addr), FromName: msg.From.Name,
		Subject: msg.Subject, Text: msg.Text, Headers: msg.Header, Size: int64(msg.Size),
		Title:       mimeparse.CleanLine(mimeparse.CleanSubjectTag(msg.Subject, i.opts.Threading.TagFormat)),
		FirstName:   mimeparse.CleanLine(first),
		LastName:    mimeparse.CleanLine(last),
		Description: mimeparse.CleanLine(i.name + " " + msg.MessageID),
		Junk:        msg.Spam || v.spam,
	}
	for _, a := range msg.To {
		m.To = append(m.To, a.Addr)
	}
	for _, a := range msg.Cc {
		m.Cc = append(m.Cc, a.Addr)
	}
	for _, a := range msg.Attachments {
		m.Attachments = append(m.Attachments, rules.Attachment{Name: a.Filename, ContentType: a.ContentType, Size: int64(a.Size)})
	}
	var attachRaw []byte
	if msg.Partial || len(strings.TrimSpace(msg.Text)) > CommentsTextCap {
		attachRaw = row.Raw
	}
	var left []string
	m.Files, left = i.files(msg, attachRaw)
	m.Comments = comments(msg, related, oversize, left, i.opts.Mailbox.MaxSize)
	if n := v.note(); n != "" {
		m.Comments += "\n\n" + mimeparse.EscapeBBCode(n)
	}
	if v.checked {
		m.SpamScore = &v.res.Score
	}
	o, err := i.opts.Tickets.NewTicket(ctx, tx, m, now)
	if err != nil {
		return outcome{}, err
	}
	if o.Duplicate {
		return outcome{state: store.MessageTicketed, result: ResultDuplicate,
			wait: wait{Outbox: o.Wait, Lead: o.Lead, Quarantine: oversize}}, nil
	}
	if msg.MessageID != "" {
		e := store.ThreadEntry{MessageID: msg.MessageID, Direction: store.DirectionIn, OriginID: origin}
		if err := tx.PutThread(ctx, e, now); err != nil {
			return outcome{}, err
		}
	}
	result := ResultTicket
	if o.Junk {
		result = ResultJunk
	}
	return outcome{state: store.MessageTicketed, result: result, ticket: o.Type,
		wait: wait{Outbox: o.Wait, Quarantine: oversize}}, nil
}

// CommentsTextCap is the most of a mail's text that goes into a new
// lead's COMMENTS (before escaping); a longer text is cut, with a note, and
// the original mail is attached as original.eml.
const CommentsTextCap = 64 << 10

// comments renders the lead's COMMENTS (BB codes): the customer's text
// (at most CommentsTextCap of it) escaped so that it stays text
// (mimeparse.EscapeBBCode), then notes (a related ticket, an oversize original, files left out,
// parsing problems).
func comments(msg *mimeparse.Message, related int64, oversize bool, left []string, maxSize any) string {
	var notes []string
	if related > 0 {
		notes = append(notes, fmt.Sprintf("Связано с обращением #%d / Related to ticket #%d", related, related))
	}
	if oversize {
		notes = append(notes, fmt.Sprintf("Письмо больше допустимого размера (%v): здесь заголовки и первая текстовая часть, оригинал в карантине / The mail exceeds the size cap (%v): headers and first text part only, the original is in the quarantine folder", maxSize, maxSize))
	}
	if len(left) > 0 {
		notes = append(notes, leftOutNote(left))
	}
	if msg.Partial {
		note := "Письмо разобрано не полностью, оригинал приложен (original.eml) / The mail was only partly readable; the original is attached"
		if len(msg.Problems) > 0 {
			note += ": " + strings.Join(msg.Problems[:min(len(msg.Problems), 3)], "; ")
		}
		notes = append(notes, note)
	}
	text := strings.TrimSpace(msg.Text)
	if len(text) > CommentsTextCap {
		text = strings.ToValidUTF8(text[:CommentsTextCap], "")
		notes = append(notes, fmt.Sprintf("Текст письма обрезан до %d КиБ, оригинал приложен (original.eml) / The text is cut at %d KiB; the original is attached (original.eml)", CommentsTextCap>>10, CommentsTextCap>>10))
	}
	var b strings.Builder
	b.WriteString(mimeparse.EscapeBBCode(text))
	for _, n := range notes {
		b.WriteString("\n\n" + mimeparse.EscapeBBCode(n))
	}
	return b.String()
}
