package outbound

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/desk"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/mail"
	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/rating"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// t0 is a Tuesday, 11:00 Moscow time.
var t0 = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

// env is one outbound test: the portal simulator over HTTP, an IMAP server
// user (intake and Sent folder), a real SMTP server, a real state and
// outbox, the intake and outbound, a manual clock.
type env struct {
	t          testing.TB
	imap       *imaptest.Server
	user, pass string
	clk        *clock.Manual
	portal     *sim.Portal
	client     *bitrix.Client
	smtp       *smtpd
	dir        string
	st         *store.Store
	ob         *outbox.Outbox
	schema     *schema.Map
	rules      *rules.Rules
	tickets    *fakeTickets
	mb         config.Mailbox
	in         *mail.Intake
	out        *Outbound
	sink       events.Sink
	box        *imapbox.Box
	cur        store.Cursor
	// sent wraps the Sent folder (crash simulation).
	sent func(SentFolder) SentFolder
	// ratings are built by open when ratingsURL is set ("-": without a
	// public URL), and rateHandler serves their page.
	ratingsURL  string
	ratings     *rating.Ratings
	rateHandler http.Handler
}

// fakeTickets is the real ticket engine opening tickets, with customer
// replies and staff answers only counted.
type fakeTickets struct {
	*desk.Engine
	mu       sync.Mutex
	customer []int64
	staff    []int64
}

func (f *fakeTickets) CustomerReplied(_ context.Context, _ *store.Tx, leadID int64, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.customer = append(f.customer, leadID)
	return nil
}

func (f *fakeTickets) StaffReplied(_ context.Context, _ *store.Tx, leadID int64, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.staff = append(f.staff, leadID)
	return nil
}

func (f *fakeTickets) counts() (customer, staff int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.customer), len(f.staff)
}

func newEnv(t testing.TB, s *imaptest.Server, mod func(mb *config.Mailbox)) *env {
	t.Helper()
	e := &env{t: t, imap: s, clk: clock.NewManual(t0), dir: t.TempDir(), tickets: &fakeTickets{}}
	e.user, e.pass = s.NewUser(t)
	e.smtp = startSMTP(t, e.user, e.pass)
	e.portal = sim.New(sim.Options{Clock: e.clk, NoLimits: true})
	t.Cleanup(e.portal.Close)
	srv := httptest.NewServer(e.portal)
	t.Cleanup(srv.Close)
	var err error
	e.client, err = bitrix.New(bitrix.Config{WebhookURL: e.portal.WebhookURL(srv.URL),
		Timeout: 15 * time.Second, MaxRetries: -1, Clock: e.clk}) // a batch of 50 writes takes seconds under -race on a busy machine
	if err != nil {
		t.Fatal(err)
	}
	e.rules, _, err = rules.Load(filepath.Join("..", "..", "config", "rules.example.yaml"), t0)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	shost, sport, _ := net.SplitHostPort(e.smtp.Addr)
	sp, _ := strconv.Atoi(sport)
	e.mb = config.Mailbox{Name: "support", Address: e.user, DisplayName: "Служба поддержки",
		Folder: "INBOX", ProcessedFolder: "Processed", QuarantineFolder: "Quarantine",
		MaxSize: 25 * config.MiB, Spam: config.SpamSkip, PollInterval: time.Second, CCParticipants: true,
		IMAP: config.IMAP{Host: host, Port: p, Security: config.SecurityPlain, Auth: config.AuthLogin,
			Username: e.user, Password: config.Secret(e.pass)},
		SMTP: config.SMTP{Host: shost, Port: sp, Security: config.SecurityPlain,
			Username: e.user, Password: config.Secret(e.pass)},
		Ack: config.Ack{Template: "ack", DailyCap: 3},
	}
	if mod != nil {
		mod(&e.mb)
	}
	e.open()
	e.setupSchema()
	t.Cleanup(e.close)
	return e
}

