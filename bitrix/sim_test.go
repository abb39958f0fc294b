package bitrix_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
)

// startSim serves a simulated portal over real HTTP and returns it with a
// webhook client.
func startSim(t testing.TB, opts sim.Options, cfg bitrix.Config) (*sim.Portal, *httptest.Server, *bitrix.Client) {
	t.Helper()
	p := sim.New(opts)
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	cfg.WebhookURL = p.WebhookURL(srv.URL)
	c, err := bitrix.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, srv, c
}

func countCalls(p *sim.Portal, method, code string) int {
	n := 0
	for _, c := range p.Calls() {
		if (method == "" || c.Method == method) && (code == "*" || c.Code == code) {
			n++
		}
	}
	return n
}

type memStore struct {
	mu    sync.Mutex
	tok   bitrix.Token
	saves int
}

func (m *memStore) Load(context.Context) (bitrix.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok, nil
}

func (m *memStore) Save(_ context.Context, t bitrix.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = t
	m.saves++
	return nil
}

func TestSimOAuthOneRefreshForConcurrentCalls(t *testing.T) {
	p := sim.New(sim.Options{NoLimits: true})
	var refreshes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/oauth/token") {
			refreshes.Add(1)
			time.Sleep(50 * time.Millisecond) // let every caller pile up behind the refresh
		}
		p.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer p.Close()
	access, refresh := p.IssueTokens(1)
	p.ExpireAccessTokens()
	store := &memStore{tok: bitrix.Token{AccessToken: access, RefreshToken: refresh}}
	c, err := bitrix.New(bitrix.Config{OAuth: &bitrix.OAuthConfig{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), ServerURL: srv.URL, Endpoint: srv.URL + "/rest/", Store: store,
	}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.CRMMode(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call failed: %v", err)
		}
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("%d token refreshes, want 1", n)
	}
	if store.saves != 1 || store.tok.RefreshToken == refresh || store.tok.AccessToken == access {
		t.Errorf("store: %d saves, refresh token rotated: %v", store.saves, store.tok.RefreshToken != refresh)
	}
	if n := countCalls(p, "", "expired_token"); n < 1 || n > 20 {
		t.Errorf("%d expired_token answers", n)
	}
}

