package schema_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// newPortal starts a simulator over real HTTP and a webhook client for it.
func newPortal(t *testing.T) (*sim.Portal, *httptest.Server, *bitrix.Client) {
	t.Helper()
	p := sim.New(sim.Options{NoLimits: true, EventDelay: -1})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	c, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(srv.URL), Logger: zerolog.Nop(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return p, srv, c
}

// memTokens is an in-memory bitrix.TokenStore.
type memTokens struct {
	mu  sync.Mutex
	tok bitrix.Token
}

func (m *memTokens) Load(context.Context) (bitrix.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok, nil
}

func (m *memTokens) Save(_ context.Context, t bitrix.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = t
	return nil
}

// appClient is an OAuth (app) client for the simulator.
func appClient(t *testing.T, p *sim.Portal, srv *httptest.Server) *bitrix.Client {
	t.Helper()
	access, refresh := p.IssueTokens(1)
	c, err := bitrix.New(bitrix.Config{Logger: zerolog.Nop(), MaxRetries: -1, OAuth: &bitrix.OAuthConfig{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), ServerURL: srv.URL, Endpoint: srv.URL + "/rest/",
		Store: &memTokens{tok: bitrix.Token{AccessToken: access, RefreshToken: refresh, Expires: time.Now().Add(time.Hour)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exampleRules loads the example rules file, with edit applied to its text.
func exampleRules(t *testing.T, edit func(string) string) *rules.Rules {
	t.Helper()
	data, err := os.ReadFile("../../config/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if edit != nil {
		text = edit(text)
	}
	r, _, err := rules.Parse("../../config/rules.example.yaml", []byte(text), now) // its imports lie beside it
	if err != nil {
		t.Fatalf("rules: %v", err)
	}
	return r
}

// withWorkflow gives type code the workflow template id.
func withWorkflow(code string, id int) func(string) string {
	return func(s string) string {
		i := strings.Index(s, "code: "+code+",")
		if i < 0 {
			panic("no type " + code)
		}
		end := i + strings.Index(s[i:], "}")
		return s[:end] + ", workflow: {template_id: " + strconv.Itoa(id) + "}" + s[end:]
	}
}

// writes returns the write methods the portal received.
func writes(p *sim.Portal) []string {
	var out []string
	for _, c := range p.Calls() {
		m := c.Method
		if strings.HasSuffix(m, ".add") || strings.HasSuffix(m, ".update") || strings.HasSuffix(m, ".delete") ||
			strings.HasSuffix(m, ".bind") || strings.HasSuffix(m, ".unbind") || m == "batch" {
			out = append(out, m)
		}
	}
	return out
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func mustEnsure(t *testing.T, c *bitrix.Client, r *rules.Rules, opts schema.Options) *schema.Report {
	t.Helper()
	rep, err := schema.Ensure(context.Background(), c, r, opts)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	return rep
}

func hasLine(rep *schema.Report, verb, contains string) bool {
	for _, l := range rep.Lines {
		if l.Verb == verb && strings.Contains(l.What, contains) {
			return true
		}
	}
	return false
}
