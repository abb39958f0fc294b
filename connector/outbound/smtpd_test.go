package outbound

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpd is a real SMTP server (go-smtp) on 127.0.0.1:0 that keeps what it
// receives; reject makes it answer DATA with an error code.
type smtpd struct {
	Addr string

	mu       sync.Mutex
	received []received
	reject   *smtp.SMTPError
	user     string
	pass     string
	// afterData, when set, runs after a mail was accepted (crash tests).
	afterData func()
}

type received struct {
	From string
	To   []string
	Raw  []byte
}

func startSMTP(t testing.TB, user, pass string) *smtpd {
	t.Helper()
	d := &smtpd{user: user, pass: pass}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{d: d}, nil }))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ErrorLog = quietLog{}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.Addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return d
}

func (d *smtpd) Reject(code int, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if code == 0 {
		d.reject = nil
		return
	}
	d.reject = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

func (d *smtpd) Received() []received {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]received(nil), d.received...)
}

type session struct {
	d    *smtpd
	from string
	to   []string
	auth bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.d.user || pass != s.d.pass {
			return smtp.ErrAuthFailed
		}
		s.auth = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.d.user != "" && !s.auth {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.d.reject != nil {
		return s.d.reject
	}
	s.d.received = append(s.d.received, received{From: s.from, To: s.to, Raw: raw})
	if s.d.afterData != nil {
		s.d.afterData()
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// quietLog drops the server's connection errors (tests cut connections).
type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}
