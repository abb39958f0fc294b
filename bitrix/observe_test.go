package bitrix_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
)

// recorder is an Observer keeping every observation.
type recorder struct {
	mu  sync.Mutex
	got []bitrix.CallInfo
}

func (r *recorder) OnCall(i bitrix.CallInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, i)
}

func (r *recorder) calls() []bitrix.CallInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bitrix.CallInfo(nil), r.got...)
}

// summary is "method result attempt status" of each observation.
func (r *recorder) summary() []string {
	var out []string
	for _, c := range r.calls() {
		out = append(out, fmt.Sprintf("%s %s %d %d", c.Method, c.Result, c.Attempt, c.Status))
	}
	return out
}

// faultFirst answers the first n requests for a REST method with status
// and an error envelope, then hands every request to the simulator.
func faultFirst(p *sim.Portal, n int32, status int, code string) http.Handler {
	var seen atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/rest/") && seen.Add(1) <= n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":%q,"error_description":"fault"}`, code)
			return
		}
		p.ServeHTTP(w, r)
	})
}

func TestObserverSeesEachRequest(t *testing.T) {
	cases := []struct {
		name   string
		status int
		code   string
		method string
		want   []string
		errIs  error
	}{
		{"503 then success", 503, "QUERY_LIMIT_EXCEEDED", "crm.lead.list",
			[]string{"crm.lead.list rate_limited 1 503", "crm.lead.list ok 2 200"}, nil},
		{"500 on a read is retried", 500, "INTERNAL_SERVER_ERROR", "crm.lead.list",
			[]string{"crm.lead.list transient 1 500", "crm.lead.list ok 2 200"}, nil},
		{"500 on an add is outcome unknown", 500, "INTERNAL_SERVER_ERROR", "crm.lead.add",
			[]string{"crm.lead.add unknown 1 500"}, bitrix.ErrOutcomeUnknown},
		{"not found is final", 400, "NOT_FOUND", "crm.lead.list",
			[]string{"crm.lead.list not_found 1 400"}, bitrix.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := sim.New(sim.Options{NoLimits: true})
			srv := httptest.NewServer(faultFirst(p, 1, tc.status, tc.code))
			t.Cleanup(func() { srv.Close(); p.Close() })
			rec := &recorder{}
			c, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(srv.URL), RetryWait: time.Millisecond, Observer: rec})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Call(context.Background(), tc.method, map[string]any{"fields": map[string]any{"TITLE": "x"}})
			if tc.errIs == nil && err != nil || tc.errIs != nil && !errors.Is(err, tc.errIs) {
				t.Fatalf("error %v, want %v", err, tc.errIs)
			}
			if got := rec.summary(); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("observations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestObserverSeesLimiterWait(t *testing.T) {
	rec := &recorder{}
	// Burst 2 leaves room for one request: of three sent together, two
	// wait in the bucket (1/50 s and 2/50 s).
	_, _, c := startSim(t, sim.Options{NoLimits: true}, bitrix.Config{Rate: 50, Burst: 2, Observer: rec})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := c.Call(context.Background(), "scope", nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	calls := rec.calls()
	if len(calls) != 3 {
		t.Fatalf("%d observations, want 3", len(calls))
	}
	waited := 0
	for _, c := range calls {
		if c.LimiterWait > 0 {
			waited++
		}
	}
	if waited < 2 {
		t.Errorf("%d of 3 requests over the burst waited in the bucket, want at least 2: %+v", waited, calls)
	}
}

func TestObserverSeesTokenRefresh(t *testing.T) {
	p := sim.New(sim.Options{NoLimits: true})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	access, refresh := p.IssueTokens(1)
	p.ExpireAccessTokens()
	rec := &recorder{}
	c, err := bitrix.New(bitrix.Config{Observer: rec, OAuth: &bitrix.OAuthConfig{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), ServerURL: srv.URL, Endpoint: srv.URL + "/rest/",
		Store: &memStore{tok: bitrix.Token{AccessToken: access, RefreshToken: refresh}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(context.Background(), "scope", nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"scope token_expired 1 401", bitrix.OAuthTokenMethod + " ok 1 200", "scope ok 2 200"}
	if got := rec.summary(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("observations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestObserverSetLaterAndRemoved(t *testing.T) {
	_, _, c := startSim(t, sim.Options{NoLimits: true}, bitrix.Config{})
	rec := &recorder{}
	c.SetObserver(rec)
	if _, err := c.Call(context.Background(), "scope", nil); err != nil {
		t.Fatal(err)
	}
	c.SetObserver(nil)
	if _, err := c.Call(context.Background(), "scope", nil); err != nil {
		t.Fatal(err)
	}
	if got := rec.summary(); len(got) != 1 || got[0] != "scope ok 1 200" {
		t.Errorf("observations %q, want one ok", got)
	}
}

func TestObserverNotToldOfUnsentCall(t *testing.T) {
	rec := &recorder{}
	_, _, c := startSim(t, sim.Options{NoLimits: true}, bitrix.Config{Observer: rec})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Call(ctx, "scope", nil); err == nil {
		t.Fatal("a call with a cancelled context succeeded")
	}
	if got := rec.summary(); len(got) != 0 {
		t.Errorf("observations %q for a call never sent", got)
	}
}

func TestErrorClass(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{&bitrix.APIError{Kind: bitrix.ErrRateLimited}, "rate_limited"},
		{fmt.Errorf("x: %w", &bitrix.APIError{Kind: bitrix.ErrOutcomeUnknown}), "unknown"},
		{&bitrix.APIError{Kind: bitrix.ErrTransient}, "transient"},
		{context.Canceled, "canceled"},
		{errors.New("odd"), "error"},
	}
	for _, c := range cases {
		if got := bitrix.ErrorClass(c.err); got != c.want {
			t.Errorf("ErrorClass(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
