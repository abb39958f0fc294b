package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/b24desk/b24desk/connector/mail/imapbox"
)

// SentFolder keeps a copy of every mail sent, and answers whether a mail
// is already there (the crash check before sending again).
type SentFolder interface {
	Append(ctx context.Context, raw []byte, at time.Time) error
	Contains(ctx context.Context, messageID string) (bool, error)
}

// IMAPSent is a mailbox's Sent folder over IMAP: one short connection per
// call, with the intake's connection settings (imapbox.Config).
type IMAPSent struct {
	cfg    imapbox.Config
	folder string
}

// NewIMAPSent returns the Sent folder named folder of the mailbox reached
// with cfg (as mail.BoxConfig builds it).
func NewIMAPSent(cfg imapbox.Config, folder string) *IMAPSent {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = imapbox.DefaultDialTimeout
	}
	return &IMAPSent{cfg: cfg, folder: folder}
}

// Append stores raw in the folder, marked \Seen, creating the folder when
// it is missing.
func (s *IMAPSent) Append(ctx context.Context, raw []byte, at time.Time) error {
	c, stop, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if err := c.Create(s.folder, nil).Wait(); err != nil && !alreadyExists(err) {
		return fmt.Errorf("sent folder: create %q: %w", s.folder, err)
	}
	cmd := c.Append(s.folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: at})
	if _, err := cmd.Write(raw); err != nil {
		return fmt.Errorf("sent folder: append to %q: %w", s.folder, err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("sent folder: append to %q: %w", s.folder, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("sent folder: append to %q: %w", s.folder, err)
	}
	return nil
}

// Contains reports whether a mail with the Message-ID (without angle
// brackets) is in the folder. A missing folder holds nothing.
func (s *IMAPSent) Contains(ctx context.Context, messageID string) (bool, error) {
	c, stop, err := s.dial(ctx)
	if err != nil {
		return false, err
	}
	defer stop()
	if _, err := c.Select(s.folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			return false, nil
		}
		return false, fmt.Errorf("sent folder: select %q: %w", s.folder, err)
	}
	crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: messageID}}}
	data, err := c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("sent folder: search %q: %w", s.folder, err)
	}
	return len(data.AllUIDs()) > 0, nil
}

func (s *IMAPSent) dial(ctx context.Context) (*imapclient.Client, func(), error) {
	opts := &imapclient.Options{TLSConfig: s.cfg.TLSConfig, Dialer: &net.Dialer{Timeout: s.cfg.DialTimeout}}
	var c *imapclient.Client
	var err error
	switch s.cfg.Security {
	case imapbox.SecurityStartTLS:
		c, err = imapclient.DialStartTLS(s.cfg.Addr, opts)
	case imapbox.SecurityPlain:
		c, err = imapclient.DialInsecure(s.cfg.Addr, opts)
	default:
		c, err = imapclient.DialTLS(s.cfg.Addr, opts)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sent folder: connect to %s: %w", s.cfg.Addr, err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = c.Close()
		case <-done:
		}
	}()
	stop := func() {
		close(done)
		_ = c.Logout().Wait()
		_ = c.Close()
	}
	switch s.cfg.Auth {
	case imapbox.AuthPlain:
		err = c.Authenticate(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password))
	case imapbox.AuthXOAuth2:
		var token string
		if s.cfg.Token == nil {
			err = errors.New("no token source")
		} else if token, err = s.cfg.Token(ctx); err == nil {
			err = c.Authenticate(xoauth2{user: s.cfg.Username, token: token})
		}
	default:
		err = c.Login(s.cfg.Username, s.cfg.Password).Wait()
	}
	if err != nil {
		stop()
		var ie *imap.Error
		if errors.As(err, &ie) {
			return nil, nil, fmt.Errorf("sent folder: log in as %q: %s", s.cfg.Username, ie.Text)
		}
		return nil, nil, fmt.Errorf("sent folder: log in as %q: %w", s.cfg.Username, err)
	}
	return c, stop, nil
}

func alreadyExists(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && (ie.Code == imap.ResponseCodeAlreadyExists ||
		strings.Contains(strings.ToLower(ie.Text), "exists"))
}

// xoauth2 is the SASL XOAUTH2 mechanism (one initial response).
type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }
