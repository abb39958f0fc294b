package demo

// The demo's private world: the portal simulator, an in-memory IMAP server
// holding the support mailbox, an SMTP server catching the answers, and a
// config + rules in a temporary directory. Everything listens on loopback
// ports chosen by the system.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail/memimap"
)

// Demo mailbox credentials (a private in-memory server on loopback).
const (
	demoMailUser = "support@portal-nedvizhimosti.ru"
	demoMailPass = "demo-mailbox-password"
)

// demoEnv is the running demo world.
type demoEnv struct {
	dir     string
	clk     *clock.Manual
	portal  *sim.Portal
	simURL  string
	imapAdr string
	smtpAdr string
	sent    *demoOutbox
	config  string
	rules   string
	listen  string

	closers []func()
}

// startDemoEnv starts the simulator, the IMAP and SMTP servers and writes the
// config and rules into a new temporary directory.
func startDemoEnv(clk *clock.Manual, loc *time.Location) (*demoEnv, error) {
	dir, err := os.MkdirTemp("", "b24desk-demo-")
	if err != nil {
		return nil, err
	}
	e := &demoEnv{dir: dir, clk: clk, sent: &demoOutbox{}}
	e.closers = append(e.closers, func() { _ = os.RemoveAll(dir) })
	fail := func(err error) (*demoEnv, error) { e.close(); return nil, err }

	// Portal simulator: generous limits, events pushed almost at once.
	e.portal = sim.New(sim.Options{Clock: clk, Location: loc, NoLimits: true, EventDelay: time.Millisecond,
		Domain: "portal-nedvizhimosti.bitrix24.ru"})
	addDemoStaff(e.portal)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	srv := &http.Server{Handler: e.portal, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.simURL = "http://" + ln.Addr().String()
	e.closers = append(e.closers, func() { _ = srv.Close(); e.portal.Close() })

	if err := e.startIMAP(); err != nil {
		return fail(fmt.Errorf("IMAP server: %w", err))
	}
	if err := e.startSMTP(); err != nil {
		return fail(fmt.Errorf("SMTP server: %w", err))
	}
	if err := e.writeFiles(); err != nil {
		return fail(err)
	}
	return e, nil
}

// close stops everything in reverse order and removes the directory.
func (e *demoEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// addDemoStaff creates the users the default rules' pools name.
func addDemoStaff(p *sim.Portal) {
	staff := []struct {
		id         int
		name, last string
	}{
		{11, "Анна", "Смирнова"}, {12, "Борис", "Кузнецов"}, {13, "Вера", "Попова"},
		{21, "Дмитрий", "Волков"}, {31, "Елена", "Соколова"}, {41, "Игорь", "Лебедев"},
		{51, "Кирилл", "Новиков"}, {61, "Лидия", "Морозова"}, {71, "Максим", "Павлов"},
	}
	for _, s := range staff {
		p.AddUser(sim.User{ID: s.id, Name: s.name, LastName: s.last, Active: true,
			Email: fmt.Sprintf("user%d@portal-nedvizhimosti.ru", s.id)})
	}
}

func (e *demoEnv) startIMAP() error {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(demoMailUser, demoMailPass)
	for _, f := range []string{"INBOX", "Processed", "Quarantine", "Sent"} {
		if err := u.Create(f, nil); err != nil {
			return err
		}
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess, ok := mem.NewSession().(imapserver.SessionIMAP4rev2)
			if !ok {
				return nil, nil, errors.New("in-memory IMAP session lacks MOVE/NAMESPACE")
			}
			return memimap.Session{SessionIMAP4rev2: sess}, nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapMove: {}, imap.CapUIDPlus: {},
			imap.CapNamespace: {}},
		InsecureAuth: true,
		Logger:       discardPrintf{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	e.imapAdr = ln.Addr().String()
	e.closers = append(e.closers, func() { _ = srv.Close(); <-done })
	return nil
}

// deliver appends a mail to the support mailbox's INBOX, as the customer's
// mail server would.
func (e *demoEnv) deliver(ctx context.Context, raw []byte, at time.Time) error {
	c, err := imapclient.DialInsecure(e.imapAdr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(demoMailUser, demoMailPass).Wait(); err != nil {
		return err
	}
	cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Time: at})
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if _, err := cmd.Wait(); err != nil {
		return err
	}
	return c.Logout().Wait()
}

func (e *demoEnv) startSMTP() error {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &demoSMTPSession{out: e.sent}, nil
	}))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.MaxMessageBytes = 32 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = s.Serve(ln) }()
	e.smtpAdr = ln.Addr().String()
	e.closers = append(e.closers, func() { _ = s.Close() })
	return nil
}

// writeFiles writes the default rules and a config pointing at the demo
// servers. The daemon listens on a free loopback port.
func (e *demoEnv) writeFiles() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.listen = ln.Addr().String()
	_ = ln.Close()
	if e.rules, err = config.WriteRulesExample(e.dir); err != nil {
		return err
	}
	imapHost, imapPort, _ := net.SplitHostPort(e.imapAdr)
	smtpHost, smtpPort, _ := net.SplitHostPort(e.smtpAdr)
	cfg := fmt.Sprintf(`portal:
  webhook_url: %s
  rate: 1000
  burst: 10000
  timezone: Europe/Moscow
rules:
  path: %s
state:
  dir: %s
http:
  listen: %s
  public_base_url: http://%s
  application_token: %s
  report_token: `+demoReportToken+`
events:
  mode: webhook
reconcile:
  interval: 2s
  sweep_interval: 5s
sla:
  tick: 1h
log:
  level: info
  format: console
mailboxes:
  - name: support
    address: %s
    display_name: Поддержка портала недвижимости
    imap:
      host: %s
      port: %s
      security: plain
      username: %s
      password: %s
    import_since: 2026-03-01
    poll_interval: 1s
    smtp:
      host: %s
      port: %s
      security: plain
      username: %s
      password: %s
`, e.portal.WebhookURL(e.simURL), e.rules, filepath.Join(e.dir, "state"), e.listen, e.listen, e.portal.AppToken(),
		demoMailUser, imapHost, imapPort, demoMailUser, demoMailPass, smtpHost, smtpPort, demoMailUser, demoMailPass)
	e.config = filepath.Join(e.dir, "b24desk.yaml")
	return os.WriteFile(e.config, []byte(cfg), 0o600)
}

// demoOutbox keeps the mails the SMTP server received.
type demoOutbox struct {
	mu    sync.Mutex
	mails []demoMail
}

// demoMail is one mail b24desk sent.
type demoMail struct {
	From string
	To   []string
	Data []byte
}

func (o *demoOutbox) add(m demoMail) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mails = append(o.mails, m)
}

// list returns a copy of the received mails.
func (o *demoOutbox) list() []demoMail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]demoMail(nil), o.mails...)
}

// demoSMTPSession accepts any login and keeps each mail.
type demoSMTPSession struct {
	out  *demoOutbox
	from string
	to   []string
}

func (s *demoSMTPSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *demoSMTPSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}

func (s *demoSMTPSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *demoSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *demoSMTPSession) Data(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, 32<<20))
	if err != nil {
		return err
	}
	if s.from == "" && len(s.to) == 0 {
		return errors.New("no envelope")
	}
	s.out.add(demoMail{From: s.from, To: s.to, Data: b})
	return nil
}

func (s *demoSMTPSession) Reset()        { s.from, s.to = "", nil }
func (s *demoSMTPSession) Logout() error { return nil }

// discardPrintf silences the IMAP server's own log.
type discardPrintf struct{}

func (discardPrintf) Printf(string, ...any) {}
