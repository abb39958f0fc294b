package outbound

import (
	"crypto/tls"
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
	// mechs are the AUTH mechanisms offered (default PLAIN).
	mechs []string

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
	return startSMTPWith(t, user, pass, nil, nil)
}

// startSMTPWith starts the server with TLS (implicit when implicitTLS,
// else offered as STARTTLS when tlsCfg is set) and AUTH mechanisms.
func startSMTPWith(t testing.TB, user, pass string, tlsCfg *tls.Config, mechs []string, implicitTLS ...bool) *smtpd {
	t.Helper()
	d := &smtpd{user: user, pass: pass, mechs: mechs}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{d: d}, nil }))
	s.TLSConfig = tlsCfg
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ErrorLog = quietLog{}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	var ln net.Listener
	var err error
	if len(implicitTLS) > 0 && implicitTLS[0] {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
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

func (s *session) AuthMechanisms() []string {
	if s.d.mechs != nil {
		return s.d.mechs
	}
	return []string{sasl.Plain}
}

func (s *session) check(user, pass string) error {
	if user != s.d.user || pass != s.d.pass {
		return smtp.ErrAuthFailed
	}
	s.auth = true
	return nil
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech == sasl.Login {
		return &loginServer{check: s.check}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error { return s.check(user, pass) }), nil
}

// loginServer is the server side of AUTH LOGIN (go-sasl has the client only).
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil {
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
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
