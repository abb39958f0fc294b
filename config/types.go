package config

import (
	"time"
)

// Config is the whole daemon configuration, after defaults, environment
// overrides, secret files and path resolution.
type Config struct {
	Portal    Portal        `yaml:"portal"`
	Rules     Rules         `yaml:"rules"`
	State     State         `yaml:"state"`
	HTTP      HTTP          `yaml:"http"`
	Events    Events        `yaml:"events"`
	Reconcile Reconcile     `yaml:"reconcile"`
	SLA       SLA           `yaml:"sla"`
	Retention time.Duration `yaml:"retention"`
	// HistoryRetention is how long a closed ticket's history (no mail
	// content) is kept for reports.
	HistoryRetention time.Duration `yaml:"history_retention"`
	Log              Log           `yaml:"log"`
	Mailboxes        []Mailbox     `yaml:"mailboxes"`
	Outbox           Outbox        `yaml:"outbox"`
	Threading        Threading     `yaml:"threading"`
	Spamd            Spamd         `yaml:"spamd"`

	// File is the absolute path of the loaded config file.
	File string `yaml:"-"`
}

// Auth modes of the portal connection, as returned by Portal.AuthMode.
const (
	AuthWebhook = "webhook"
	AuthOAuth   = "oauth"
)

// Portal says how to reach the Bitrix24 portal: an inbound webhook URL, or an
// OAuth application (client ID and secret, OAuth server, REST endpoint).
type Portal struct {
	// WebhookURL is the inbound webhook, https://HOST/rest/USER_ID/SECRET/.
	WebhookURL Secret `yaml:"webhook_url"`
	// ClientID and ClientSecret identify a local or market application.
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	// OAuthServer refreshes tokens (default https://oauth.bitrix.info).
	OAuthServer string `yaml:"oauth_server"`
	// Endpoint is the portal REST base in OAuth mode, e.g. https://HOST/rest/.
	Endpoint string `yaml:"endpoint"`
	// Plan picks the leaky-bucket limits: standard (2/s, 50) or enterprise (5/s, 250).
	Plan string `yaml:"plan"`
	// Rate (requests per second) and Burst override the plan's limits.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
	// Timezone is the portal's IANA time zone (default Europe/Moscow).
	Timezone string `yaml:"timezone"`
	// RequestTimeout bounds one REST request.
	RequestTimeout time.Duration `yaml:"request_timeout"`

	// Location is Timezone loaded.
	Location *time.Location `yaml:"-"`
}

// AuthMode tells whether the portal is reached by webhook (AuthWebhook) or
// as an OAuth application (AuthOAuth).
func (p Portal) AuthMode() string {
	if p.WebhookURL != "" {
		return AuthWebhook
	}
	return AuthOAuth
}

// Rules locates the rules file.
type Rules struct {
	// Path of the rules file (default rules.yaml beside the config file).
	Path string `yaml:"path" b24:"path"`
}

// State locates the state: the SQLite state directory, or a PostgreSQL
// database shared by several nodes.
type State struct {
	// Dir holds the database, the lock and spooled mail (default "state"
	// beside the config file).
	Dir string `yaml:"dir" b24:"path"`
	// PostgresURL, when set, keeps the state in PostgreSQL instead
	// (postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=...); Dir is unused.
	PostgresURL Secret `yaml:"postgres_url"`
}

// HTTP configures the daemon's HTTP server (events, health, metrics).
type HTTP struct {
	// Listen is host:port (default 127.0.0.1:8080, loopback only).
	Listen string `yaml:"listen"`
	// PublicBaseURL is how the portal reaches this server (for event.bind).
	PublicBaseURL string `yaml:"public_base_url"`
	// ApplicationToken authenticates posted portal events.
	ApplicationToken Secret `yaml:"application_token"`
	// ReportToken opens the /report page (Authorization: Bearer, or a
	// link signed with it by b24desk report --link); empty: no page.
	ReportToken Secret `yaml:"report_token"`
}

// Event intake modes.
const (
	EventsWebhook = "webhook"
	EventsOffline = "offline"
	EventsPoll    = "poll"
)

// Events says how portal changes reach the daemon.
type Events struct {
	// Mode is webhook (the portal posts events), offline (event.offline.get,
	// OAuth app only) or poll (reconcile only).
	Mode string `yaml:"mode"`
	// OfflineInterval is how often offline events are fetched.
	OfflineInterval time.Duration `yaml:"offline_interval"`
}

// Reconcile configures the catch-up scans of the portal.
type Reconcile struct {
	// Interval between scans of leads modified since the last one.
	Interval time.Duration `yaml:"interval"`
	// Margin is subtracted from the last seen DATE_MODIFY.
	Margin time.Duration `yaml:"margin"`
	// SweepInterval between full sweeps of open tickets by ID.
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

// SLA configures the SLA scheduler.
type SLA struct {
	// Tick is how often due deadlines are looked for.
	Tick time.Duration `yaml:"tick"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json or console.
	Format string `yaml:"format"`
}

// Outbox configures the durable write queue.
type Outbox struct {
	// LookupDelay is how long to wait after an unknown outcome before asking
	// the portal whether the write happened.
	LookupDelay time.Duration `yaml:"lookup_delay"`
	// AlertUsers are the portal user IDs (admins) who get one Bitrix24
	// notification for each write that is parked.
	AlertUsers []int `yaml:"alert_users"`
}

// Spamd says where SpamAssassin's spamd runs; new mail is checked there
// when Address is set (docs/mail.md "Spam filter").
type Spamd struct {
	// Address is host:port or the path of spamd's unix socket ("": no
	// spam check).
	Address string `yaml:"address"`
	// Timeout bounds one request to spamd.
	Timeout time.Duration `yaml:"timeout"`
	// MaxSize: larger mails are not checked (spamc's default, 500KiB).
	MaxSize Size `yaml:"max_size"`
}

// Enabled reports whether mail is checked by spamd.
func (s Spamd) Enabled() bool { return s.Address != "" }

// Threading configures how replies find their ticket.
type Threading struct {
	// TagFormat is the subject tag; it contains {id} once (default "[#{id}]").
	TagFormat string `yaml:"tag_format"`
	// ReopenWindow is how long after closing a reply reopens the ticket.
	ReopenWindow time.Duration `yaml:"reopen_window"`
}
