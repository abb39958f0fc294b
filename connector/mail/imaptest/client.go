package imaptest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Dial logs in as user and returns a raw go-imap client, closed on
// t.Cleanup; for tests that need a second connection of their own.
func (s *Server) Dial(t testing.TB, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := s.login(user, pass)
	if err != nil {
		t.Fatalf("imaptest: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (s *Server) login(user, pass string) (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.Addr, err)
	}
	if err := c.Login(user, pass).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("login %s: %w", user, err)
	}
	return c, nil
}

// withClient runs fn on a fresh logged-in connection and logs out.
func (s *Server) withClient(t testing.TB, user, pass string, fn func(c *imapclient.Client) error) {
	t.Helper()
	c, err := s.login(user, pass)
	if err != nil {
		t.Fatalf("imaptest: %v", err)
	}
	defer func() { _ = c.Close() }()
	if err := fn(c); err != nil {
		t.Fatalf("imaptest: %v", err)
	}
	_ = c.Logout().Wait()
}

// CreateFolder creates a mailbox folder for user.
func (s *Server) CreateFolder(t testing.TB, user, pass, folder string) {
	t.Helper()
	s.withClient(t, user, pass, func(c *imapclient.Client) error {
		if err := c.Create(folder, nil).Wait(); err != nil {
			return fmt.Errorf("create %q: %w", folder, err)
		}
		return nil
	})
}

// Folders lists user's folder names.
func (s *Server) Folders(t testing.TB, user, pass string) []string {
	t.Helper()
	var names []string
	s.withClient(t, user, pass, func(c *imapclient.Client) error {
		list, err := c.List("", "*", nil).Collect()
		if err != nil {
			return fmt.Errorf("list folders: %w", err)
		}
		for _, l := range list {
			names = append(names, l.Mailbox)
		}
		return nil
	})
	return names
}

// Append stores raw in folder (no flags) and returns its UID.
func (s *Server) Append(t testing.TB, user, pass, folder string, raw []byte) uint32 {
	t.Helper()
	var uid uint32
	s.withClient(t, user, pass, func(c *imapclient.Client) error {
		var err error
		uid, err = appendOne(c, folder, raw, nil)
		return err
	})
	return uid
}

// AppendMany stores n messages made by gen(i) into folder over one
// connection, pipelining the APPENDs; for benchmarks and bulk scenes.
func (s *Server) AppendMany(t testing.TB, user, pass, folder string, n int, gen func(i int) []byte) {
	t.Helper()
	const window = 32 // APPENDs in flight at once
	s.withClient(t, user, pass, func(c *imapclient.Client) error {
		pending := make([]*imapclient.AppendCommand, 0, window)
		flush := func() error {
			var errs []error
			for _, cmd := range pending {
				if _, err := cmd.Wait(); err != nil {
					errs = append(errs, err)
				}
			}
			pending = pending[:0]
			return errors.Join(errs...)
		}
		for i := range n {
			raw := gen(i)
			cmd := c.Append(folder, int64(len(raw)), nil)
			if _, err := cmd.Write(raw); err != nil {
				return fmt.Errorf("append %d: %w", i, err)
			}
			if err := cmd.Close(); err != nil {
				return fmt.Errorf("append %d: %w", i, err)
			}
			pending = append(pending, cmd)
			if len(pending) == window {
				if err := flush(); err != nil {
					return fmt.Errorf("append: %w", err)
				}
			}
		}
		if err := flush(); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		return nil
	})
}

func appendOne(c *imapclient.Client, folder string, raw []byte, opts *imap.AppendOptions) (uint32, error) {
	cmd := c.Append(folder, int64(len(raw)), opts)
	if _, err := cmd.Write(raw); err != nil {
		return 0, fmt.Errorf("append to %q: %w", folder, err)
	}
	if err := cmd.Close(); err != nil {
		return 0, fmt.Errorf("append to %q: %w", folder, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		return 0, fmt.Errorf("append to %q: %w", folder, err)
	}
	return uint32(data.UID), nil
}

// List returns every message of folder in UID order with its flags and raw
// bytes, read with BODY.PEEK[] so listing does not change any flag.
func (s *Server) List(t testing.TB, user, pass, folder string) []MessageInfo {
	t.Helper()
	var out []MessageInfo
	s.withClient(t, user, pass, func(c *imapclient.Client) error {
		sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			return fmt.Errorf("select %q: %w", folder, err)
		}
		if sel.NumMessages == 0 {
			return nil
		}
		section := &imap.FetchItemBodySection{Peek: true}
		var all imap.SeqSet
		all.AddRange(1, 0) // 1:*
		msgs, err := c.Fetch(all, &imap.FetchOptions{
			UID:         true,
			Flags:       true,
			BodySection: []*imap.FetchItemBodySection{section},
		}).Collect()
		if err != nil {
			return fmt.Errorf("fetch %q: %w", folder, err)
		}
		for _, m := range msgs {
			info := MessageInfo{UID: uint32(m.UID), Raw: m.FindBodySection(section)}
			for _, f := range m.Flags {
				info.Flags = append(info.Flags, string(f))
			}
			out = append(out, info)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b MessageInfo) int { return cmp.Compare(a.UID, b.UID) })
	return out
}

// Mail builds a small, valid RFC 5322 message for tests.
func Mail(from, to, subject, body string) []byte {
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s.%d@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		from, to, subject, time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC).Format(time.RFC1123Z), sanitizeID(subject), len(body), body)
}

func sanitizeID(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return "m"
	}
	return string(b)
}
