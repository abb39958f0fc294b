package mail

import (
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/backoff"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Defaults of Options fields left zero.
const (
	// DefaultBatch is how many mails one fetch takes.
	DefaultBatch = 100
	// DefaultRecheck is the longest wait while mail waits for its portal
	// work, so it is moved soon after the portal answers.
	DefaultRecheck = time.Second
	// DefaultReopenWindow is how long after closing a reply reopens a ticket.
	DefaultReopenWindow = 14 * 24 * time.Hour
)

// Options are the intake's dependencies and settings.
type Options struct {
	// Mailbox is the mailbox's config (IMAP, folders, caps, spam mode).
	Mailbox config.Mailbox
	// Threading configures subject tags and the reopen window.
	Threading config.Threading
	Store     *store.Store
	Outbox    *outbox.Outbox
	// Rules returns the rules in force (the daemon reloads them).
	Rules func() *rules.Rules
	// Schema returns the portal schema map (enumeration item IDs, templates).
	Schema func() *schema.Map
	// Tickets is the ticket engine (*desk.Engine): it opens the tickets of
	// new mail and is told about customer replies. Required.
	Tickets Tickets
	// Ratings may read a reply as the customer's rating of an answer
	// (*rating.Ratings); nil: every reply is a message.
	Ratings Ratings
	Clock   clock.Clock
	Log     zerolog.Logger
	// Metrics may be nil.
	Metrics *metrics.Metrics
	// Spam checks new mail with the spam filter (nil: no check; the
	// rules' spam section says what a score means).
	Spam *spam.Checker
	// Backoff is the reconnection schedule after any mailbox error
	// (default DefaultBackoff); the attempt count starts over once a
	// connection selects the folder.
	Backoff backoff.Policy
	// Batch is how many mails one fetch takes (default DefaultBatch).
	Batch int
	// Recheck bounds a wait while mail waits for the portal (default
	// DefaultRecheck).
	Recheck time.Duration
	// MaxFilesBytes caps the attachment bytes sent with one lead or comment
	// (default 20 MiB); the rest is listed in a note.
	MaxFilesBytes int
	// BoxConfig, when set, adjusts the IMAP connection config (tests).
	BoxConfig func(*imapbox.Config)
}

// Intake reads one mailbox and turns its mail into tickets. Run owns the
// IMAP connection; ProcessSpooled may be called from elsewhere too.
type Intake struct {
	opts Options
	name string
	clk  clock.Clock
	log  zerolog.Logger

	// procMu serialises processing of spooled mail.
	procMu sync.Mutex
	// fullPolls counts the polls with a full batch since the last finish
	// (Poll's caller owns it: one goroutine at a time).
	fullPolls int

	mu     sync.Mutex
	lastOK time.Time
}

// New checks the options and returns an intake.
func New(opts Options) (*Intake, error) {
	if opts.Store == nil || opts.Outbox == nil || opts.Rules == nil || opts.Tickets == nil {
		return nil, errors.New("mail intake: store, outbox, rules and the ticket engine are required")
	}
	if opts.Mailbox.Name == "" {
		return nil, errors.New("mail intake: the mailbox has no name")
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Schema == nil {
		opts.Schema = func() *schema.Map { return nil }
	}
	if opts.Backoff.Base <= 0 && len(opts.Backoff.Steps) == 0 {
		opts.Backoff = DefaultBackoff()
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Recheck <= 0 {
		opts.Recheck = DefaultRecheck
	}
	if opts.MaxFilesBytes <= 0 {
		opts.MaxFilesBytes = 20 << 20
	}
	if opts.Threading.ReopenWindow <= 0 {
		opts.Threading.ReopenWindow = DefaultReopenWindow
	}
	if opts.Mailbox.Spam == "" {
		opts.Mailbox.Spam = config.SpamSkip
	}
	return &Intake{
		opts: opts,
		name: opts.Mailbox.Name,
		clk:  opts.Clock,
		log:  opts.Log.With().Str("component", "mail").Str("mailbox", opts.Mailbox.Name).Logger(),
	}, nil
}

// Name is the mailbox's name.
func (i *Intake) Name() string { return i.name }

// Health returns the time of the last successful check of the mailbox
// (zero: none yet), for readiness: compare it with the mailbox's
// stale_after.
func (i *Intake) Health() (lastOK time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.lastOK
}

func (i *Intake) setOK(t time.Time) {
	i.mu.Lock()
	i.lastOK = t
	i.mu.Unlock()
	i.opts.Metrics.MailboxChecked(i.name, t)
}

// DefaultBackoff is the mailbox reconnection schedule: 1 s doubling per
// failed attempt up to 5 minutes, spread by ±20% so that many mailboxes do
// not reconnect at once.
func DefaultBackoff() backoff.Policy {
	return backoff.Policy{Base: time.Second, Max: 5 * time.Minute, Jitter: 0.2}
}