func TestSimBatch120CommandsIn3Requests(t *testing.T) {
	p, _, c := startSim(t, sim.Options{}, bitrix.Config{})
	cmds := make([]bitrix.BatchCmd, 120)
	for i := range cmds {
		cmds[i] = bitrix.BatchCmd{Method: "crm.lead.add", Params: map[string]any{
			"fields": map[string]any{"TITLE": fmt.Sprintf("Lead %d", i), "ORIGIN_ID": fmt.Sprintf("m%d", i)}}}
	}
	res, err := c.Batch(context.Background(), cmds, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 120 {
		t.Fatalf("%d results", len(res))
	}
	seen := map[int64]bool{}
	for i, r := range res {
		var id bitrix.FlexInt
		if r.Err != nil || json.Unmarshal(r.Result, &id) != nil || id == 0 || seen[int64(id)] {
			t.Fatalf("result %d: %s %v", i, r.Result, r.Err)
		}
		seen[int64(id)] = true
		if r.Key != fmt.Sprintf("cmd_%d", i) {
			t.Errorf("result %d has key %q", i, r.Key)
		}
	}
	if n := countCalls(p, "batch", "*"); n != 3 {
		t.Errorf("%d batch requests, want 3", n)
	}
	if n := p.LeadCount(); n != 120 {
		t.Errorf("%d leads, want 120", n)
	}
	l, err := c.LeadGet(context.Background(), 120)
	if err != nil || l.OriginID != "m119" {
		t.Errorf("lead 120: %+v, %v", l, err)
	}
}

func TestSimBatchResultChaining(t *testing.T) {
	_, _, c := startSim(t, sim.Options{}, bitrix.Config{})
	res, err := c.Batch(context.Background(), []bitrix.BatchCmd{
		{Key: "add", Method: "crm.lead.add", Params: map[string]any{"fields": map[string]any{"TITLE": "Chained", "EMAIL": []any{map[string]any{"VALUE": "a@b.c", "VALUE_TYPE": "WORK"}}}}},
		{Key: "get", Method: "crm.lead.get", Params: map[string]any{"id": "$result[add]"}},
		{Key: "list", Method: "crm.lead.list", Params: map[string]any{"filter": map[string]any{"TITLE": "$result[get][TITLE]"}, "select": []string{"ID", "TITLE", "EMAIL"}}},
		{Key: "missing", Method: "crm.lead.get", Params: map[string]any{"id": 999999}},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	var lead bitrix.Lead
	if res[1].Err != nil || json.Unmarshal(res[1].Result, &lead) != nil || lead.Title != "Chained" || lead.ID == 0 {
		t.Fatalf("get: %s %v", res[1].Result, res[1].Err)
	}
	if len(lead.Emails) != 1 || lead.Emails[0].Value != "a@b.c" || lead.Emails[0].ID == 0 {
		t.Errorf("emails read back: %+v", lead.Emails)
	}
	var rows []bitrix.Lead
	if res[2].Err != nil || json.Unmarshal(res[2].Result, &rows) != nil || len(rows) != 1 || rows[0].ID != lead.ID {
		t.Errorf("list by chained title: %s %v", res[2].Result, res[2].Err)
	}
	if !errors.Is(res[3].Err, bitrix.ErrNotFound) {
		t.Errorf("missing lead: %v", res[3].Err)
	}
}

func TestSimBatchHalt(t *testing.T) {
	_, _, c := startSim(t, sim.Options{}, bitrix.Config{})
	res, err := c.Batch(context.Background(), []bitrix.BatchCmd{
		{Key: "bad", Method: "crm.lead.get", Params: map[string]any{"id": 424242}},
		{Key: "after", Method: "crm.lead.list"},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, bitrix.ErrNotFound) || !errors.Is(res[1].Err, bitrix.ErrSkipped) {
		t.Errorf("halted batch: %v / %v", res[0].Err, res[1].Err)
	}
}

func TestSimFullScanWhileChanging(t *testing.T) {
	const n = 20000
	p, _, c := startSim(t, sim.Options{}, bitrix.Config{})
	p.SeedLeads(n, nil)
	// Leads whose ID is a multiple of 7 are volatile: the scan deletes
	// some of them ahead of and behind its cursor while it runs, and adds
	// new leads. Every other seeded lead is present throughout.
	seen := map[int64]int{}
	rows, nextDelete, added := 0, int64(7), 0
	err := c.Scan(context.Background(), "crm.lead.list", map[string]any{"select": []string{"ID", "TITLE"}}, func(row json.RawMessage) error {
		var l bitrix.Lead
		if err := json.Unmarshal(row, &l); err != nil {
			return err
		}
		seen[l.ID]++
		rows++
		if rows%500 == 0 {
			for range 40 {
				_ = p.DeleteLead(int(nextDelete))
				nextDelete += 7 * 5
				if nextDelete > n {
					nextDelete = 7
				}
			}
			p.SeedLeads(30, nil)
			added += 30
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("lead %d seen %d times", id, k)
		}
	}
	missing := 0
	for id := int64(1); id <= n; id++ {
		if id%7 != 0 && seen[id] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d stable leads missed", missing)
	}
	if added == 0 || len(seen) < n-n/7 {
		t.Errorf("scan saw %d leads, %d added during the scan", len(seen), added)
	}
	if b := countCalls(p, "batch", "*"); b > n/2500+3 {
		t.Errorf("%d batch requests for %d rows: pages are not chained", b, n)
	}
}

func TestSimScanLeadsSmall(t *testing.T) {
	p, _, c := startSim(t, sim.Options{}, bitrix.Config{})
	p.SeedLeads(120, func(i int) map[string]any {
		src := "EMAIL"
		if i%2 == 0 {
			src = "B24D_TECH"
		}
		return map[string]any{"TITLE": fmt.Sprint(i), "SOURCE_ID": src}
	})
	var ids []int64
	err := c.ScanLeads(context.Background(), map[string]any{"SOURCE_ID": "B24D_TECH"}, []string{"ID", "SOURCE_ID"}, func(l *bitrix.Lead) error {
		if l.SourceID != "B24D_TECH" {
			t.Errorf("lead %d has source %q", l.ID, l.SourceID)
		}
		ids = append(ids, l.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 60 {
		t.Errorf("%d leads, want 60", len(ids))
	}
}

func TestSimLimiterNeverOverflows(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 9 s")
	}
	p, _, c := startSim(t, sim.Options{}, bitrix.Config{MaxRetries: -1, Logger: zerolog.Nop()})
	const total = 66 // burst (50) plus about 8 s of the 2/s drain
	var next atomic.Int32
	var failed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for next.Add(1) <= total {
				if _, err := c.Call(context.Background(), "crm.settings.mode.get", nil); err != nil {
					failed.Add(1)
					t.Errorf("call failed: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if n := countCalls(p, "", "QUERY_LIMIT_EXCEEDED"); n != 0 {
		t.Errorf("%d QUERY_LIMIT_EXCEEDED answers", n)
	}
	if n := countCalls(p, "crm.settings.mode.get", ""); n != total {
		t.Errorf("%d successful calls, want %d", n, total)
	}
}

func TestSimErrorsOverHTTP(t *testing.T) {
	p, srv, c := startSim(t, sim.Options{}, bitrix.Config{RetryWait: time.Millisecond, MaxRetries: 2, Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	if _, err := c.LeadGet(ctx, 987654); !errors.Is(err, bitrix.ErrNotFound) {
		t.Errorf("missing lead: %v", err)
	}
	if _, err := c.Call(ctx, "crm.nothing.here", nil); !errors.Is(err, bitrix.ErrMethodNotFound) {
		t.Errorf("unknown method: %v", err)
	}
	bad, err := bitrix.New(bitrix.Config{WebhookURL: srv.URL + "/rest/1/wrongsecret/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.CRMMode(ctx); !errors.Is(err, bitrix.ErrUnauthorized) {
		t.Errorf("wrong secret: %v", err)
	}
	p.SetScopes("crm")
	if _, err := c.WorkflowTemplateList(ctx, bitrix.LeadDocumentType); !errors.Is(err, bitrix.ErrAccessDenied) {
		t.Errorf("missing scope: %v", err)
	}
	p.SetScopes("crm", "bizproc", "im", "user", "department")

	p.SetFaults(sim.Faults{HTMLRate: 1})
	if _, err := c.CRMMode(ctx); !errors.Is(err, bitrix.ErrTransient) {
		t.Errorf("HTML answers: %v", err)
	}
	p.SetFaults(sim.Faults{Error500Rate: 1})
	if _, err := c.LeadAdd(ctx, map[string]any{"TITLE": "x"}, false); !errors.Is(err, bitrix.ErrOutcomeUnknown) {
		t.Errorf("500 on add: %v", err)
	}
	p.SetFaults(sim.Faults{WriteTimeout: true})
	before := p.LeadCount()
	if _, err := c.LeadAdd(ctx, map[string]any{"TITLE": "applied but unanswered"}, false); !errors.Is(err, bitrix.ErrOutcomeUnknown) {
		t.Errorf("write timeout: %v", err)
	}
	if p.LeadCount() != before+1 {
		t.Errorf("the timed-out add was applied %d times, want once", p.LeadCount()-before)
	}
	p.SetFaults(sim.Faults{})
}

func TestSimDomainChange(t *testing.T) {
	p, oldSrv, c := startSim(t, sim.Options{}, bitrix.Config{})
	newSrv := httptest.NewServer(p)
	defer newSrv.Close()
	p.SetFaults(sim.Faults{MovedTo: newSrv.URL})
	for i := range 3 {
		if _, err := c.LeadAdd(context.Background(), map[string]any{"TITLE": fmt.Sprint("moved ", i)}, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.LeadCount(); n != 3 {
		t.Errorf("%d leads, want 3 (each add re-posted once)", n)
	}
	if n := countCalls(p, "crm.lead.add", "*"); n != 4 {
		t.Errorf("%d crm.lead.add requests, want 4 (one 302, then the new address)", n)
	}
	_ = oldSrv
}
