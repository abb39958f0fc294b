package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/desk"
	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// t0 is a Tuesday, 11:00 Moscow time: inside working hours.
var t0 = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

// env is one intake test: an IMAP server user, the portal simulator over
// HTTP with the real client, a real state and outbox, a manual clock.
type env struct {
	t          testing.TB
	s          *imaptest.Server
	user, pass string
	clk        *clock.Manual
	portal     *sim.Portal
	client     *bitrix.Client
	webhook    string
	dir        string
	st         *store.Store
	ob         *outbox.Outbox
	schema     *schema.Map
	rules      *rules.Rules
	replies    *fakeTickets
	deps       map[int][]int // department pool members handed to routing
	spam       *spam.Checker // the intake's spam filter (nil: none)
	mb         config.Mailbox
	in         *Intake
	box        *imapbox.Box
	cur        store.Cursor
}

// fakeTickets is the real ticket engine opening tickets, with customer
// replies only counted.
type fakeTickets struct {
	*desk.Engine
	calls []int64
}

func (f *fakeTickets) CustomerReplied(_ context.Context, _ *store.Tx, leadID int64, _ time.Time) error {
	f.calls = append(f.calls, leadID)
	return nil
}

func newEnv(t testing.TB, s *imaptest.Server, mod func(mb *config.Mailbox)) *env {
	t.Helper()
	e := &env{t: t, s: s, clk: clock.NewManual(t0), dir: t.TempDir(), replies: &fakeTickets{}}
	e.user, e.pass = s.NewUser(t)
	e.portal = sim.New(sim.Options{Clock: e.clk, NoLimits: true})
	t.Cleanup(e.portal.Close)
	srv := httptest.NewServer(e.portal)
	t.Cleanup(srv.Close)
	var err error
	e.webhook = e.portal.WebhookURL(srv.URL)
	e.client, err = bitrix.New(bitrix.Config{WebhookURL: e.webhook,
		Timeout: 15 * time.Second, MaxRetries: -1, Clock: e.clk, Rate: 1e6, Burst: 1 << 20}) // a batch of 50 writes takes seconds under -race on a busy machine
	if err != nil {
		t.Fatal(err)
	}
	e.rules, _, err = rules.Load(filepath.Join("..", "..", "config", "rules.example.yaml"), t0)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	e.mb = config.Mailbox{Name: "support-" + e.user, Folder: "INBOX", ProcessedFolder: "Processed",
		QuarantineFolder: "Quarantine", MaxSize: 25 * config.MiB, Spam: config.SpamSkip, PollInterval: time.Second,
		IMAP: config.IMAP{Host: host, Port: p, Security: config.SecurityPlain, Auth: config.AuthLogin,
			Username: e.user, Password: config.Secret(e.pass)}}
	if mod != nil {
		mod(&e.mb)
	}
	e.open()
	e.setupSchema()
	t.Cleanup(e.close)
	return e
}

// open opens the state, outbox, intake and IMAP box (again after close).
func (e *env) open() {
	e.openState()
	e.openBox()
}

// openState opens the state, outbox and intake.
func (e *env) openState() {
	t := e.t
	var err error
	e.st, err = store.Open(context.Background(), e.dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	e.ob = outbox.New(e.st, e.client, e.clk, zerolog.Nop(), outbox.Config{Jitter: -1})
	desk.RegisterHooks(e.ob, e.clk)
	if e.schema != nil {
		e.schema, err = schema.Load(context.Background(), e.st)
		if err != nil {
			t.Fatal(err)
		}
	}
	e.replies.Engine, err = desk.New(desk.Options{Store: e.st, Outbox: e.ob, Client: e.client,
		Rules: func() *rules.Rules { return e.rules }, Schema: func() *schema.Map { return e.schema },
		Clock: e.clk, Log: zerolog.Nop(), Departments: func() map[int][]int { return e.deps }})
	if err != nil {
		t.Fatal(err)
	}
	e.in, err = New(Options{Mailbox: e.mb, Store: e.st, Outbox: e.ob,
		Rules:  func() *rules.Rules { return e.rules },
		Schema: func() *schema.Map { return e.schema }, Tickets: e.replies, Clock: e.clk, Log: zerolog.Nop(),
		Spam: e.spam})
	if err != nil {
		t.Fatal(err)
	}
}

// openBox connects the test's own IMAP box and sets the cursor (a first
// start stores it at UIDNEXT).
func (e *env) openBox() {
	t := e.t
	var err error
	e.box, err = imapbox.Dial(context.Background(), BoxConfig(e.mb, zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.box.EnsureFolders(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := e.box.Select(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.cur, err = e.in.startCursor(context.Background(), e.box, st)
	if err != nil {
		t.Fatal(err)
	}
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
	rep, err := schema.Ensure(ctx, e.client, e.rules, schema.Options{})
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

// appendMail puts raw into the intake folder.
func (e *env) appendMail(raw []byte) uint32 {
	return e.s.Append(e.t, e.user, e.pass, "INBOX", raw)
}

// poll runs one intake round.
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

// round: read and handle mail, deliver portal writes, finish mail.
func (e *env) round() {
	e.t.Helper()
	e.poll()
	if err := e.ob.Flush(context.Background()); err != nil {
		e.t.Fatalf("Flush: %v", err)
	}
	e.poll()
}

// folder lists the mails of a folder.
func (e *env) folder(name string) []imaptest.MessageInfo {
	return e.s.List(e.t, e.user, e.pass, name)
}

// where says which folder holds exactly one mail with Message-ID id.
func (e *env) counts() string {
	return fmt.Sprintf("INBOX %d, Processed %d, Quarantine %d",
		len(e.folder("INBOX")), len(e.folder("Processed")), len(e.folder("Quarantine")))
}

func corpus(t testing.TB, name string) []byte {
	t.Helper()
	for _, dir := range []string{"testdata", filepath.Join("mimeparse", "testdata")} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return b
		}
	}
	t.Fatalf("no corpus mail %s", name)
	return nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
