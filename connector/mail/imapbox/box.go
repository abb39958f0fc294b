package imapbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/rs/zerolog"
)

// logoutTimeout bounds the polite LOGOUT in Close.
const logoutTimeout = 2 * time.Second

// Box is one authenticated connection to one mailbox.
type Box struct {
	cfg Config
	log zerolog.Logger
	c   *imapclient.Client

	selected bool
	// exists gets a signal when the server reports EXISTS (new mail).
	exists chan struct{}
}

// Dial connects, authenticates and returns a Box; nothing is selected yet.
func Dial(ctx context.Context, cfg Config) (*Box, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := &Box{
		cfg:    cfg,
		log:    cfg.Logger.With().Str("component", "imapbox").Str("account", cfg.Username+"@"+cfg.Addr).Logger(),
		exists: make(chan struct{}, 1),
	}
	opts := &imapclient.Options{
		TLSConfig: cfg.TLSConfig,
		Dialer:    &net.Dialer{Timeout: cfg.DialTimeout},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: b.onMailbox,
		},
	}
	c, err := dialClient(ctx, cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("imapbox: connect to %s (%s): %w", cfg.Addr, cfg.Security, err)
	}
	b.c = c
	defer b.guard(ctx)()
	if err := c.WaitGreeting(); err != nil {
		_ = c.Close()
		return nil, b.ctxErr(ctx, fmt.Errorf("imapbox: greeting from %s: %w", cfg.Addr, err))
	}
	if err := b.authenticate(ctx); err != nil {
		_ = c.Close()
		return nil, b.ctxErr(ctx, err)
	}
	b.log.Debug().Bool("idle", b.HasIDLE()).Bool("move", b.hasMove()).Msg("logged in")
	return b, nil
}

func dialClient(ctx context.Context, cfg Config, opts *imapclient.Options) (*imapclient.Client, error) {
	type result struct {
		c   *imapclient.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		switch cfg.Security {
		case SecurityTLS:
			r.c, r.err = imapclient.DialTLS(cfg.Addr, opts)
		case SecurityStartTLS:
			r.c, r.err = imapclient.DialStartTLS(cfg.Addr, opts)
		default:
			r.c, r.err = imapclient.DialInsecure(cfg.Addr, opts)
		}
		done <- r
	}()
	select {
	case r := <-done:
		return r.c, r.err
	case <-ctx.Done():
		go func() { // close the late connection, if any
			if r := <-done; r.c != nil {
				_ = r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func (b *Box) authenticate(ctx context.Context) error {
	cfg := b.cfg
	var err error
	switch cfg.Auth {
	case AuthPlain:
		if !b.c.Caps().Has(imap.Cap("AUTH=PLAIN")) {
			return fmt.Errorf("imapbox: %s does not offer AUTHENTICATE PLAIN: %w", cfg.Addr, ErrNotSupported)
		}
		err = b.c.Authenticate(sasl.NewPlainClient("", cfg.Username, cfg.Password))
	case AuthXOAuth2:
		if !b.c.Caps().Has(imap.Cap("AUTH=XOAUTH2")) {
			return fmt.Errorf("imapbox: %s does not offer AUTHENTICATE XOAUTH2: %w", cfg.Addr, ErrNotSupported)
		}
		token, terr := cfg.Token(ctx)
		if terr != nil {
			return fmt.Errorf("imapbox: get the OAuth2 token for %q: %w", cfg.Username, terr)
		}
		err = b.c.Authenticate(&xoauth2Client{user: cfg.Username, token: token})
	default:
		err = b.c.Login(cfg.Username, cfg.Password).Wait()
	}
	if err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			// A NO/BAD from the server: its text never echoes the secret.
			return fmt.Errorf("imapbox: log in as %q on %s (%s): %w: %s", cfg.Username, cfg.Addr, cfg.Auth, ErrAuthFailed, imapErr.Text)
		}
		return fmt.Errorf("imapbox: log in as %q on %s (%s): %w", cfg.Username, cfg.Addr, cfg.Auth, err)
	}
	return nil
}

// HasIDLE reports whether Wait uses IDLE (the server offers it and the
// config does not disable it).
func (b *Box) HasIDLE() bool {
	if b.cfg.DisableIDLE {
		return false
	}
	caps := b.c.Caps()
	return caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
}

func (b *Box) hasMove() bool {
	caps := b.c.Caps()
	return !b.cfg.DisableMove && (caps.Has(imap.CapMove) || caps.Has(imap.CapIMAP4rev2))
}

func (b *Box) hasUIDPlus() bool {
	caps := b.c.Caps()
	return caps.Has(imap.CapUIDPlus) || caps.Has(imap.CapIMAP4rev2)
}

// Config returns the Box's config with defaults applied.
func (b *Box) Config() Config { return b.cfg }

// Close logs out (briefly) and closes the connection.
func (b *Box) Close() error {
	if b == nil || b.c == nil {
		return nil
	}
	select {
	case <-b.c.Closed():
		return nil
	default:
	}
	logout := make(chan struct{})
	go func() {
		_ = b.c.Logout().Wait()
		close(logout)
	}()
	select {
	case <-logout:
	case <-b.c.Closed():
	case <-time.After(logoutTimeout):
	}
	if err := b.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("imapbox: close: %w", err)
	}
	return nil
}

// guard closes the connection if ctx ends while a command runs; call the
// returned func when the command is over.
func (b *Box) guard(ctx context.Context) func() {
	stop := context.AfterFunc(ctx, func() { _ = b.c.Close() })
	return func() { stop() }
}

// ctxErr prefers the context's error when it caused err.
func (b *Box) ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

// onMailbox runs on the client's reader goroutine for unilateral EXISTS.
// Every EXISTS wakes Wait: comparing counts misses new mail after our own
// UID EXPUNGE (whose EXPUNGE responses the client keeps to the command),
// and a spurious wake costs one empty fetch.
func (b *Box) onMailbox(d *imapclient.UnilateralDataMailbox) {
	if d.NumMessages == nil {
		return
	}
	select {
	case b.exists <- struct{}{}:
	default:
	}
}