// open builds state, outbox, intake, outbound and the IMAP box (again
// after close: a restart).
func (e *env) open() {
	t := e.t
	ctx := context.Background()
	var err error
	e.st, err = store.Open(ctx, e.dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	e.ob = outbox.New(e.st, e.client, e.clk, zerolog.Nop(), outbox.Config{Jitter: -1})
	desk.RegisterHooks(e.ob, e.clk)
	if e.schema != nil {
		if e.schema, err = schema.Load(ctx, e.st); err != nil {
			t.Fatal(err)
		}
	}
	e.tickets.Engine, err = desk.New(desk.Options{Store: e.st, Outbox: e.ob, Client: e.client,
		Rules: func() *rules.Rules { return e.rules }, Schema: func() *schema.Map { return e.schema },
		Clock: e.clk, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	var rate func(int64, string) (string, string)
	if e.ratingsURL != "" {
		clk, err := sla.New(sla.Options{Store: e.st, Outbox: e.ob, Rules: func() *rules.Rules { return e.rules },
			Clock: e.clk, Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		e.ratings, err = rating.New(ctx, rating.Options{Store: e.st, Outbox: e.ob, Rules: func() *rules.Rules { return e.rules },
			Schema: func() *schema.Map { return e.schema }, Recipients: clk.Recipients,
			PublicURL: strings.TrimPrefix(e.ratingsURL, "-"), Clock: e.clk, Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		e.rateHandler, rate = e.ratings.Handler(), e.ratings.BlockFor
	}
	e.out, err = New(Options{Rating: rate, Mailboxes: []config.Mailbox{e.mb}, Location: msk, Store: e.st, Outbox: e.ob,
		Portal: e.client, Rules: func() *rules.Rules { return e.rules },
		Schema: func() *schema.Map { return e.schema }, Tickets: e.tickets, Clock: e.clk, Log: zerolog.Nop(),
		Sent: func(mb config.Mailbox) SentFolder {
			if mb.SentFolder == "" {
				return nil
			}
			var sf SentFolder = NewIMAPSent(mail.BoxConfig(mb, zerolog.Nop()), mb.SentFolder)
			if e.sent != nil {
				sf = e.sent(sf)
			}
			return sf
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.out.Register()
	e.sink = Sink{Out: e.out}
	var ratings mail.Ratings
	if e.ratings != nil && e.ratingsURL != "" {
		ratings = e.ratings
	}
	e.in, err = mail.New(mail.Options{Mailbox: e.mb, Store: e.st, Outbox: e.ob, Ratings: ratings,
		Rules:  func() *rules.Rules { return e.rules },
		Schema: func() *schema.Map { return e.schema }, Tickets: e.tickets, Clock: e.clk, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	e.box, err = imapbox.Dial(ctx, mail.BoxConfig(e.mb, zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.box.EnsureFolders(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := e.box.Select(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur, found, err := e.st.Cursor(ctx, e.mb.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		cur = store.Cursor{Mailbox: e.mb.Name, UIDValidity: st.UIDValidity}
	}
	e.cur = cur
}

func (e *env) close() {
	if e.box != nil {
		_ = e.box.Close()
	}
	if e.st != nil {
		_ = e.st.Close()
	}
	e.box, e.st = nil, nil
}

// setupSchema runs the real `b24desk setup` steps against the simulator
// (schema.Ensure) and records the schema map in the state.
func (e *env) setupSchema() {
	ctx := context.Background()
	rep, err := schema.Ensure(ctx, e.client, e.rules, schema.Options{Canned: e.rules.TemplateNames()})
	if err != nil {
		e.t.Fatal(err)
	}
	old, err := schema.Load(ctx, e.st)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.WithTx(ctx, func(tx *store.Tx) error { return rep.Map.Save(ctx, old, tx) }); err != nil {
		e.t.Fatal(err)
	}
	if e.schema, err = schema.Load(ctx, e.st); err != nil {
		e.t.Fatal(err)
	}
}

// round reads mail (twice: Dovecot shows another session's APPEND after a
// command completes), delivers the outbox and reads once more.
func (e *env) round() {
	e.t.Helper()
	for range 2 {
		e.poll()
	}
	e.flush()
	e.poll()
}

func (e *env) poll() {
	e.t.Helper()
	for {
		full, err := e.in.Poll(context.Background(), e.box, &e.cur)
		if err != nil {
			e.t.Fatalf("Poll: %v", err)
		}
		if !full {
			return
		}
	}
}

func (e *env) flush() {
	e.t.Helper()
	if err := e.ob.Flush(context.Background()); err != nil {
		e.t.Fatalf("Flush: %v", err)
	}
}

// customerMail appends a customer's mail with the Message-ID id (and
// extra header lines) to the mailbox.
func (e *env) customerMail(from, subject, body, id string, headers ...string) {
	e.t.Helper()
	var b strings.Builder
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		from, e.user, mime.QEncoding.Encode("utf-8", subject), e.clk.Now().Format(time.RFC1123Z), id, body)
	e.imap.Append(e.t, e.user, e.pass, "INBOX", []byte(b.String()))
}

// staff saves the lead's answer fields as a staff member does, and the
// change reaches the sink.
func (e *env) staff(lead int, fields map[string]any) {
	e.t.Helper()
	e.clk.Advance(time.Minute)
	if err := e.portal.SetLeadFields(lead, fields); err != nil {
		e.t.Fatal(err)
	}
	if err := e.sink.LeadChanged(context.Background(), events.Change{LeadID: lead, Event: events.EventLeadUpdate, At: e.clk.Now()}); err != nil {
		e.t.Fatalf("LeadChanged: %v", err)
	}
}

// onlyLead returns the single lead's ID.
func (e *env) onlyLead() int {
	e.t.Helper()
	leads := e.portal.Leads()
	if len(leads) != 1 {
		e.t.Fatalf("%d leads, want 1", len(leads))
	}
	id, _ := strconv.Atoi(str(leads[0]["ID"]))
	return id
}

// received parses the i-th mail the SMTP server got.
func (e *env) received(i int) (*mimeparse.Message, received) {
	e.t.Helper()
	got := e.smtp.Received()
	if len(got) <= i {
		e.t.Fatalf("SMTP got %d mails, want more than %d", len(got), i)
	}
	m, err := mimeparse.Parse(got[i].Raw, mimeparse.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	return m, got[i]
}

func (e *env) comments(lead int) string {
	var b strings.Builder
	for _, c := range e.portal.Comments(lead) {
		b.WriteString(c.Text + "\n---\n")
	}
	return b.String()
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
