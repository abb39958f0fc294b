package config

import "time"

// Connection security of IMAP and SMTP.
const (
	SecurityTLS      = "tls"
	SecuritySTARTTLS = "starttls"
	SecurityPlain    = "plain"
)

// IMAP authentication mechanisms.
const (
	AuthLogin   = "login"
	AuthPlain   = "plain"
	AuthXOAuth2 = "xoauth2"
)

// What to do with mail flagged as spam.
const (
	SpamSkip = "skip"
	SpamJunk = "junk"
)

// Mailbox is one support mailbox: where mail comes in (IMAP) and, optionally,
// how answers go out (SMTP).
type Mailbox struct {
	// Name identifies the mailbox in logs, metrics and the state.
	Name string `yaml:"name"`
	// Address is the mailbox's e-mail address (From of answers).
	Address string `yaml:"address"`
	// DisplayName is the support team's name shown in From.
	DisplayName string `yaml:"display_name"`
	IMAP        IMAP   `yaml:"imap"`
	// Folder is read for new mail (default INBOX).
	Folder string `yaml:"folder"`
	// ProcessedFolder receives handled mail (default Processed).
	ProcessedFolder string `yaml:"processed_folder"`
	// QuarantineFolder receives mail that could not be used (default Quarantine).
	QuarantineFolder string `yaml:"quarantine_folder"`
	// SentFolder, when set, gets a copy of every answer sent.
	SentFolder string `yaml:"sent_folder"`
	// LeaveInPlace keeps handled mail in Folder (marked \Seen).
	LeaveInPlace bool `yaml:"leave_in_place"`
	// PollInterval is used when the server has no IDLE.
	PollInterval time.Duration `yaml:"poll_interval"`
	// StaleAfter: a mailbox not checked successfully for this long is reported.
	StaleAfter time.Duration `yaml:"stale_after"`
	// ImportSince, when set, imports mail received since that date on first start.
	ImportSince time.Time `yaml:"import_since"`
	// MaxSize caps a mail's size (default 25MiB).
	MaxSize Size `yaml:"max_size"`
	// Spam is skip or junk.
	Spam string `yaml:"spam"`
	// CCParticipants copies known participants on staff answers.
	CCParticipants bool `yaml:"cc_participants"`
	Ack            Ack  `yaml:"ack"`
	SMTP           SMTP `yaml:"smtp"`
}

// IMAP is how a mailbox is read.
type IMAP struct {
	Host string `yaml:"host"`
	// Port defaults to 993 for tls, 143 otherwise.
	Port int `yaml:"port"`
	// Security is tls, starttls or plain.
	Security string `yaml:"security"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// Auth is login, plain or xoauth2.
	Auth string `yaml:"auth"`
	// TokenFile or TokenCommand give the XOAUTH2 access token; both are read
	// again at each login.
	TokenFile    string `yaml:"token_file" b24:"path"`
	TokenCommand string `yaml:"token_command"`
}

// Default acknowledgement caps (a zero cap in a Mailbox built in code
// means the default).
const (
	DefaultAckDailyCap        = 3
	DefaultAckDomainHourlyCap = 10
	DefaultAckHourlyCap       = 100
)

// Ack configures the automatic acknowledgement of new tickets.
type Ack struct {
	Enabled bool `yaml:"enabled"`
	// Template names a template of the rules file.
	Template string `yaml:"template"`
	// DailyCap is the most acknowledgements per sender and day.
	DailyCap int `yaml:"daily_cap"`
	// DomainHourlyCap is the most acknowledgements per sender domain and
	// clock hour: a responder that varies its address stays bounded.
	DomainHourlyCap int `yaml:"domain_hourly_cap"`
	// HourlyCap is the most acknowledgements of the mailbox per clock hour.
	HourlyCap int `yaml:"hourly_cap"`
}

// SMTP is how answers leave a mailbox; an empty Host means no outbound mail.
type SMTP struct {
	Host string `yaml:"host"`
	// Port defaults to 465 for tls, 587 for starttls, 25 for plain.
	Port int `yaml:"port"`
	// Security is tls, starttls or plain.
	Security string `yaml:"security"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// Enabled tells whether outbound mail is configured.
func (s SMTP) Enabled() bool { return s.Host != "" }

func (m *Mailbox) setDefaults() {
	m.Folder = "INBOX"
	m.ProcessedFolder = "Processed"
	m.QuarantineFolder = "Quarantine"
	m.PollInterval = time.Minute
	m.StaleAfter = 10 * time.Minute
	m.MaxSize = 25 * MiB
	m.Spam = SpamSkip
	m.CCParticipants = true
	m.IMAP.Security = SecurityTLS
	m.IMAP.Auth = AuthLogin
	m.Ack.DailyCap = DefaultAckDailyCap
	m.Ack.DomainHourlyCap = DefaultAckDomainHourlyCap
	m.Ack.HourlyCap = DefaultAckHourlyCap
	m.SMTP.Security = SecuritySTARTTLS
}
