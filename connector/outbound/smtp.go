package outbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/b24desk/b24desk/config"
)

// DefaultSMTPTimeout bounds the connection and each SMTP command.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig is how one mailbox's mail leaves.
type SMTPConfig struct {
	// Addr is host:port.
	Addr string
	// Security is config.SecurityTLS, config.SecuritySTARTTLS or
	// config.SecurityPlain (local relays only).
	Security string
	// Username and Password authenticate (AUTH PLAIN, else LOGIN); an
	// empty Username sends without AUTH.
	Username string
	Password string
	// HeloName is the name given in EHLO (default "localhost").
	HeloName string
	// TLSConfig overrides the TLS settings (tests); nil verifies the
	// server's certificate against the system roots.
	TLSConfig *tls.Config
	// Timeout bounds the dial and each command (default DefaultSMTPTimeout).
	Timeout time.Duration
}

// SMTPConfigFor converts a mailbox's smtp section: the default port is 465
// for tls, 587 for starttls and 25 for plain.
func SMTPConfigFor(mb config.Mailbox) SMTPConfig {
	s := mb.SMTP
	port := s.Port
	if port == 0 {
		switch s.Security {
		case config.SecurityTLS:
			port = 465
		case config.SecurityPlain:
			port = 25
		default:
			port = 587
		}
	}
	return SMTPConfig{
		Addr: net.JoinHostPort(s.Host, strconv.Itoa(port)), Security: s.Security,
		Username: s.Username, Password: s.Password.Value(),
	}
}

// Sender is an SMTP client for one mailbox: one connection per mail.
type Sender struct {
	cfg SMTPConfig
}

// NewSender returns a sender; nothing is dialled yet.
func NewSender(cfg SMTPConfig) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	if cfg.Security == "" {
		cfg.Security = config.SecuritySTARTTLS
	}
	return &Sender{cfg: cfg}
}

// SMTPError is an SMTP failure sorted for retrying: Temporary for 4xx
// answers, network failures and timeouts; permanent for 5xx answers. Its
// text never holds the password.
type SMTPError struct {
	Code      int // SMTP reply code, 0 for network failures
	Temporary bool
	Err       error
}

func (e *SMTPError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Code != 0 {
		return fmt.Sprintf("smtp %s failure (%d): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("smtp %s failure: %v", kind, e.Err)
}

func (e *SMTPError) Unwrap() error { return e.Err }

// Permanent reports whether err is an SMTP refusal that retrying will not fix.
func Permanent(err error) bool {
	var se *SMTPError
	return errors.As(err, &se) && !se.Temporary
}

// classify wraps an SMTP client error into *SMTPError.
func classify(step string, err error) error {
	if err == nil {
		return nil
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &SMTPError{Code: se.Code, Temporary: se.Code < 500,
			Err: fmt.Errorf("%s: %s", step, se.Message)}
	}
	// A certificate the client does not trust will not fix itself.
	var cv *tls.CertificateVerificationError
	return &SMTPError{Temporary: !errors.As(err, &cv), Err: fmt.Errorf("%s: %w", step, err)}
}

// Send delivers raw (a complete RFC 5322 message) from the envelope sender
// to the recipients. The mail is accepted when Send returns nil.
func (s *Sender) Send(ctx context.Context, from string, to []string, raw []byte) error {
	if len(to) == 0 {
		return &SMTPError{Err: errors.New("no recipients")}
	}
	c, stop, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer stop()
	var opts *smtp.MailOptions
	if !isASCII(from) || !allASCII(to) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(from, opts); err != nil {
		return s.ctxErr(ctx, classify("MAIL FROM", err))
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return s.ctxErr(ctx, classify("RCPT TO", err))
		}
	}
	w, err := c.Data()
	if err != nil {
		return s.ctxErr(ctx, classify("DATA", err))
	}
	if _, err := w.Write(raw); err != nil {
		return s.ctxErr(ctx, classify("DATA", err))
	}
	if err := w.Close(); err != nil {
		return s.ctxErr(ctx, classify("end of DATA", err))
	}
	_ = c.Quit()
	return nil
}

// Check connects, says EHLO, starts TLS as configured and authenticates;
// no mail is sent.
func (s *Sender) Check(ctx context.Context) error {
	c, stop, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if err := c.Noop(); err != nil {
		return s.ctxErr(ctx, classify("NOOP", err))
	}
	_ = c.Quit()
	return nil
}

// open dials, greets, starts TLS and authenticates. stop closes the
// connection; ctx's end closes it too.
func (s *Sender) open(ctx context.Context) (*smtp.Client, func(), error) {
	host, _, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return nil, nil, &SMTPError{Err: fmt.Errorf("address %q: %w", s.cfg.Addr, err)}
	}
	tlsCfg := s.cfg.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg = tlsCfg.Clone()
		tlsCfg.ServerName = host
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	d := &net.Dialer{Timeout: s.cfg.Timeout}
	var conn net.Conn
	if s.cfg.Security == config.SecurityTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsCfg}).DialContext(dctx, "tcp", s.cfg.Addr)
	} else {
		conn, err = d.DialContext(dctx, "tcp", s.cfg.Addr)
	}
	if err != nil {
		return nil, nil, s.ctxErr(ctx, classify("connect to "+s.cfg.Addr, err))
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = conn.Close()
		case <-done:
		}
	}()
	var c *smtp.Client
	stop := func() {
		close(done)
		if c != nil {
			_ = c.Close()
		} else {
			_ = conn.Close()
		}
	}
	if s.cfg.Security == config.SecuritySTARTTLS {
		c, err = smtp.NewClientStartTLS(conn, tlsCfg)
		if err != nil {
			c = nil
			stop()
			return nil, nil, s.ctxErr(ctx, classify("STARTTLS", err))
		}
	} else {
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout, c.SubmissionTimeout = s.cfg.Timeout, 2*s.cfg.Timeout
	if s.cfg.HeloName != "" {
		if err := c.Hello(s.cfg.HeloName); err != nil {
			stop()
			return nil, nil, s.ctxErr(ctx, classify("EHLO", err))
		}
	}
	if s.cfg.Username != "" {
		if err := s.auth(c); err != nil {
			stop()
			return nil, nil, s.ctxErr(ctx, err)
		}
	}
	return c, stop, nil
}

func (s *Sender) auth(c *smtp.Client) error {
	var a sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		a = sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)
	case c.SupportsAuth(sasl.Login):
		a = sasl.NewLoginClient(s.cfg.Username, s.cfg.Password)
	default:
		if ok, _ := c.Extension("AUTH"); !ok {
			// Also an EHLO failure lands here: report it as such.
			if err := c.Noop(); err != nil {
				return classify("EHLO", err)
			}
		}
		return &SMTPError{Err: errors.New("the server offers neither AUTH PLAIN nor AUTH LOGIN (over TLS?)")}
	}
	return classify("AUTH", c.Auth(a))
}

// ctxErr prefers the context's error: a cancelled send is temporary.
func (s *Sender) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &SMTPError{Temporary: true, Err: fmt.Errorf("%w (%v)", ctx.Err(), err)}
	}
	return err
}

func isASCII(s string) bool {
	return !bytes.ContainsFunc([]byte(s), func(r rune) bool { return r >= 0x80 })
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
