package outbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/config"
)

func TestSenderSendAndClassify(t *testing.T) {
	d := startSMTP(t, "support@example.ru", "s3cret-pass")
	cfg := SMTPConfig{Addr: d.Addr, Security: config.SecurityPlain, Username: "support@example.ru",
		Password: "s3cret-pass", Timeout: 5 * time.Second}
	ctx := context.Background()
	raw := []byte("Subject: hi\r\n\r\nbody\r\n")

	if err := NewSender(cfg).Send(ctx, "support@example.ru", []string{"c@example.com"}, raw); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := d.Received()
	if len(got) != 1 || got[0].From != "support@example.ru" || got[0].To[0] != "c@example.com" || !strings.Contains(string(got[0].Raw), "body") {
		t.Fatalf("received %+v", got)
	}
	if err := NewSender(cfg).Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	if n := len(d.Received()); n != 1 {
		t.Errorf("Check sent mail: %d received", n)
	}

	tests := []struct {
		name      string
		cfg       func(c *SMTPConfig)
		reject    int
		temporary bool
	}{
		{"4xx is temporary", nil, 451, true},
		{"5xx is permanent", nil, 550, false},
		{"bad password is permanent", func(c *SMTPConfig) { c.Password = "wrong" }, 0, false},
		{"refused connection is temporary", func(c *SMTPConfig) { c.Addr = closedAddr(t) }, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			d.Reject(tc.reject, "no thanks")
			defer d.Reject(0, "")
			err := NewSender(c).Send(ctx, "support@example.ru", []string{"c@example.com"}, raw)
			if err == nil {
				t.Fatal("no error")
			}
			if Permanent(err) == tc.temporary {
				t.Errorf("Permanent(%v) = %v", err, Permanent(err))
			}
			if strings.Contains(err.Error(), "s3cret-pass") || strings.Contains(err.Error(), "wrong") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestSMTPConfigForPorts(t *testing.T) {
	for _, tc := range []struct{ security, want string }{
		{config.SecurityTLS, "smtp.example.ru:465"},
		{config.SecuritySTARTTLS, "smtp.example.ru:587"},
		{config.SecurityPlain, "smtp.example.ru:25"},
	} {
		mb := config.Mailbox{SMTP: config.SMTP{Host: "smtp.example.ru", Security: tc.security}}
		if got := SMTPConfigFor(mb).Addr; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.security, got, tc.want)
		}
	}
}

// BenchmarkSend measures one mail over a fresh loopback SMTP connection
// (connect, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT).
func BenchmarkSend(b *testing.B) {
	d := startSMTP(b, "u@example.ru", "pw")
	s := NewSender(SMTPConfig{Addr: d.Addr, Security: config.SecurityPlain, Username: "u@example.ru", Password: "pw"})
	raw := []byte("Subject: hi\r\n\r\n" + strings.Repeat("body line\r\n", 200))
	for b.Loop() {
		if err := s.Send(context.Background(), "u@example.ru", []string{"c@example.com"}, raw); err != nil {
			b.Fatal(err)
		}
	}
}
