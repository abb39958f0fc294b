package outbound

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Portal is the part of the Bitrix24 client outbound reads with: the
// lead of a staff answer and the name of the staff member; *bitrix.Client
// has it.
type Portal interface {
	LeadGet(ctx context.Context, id int64) (*bitrix.Lead, error)
	UserByID(ctx context.Context, id string) (u bitrix.User, found bool, err error)
}

// Tickets is the ticket engine as outbound tells it about staff answers:
// StaffReplied runs in the transaction that records the mail as sent, and
// meets the first (or next) response target.
type Tickets interface {
	StaffReplied(ctx context.Context, tx *store.Tx, leadID int64, at time.Time) error
}

// MailSender hands a rendered mail to an SMTP server (*Sender has it).
type MailSender interface {
	Send(ctx context.Context, from string, to []string, raw []byte) error
}

// Options are outbound's dependencies.
type Options struct {
	// Mailboxes are the configured mailboxes; those without smtp.host send
	// nothing.
	Mailboxes []config.Mailbox
	// TagFormat is the subject tag format (config threading.tag_format).
	TagFormat string
	// Location is the customers' time zone for due times (the portal's).
	Location *time.Location
	Store    *store.Store
	Outbox   *outbox.Outbox
	Portal   Portal
	// Rules returns the rules in force (templates, statuses, type names).
	Rules func() *rules.Rules
	// Schema returns the portal schema map (canned-answer item IDs).
	Schema func() *schema.Map
	// Tickets is told about staff answers; nil ignores them.
	Tickets Tickets
	Clock   clock.Clock
	Log     zerolog.Logger
	// Metrics counts acknowledgement decisions; nil counts nothing.
	Metrics *metrics.Metrics
	// SMTP builds a mailbox's sender (default NewSender(SMTPConfigFor(mb))).
	SMTP func(mb config.Mailbox) MailSender
	// Sent builds a mailbox's Sent folder (default IMAP when sent_folder
	// is set); returning nil means no copy.
	Sent func(mb config.Mailbox) SentFolder
	// Rating returns the rating choices a staff answer ends with and the
	// answer's ID, from the ticket and the answer's send key (the rating
	// package's BlockFor); nil, or "" returned: no choices.
	Rating func(lead int64, sendKey string) (block, answerID string)
}

// Outbound sends staff answers and acknowledgements. Build it with New,
// then Register it with the outbox before the outbox runs.
type Outbound struct {
	opts Options
	clk  clock.Clock
	log  zerolog.Logger

	mu      sync.Mutex
	senders map[string]MailSender
	sent    map[string]SentFolder
}

// New checks the options and returns an Outbound.
func New(opts Options) (*Outbound, error) {
	if opts.Store == nil || opts.Outbox == nil || opts.Portal == nil || opts.Rules == nil {
		return nil, errors.New("outbound: store, outbox, portal and rules are required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Schema == nil {
		opts.Schema = func() *schema.Map { return nil }
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.TagFormat == "" {
		opts.TagFormat = "[#{id}]"
	}
	if opts.SMTP == nil {
		opts.SMTP = func(mb config.Mailbox) MailSender { return NewSender(SMTPConfigFor(mb)) }
	}
	if opts.Sent == nil {
		log := opts.Log
		opts.Sent = func(mb config.Mailbox) SentFolder {
			if mb.SentFolder == "" {
				return nil
			}
			return NewIMAPSent(mail.BoxConfig(mb, log), mb.SentFolder)
		}
	}
	return &Outbound{
		opts: opts, clk: opts.Clock,
		log:     opts.Log.With().Str("component", "outbound").Logger(),
		senders: map[string]MailSender{}, sent: map[string]SentFolder{},
	}, nil
}

// Register adds the mail.send kind and outbound's completion hooks to the
// outbox. Call it after desk.RegisterHooks: the acknowledgement hook reads
// the ticket desk's lead.add hook records.
func (o *Outbound) Register() {
	o.opts.Outbox.Register(KindMailSend, sendKind{o: o})
	o.opts.Outbox.OnDone(KindMailSend, o.sentHook)
	o.opts.Outbox.OnDone(outbox.KindLeadAdd, o.ackHook)
	o.opts.Outbox.OnDone(outbox.KindTimelineComment, o.bounceHook)
}

// mailbox returns the configured mailbox with the name.
func (o *Outbound) mailbox(name string) (config.Mailbox, bool) {
	for _, mb := range o.opts.Mailboxes {
		if mb.Name == name {
			return mb, true
		}
	}
	return config.Mailbox{}, false
}

// replyMailbox picks the mailbox a ticket's answer leaves from: the one the
// ticket's mail came in, else the first with SMTP.
func (o *Outbound) replyMailbox(name string) (config.Mailbox, bool) {
	if mb, ok := o.mailbox(name); ok && mb.SMTP.Enabled() {
		return mb, true
	}
	for _, mb := range o.opts.Mailboxes {
		if mb.SMTP.Enabled() {
			return mb, true
		}
	}
	return config.Mailbox{}, false
}

// ourAddress reports whether addr is one of the mailboxes' addresses.
func (o *Outbound) ourAddress(addr string) bool {
	for _, mb := range o.opts.Mailboxes {
		if strings.EqualFold(mb.Address, addr) {
			return true
		}
	}
	return false
}

func (o *Outbound) sender(mbName string) (MailSender, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.senders[mbName]; ok {
		return s, nil
	}
	mb, ok := o.mailbox(mbName)
	if !ok || !mb.SMTP.Enabled() {
		return nil, fmt.Errorf("mailbox %q has no smtp configured", mbName)
	}
	s := o.opts.SMTP(mb)
	o.senders[mbName] = s
	return s, nil
}

func (o *Outbound) sentFolder(mbName string) SentFolder {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.sent[mbName]; ok {
		return s
	}
	mb, ok := o.mailbox(mbName)
	var s SentFolder
	if ok {
		s = o.opts.Sent(mb)
	}
	o.sent[mbName] = s
	return s
}
