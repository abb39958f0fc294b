package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

func TestCheckMailboxes(t *testing.T) {
	s := imaptest.StartMemory(t)
	user, pass := s.NewUser(t)
	s.Append(t, user, pass, "INBOX", imaptest.Mail("a@example.com", "support@example.test", "Old", "old mail"))
	host, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	mb := func(name, password string, since time.Time) config.Mailbox {
		return config.Mailbox{Name: name, Folder: "INBOX", ProcessedFolder: "Processed", QuarantineFolder: "Quarantine",
			PollInterval: time.Minute, ImportSince: since,
			IMAP: config.IMAP{Host: host, Port: p, Security: config.SecurityPlain, Auth: config.AuthLogin,
				Username: user, Password: config.Secret(password)}}
	}
	for _, tc := range []struct {
		name    string
		mb      config.Mailbox
		ok      bool
		want    []string
		notWant string
	}{
		{name: "fine", mb: mb("support", pass, time.Time{}), ok: true,
			want: []string{"✓ mailbox support: login as", "✓ mailbox support: folders \"INBOX\" (1 mails)", "IDLE supported", "first start imports no old mail"}},
		{name: "import since", mb: mb("support", pass, time.Now().AddDate(0, 0, -1)), ok: true,
			want: []string{"would take in 1 mails"}},
		{name: "bad password", mb: mb("support", "wrong-secret-pw", time.Time{}), ok: false,
			want: []string{"✗ mailbox support: login as", "fix: check the imap section of mailbox support"}, notWant: "wrong-secret-pw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &checkEnv{cfg: &config.Config{Mailboxes: []config.Mailbox{tc.mb}}, log: zerolog.Nop()}
			lines := checkMailboxes(context.Background(), env)
			var out strings.Builder
			ok := true
			for _, l := range lines {
				printCheckLine(&out, l)
				ok = ok && l.ok
			}
			text := out.String()
			if ok != tc.ok {
				t.Errorf("all ok = %v, want %v:\n%s", ok, tc.ok, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("no %q in:\n%s", w, text)
				}
			}
			if tc.notWant != "" && strings.Contains(text, tc.notWant) {
				t.Errorf("the password leaked:\n%s", text)
			}
		})
	}
	// No IMAP server: a warning, not a failure.
	lines := checkMailboxes(context.Background(), &checkEnv{cfg: &config.Config{Mailboxes: []config.Mailbox{{Name: "out-only"}}}})
	if len(lines) != 1 || !lines[0].ok || !lines[0].warn {
		t.Errorf("mailbox without IMAP: %+v", lines)
	}
}
