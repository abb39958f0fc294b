package imapbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// Security is how the connection is protected.
type Security string

// The connection security modes.
const (
	SecurityTLS      Security = "tls"      // implicit TLS (port 993)
	SecurityStartTLS Security = "starttls" // STARTTLS upgrade (port 143)
	SecurityPlain    Security = "plain"    // no TLS: local servers and tests only
)

// AuthMethod is how the Box authenticates.
type AuthMethod string

// The authentication methods.
const (
	AuthLogin   AuthMethod = "login"   // the IMAP LOGIN command (the default)
	AuthPlain   AuthMethod = "plain"   // AUTHENTICATE PLAIN (SASL)
	AuthXOAuth2 AuthMethod = "xoauth2" // AUTHENTICATE XOAUTH2 with Config.Token
)

// Defaults applied by Dial to zero Config fields.
const (
	DefaultFolder       = "INBOX"
	DefaultProcessed    = "Processed"
	DefaultQuarantine   = "Quarantine"
	DefaultPollInterval = time.Minute
	// DefaultIdleRecheck bounds one IDLE: a server that lost a new-mail
	// notice (go-imap's in-memory server can, when mail lands just before
	// IDLE starts) costs at most this delay.
	DefaultIdleRecheck = 5 * time.Minute
	DefaultDialTimeout = 30 * time.Second
	// MaxIdle bounds one IDLE: servers may drop an IDLE client after 30
	// minutes (RFC 2177), so Wait returns before 29 minutes in any case.
	MaxIdle = 25 * time.Minute
)

// Config describes one mailbox connection.
type Config struct {
	// Addr is host:port.
	Addr string
	// Security is tls, starttls or plain.
	Security Security
	// TLSConfig is used for tls and starttls; nil means the system roots
	// with the host name of Addr.
	TLSConfig *tls.Config
	// Username and Password log in; Password is unused with xoauth2.
	Username string
	Password string
	// Auth is login (default), plain or xoauth2.
	Auth AuthMethod
	// Token returns the OAuth2 access token for xoauth2 (from a command or
	// a file: the caller decides); it is asked on every Dial.
	Token func(ctx context.Context) (string, error)
	// Folder is where new mail is read (default INBOX).
	Folder string
	// Processed receives handled mail (default "Processed").
	Processed string
	// Quarantine receives mail that could not be handled (default
	// "Quarantine").
	Quarantine string
	// MaxSize caps the bytes fetched per mail; a larger mail is fetched as
	// its header and first text part only (Fetched.Truncated). Zero means
	// no cap.
	MaxSize int64
	// PollInterval is the Wait period when IDLE is not used (default 1m).
	PollInterval time.Duration
	// IdleRecheck is the longest one IDLE lasts before the mailbox is
	// checked anyway (default 5m, at most MaxIdle).
	IdleRecheck time.Duration
	// DisableIDLE polls even when the server offers IDLE.
	DisableIDLE bool
	// DisableMove uses COPY + \Deleted + UID EXPUNGE even when the server
	// offers MOVE (for servers with a broken MOVE, and for tests).
	DisableMove bool
	// DialTimeout bounds connecting (default 30s).
	DialTimeout time.Duration
	// Logger receives debug lines; the component name is added by Dial.
	Logger zerolog.Logger
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Security == "" {
		c.Security = SecurityTLS
	}
	if c.Auth == "" {
		c.Auth = AuthLogin
	}
	if c.Folder == "" {
		c.Folder = DefaultFolder
	}
	if c.Processed == "" {
		c.Processed = DefaultProcessed
	}
	if c.Quarantine == "" {
		c.Quarantine = DefaultQuarantine
	}
	if c.IdleRecheck <= 0 || c.IdleRecheck > MaxIdle {
		c.IdleRecheck = DefaultIdleRecheck
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	return c
}

// Validate reports every problem of c (after defaults) together.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr is empty"))
	}
	switch c.Security {
	case SecurityTLS, SecurityStartTLS, SecurityPlain:
	default:
		errs = append(errs, fmt.Errorf("security %q: want tls, starttls or plain", c.Security))
	}
	switch c.Auth {
	case AuthLogin, AuthPlain:
	case AuthXOAuth2:
		if c.Token == nil {
			errs = append(errs, errors.New("auth xoauth2 needs a token source"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth %q: want login, plain or xoauth2", c.Auth))
	}
	if c.Username == "" {
		errs = append(errs, errors.New("username is empty"))
	}
	if c.Processed == c.Folder || c.Quarantine == c.Folder || c.Processed == c.Quarantine {
		errs = append(errs, fmt.Errorf("folder %q, processed %q and quarantine %q must differ", c.Folder, c.Processed, c.Quarantine))
	}
	if c.MaxSize < 0 {
		errs = append(errs, errors.New("max size is negative"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}
