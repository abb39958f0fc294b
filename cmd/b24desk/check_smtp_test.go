package main

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/rules"
)

type nopSession struct{}

func (nopSession) Reset()                               {}
func (nopSession) Logout() error                        { return nil }
func (nopSession) Mail(string, *smtp.MailOptions) error { return errors.New("no mail in a check") }
func (nopSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (nopSession) Data(io.Reader) error                 { return nil }

func TestCheckSMTP(t *testing.T) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return nopSession{}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	_, deadPort, _ := net.SplitHostPort(dead.Addr().String())
	_ = dead.Close()
	dp, _ := strconv.Atoi(deadPort)

	r, _, err := rules.Parse("r.yaml", []byte("version: 1\ntypes: [{code: T, name: T}]\nclassify: [{set: {type: T}}]\ntemplates: [{name: ack, text: hi}]\n"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Mailboxes: []config.Mailbox{
		{Name: "ok", SMTP: config.SMTP{Host: host, Port: p, Security: config.SecurityPlain}, Ack: config.Ack{Enabled: true, Template: "ack"}},
		{Name: "down", SMTP: config.SMTP{Host: host, Port: dp, Security: config.SecurityPlain, Username: "u", Password: "smtp-secret-pw"}},
		{Name: "noack", SMTP: config.SMTP{Host: host, Port: p, Security: config.SecurityPlain}, Ack: config.Ack{Enabled: true, Template: "missing"}},
		{Name: "none"},
	}}
	lines := checkSMTP(context.Background(), &checkEnv{cfg: cfg, rules: r})
	var out strings.Builder
	for _, l := range lines {
		printCheckLine(&out, l)
	}
	text := out.String()
	for _, want := range []string{"✓ smtp ok:", "✗ smtp down:", "acknowledgement template \"missing\"", "! smtp none:"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "smtp-secret-pw") {
		t.Errorf("password printed:\n%s", text)
	}
}
