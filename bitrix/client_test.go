package bitrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const testSecret = "t0ps3cr3tw3bh00k"

// fakePortal answers every request with the next scripted answer (the last
// one repeats) and records what it received.
type fakePortal struct {
	mu      sync.Mutex
	answers []answer
	got     []received
}

type answer struct {
	status      int
	contentType string
	body        string
	header      map[string]string
}

type received struct {
	method, path string
	body         []byte
}

func (f *fakePortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.got = append(f.got, received{r.Method, r.URL.Path, body})
	a := f.answers[0]
	if len(f.answers) > 1 {
		f.answers = f.answers[1:]
	}
	f.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	ct := a.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (f *fakePortal) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

func jsonErr(status int, code, desc string) answer {
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	return answer{status: status, body: string(b)}
}

func ok(result string) answer {
	return answer{status: 200, body: `{"result":` + result + `,"time":{"start":1778747192.91,"finish":1778747193.53,"duration":0.62,"processing":0.03,"date_start":"2026-05-14T10:26:32+02:00","date_finish":"2026-05-14T10:26:33+02:00"}}`}
}

// newTestClient serves answers and returns a webhook client on them with
// fast retries, and a buffer capturing its log.
func newTestClient(t *testing.T, answers ...answer) (*Client, *fakePortal, *bytes.Buffer) {
	t.Helper()
	fp := &fakePortal{answers: answers}
	srv := httptest.NewServer(fp)
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	c, err := New(Config{
		WebhookURL: srv.URL + "/rest/1/" + testSecret + "/",
		Logger:     zerolog.New(&logs),
		RetryWait:  time.Millisecond,
		MaxRetries: 3,
		Rate:       1000, Burst: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, fp, &logs
}

func TestCallErrorClasses(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		answer   answer
		want     error
		requests int
	}{
		{"operating limit", "crm.lead.get", answer{status: 429, body: `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit.","time":{"operating":480,"operating_reset_at":1}}`}, ErrOperatingLimit, 4},
		{"bad webhook", "crm.lead.get", jsonErr(401, "NO_AUTH_FOUND", "Wrong authorization data"), ErrUnauthorized, 1},
		{"access denied code", "crm.lead.get", jsonErr(403, "ACCESS_DENIED", "Access denied!"), ErrAccessDenied, 1},
		{"insufficient scope", "bizproc.workflow.start", jsonErr(403, "insufficient_scope", "The request requires higher privileges"), ErrAccessDenied, 1},
		{"empty code access denied", "crm.status.add", jsonErr(400, "", "Access denied."), ErrAccessDenied, 1},
		{"empty code not found", "crm.lead.get", jsonErr(400, "", "Not found"), ErrNotFound, 1},
		{"owner not found", "crm.timeline.comment.add", jsonErr(400, "OWNER_NOT_FOUND", "Owner not found"), ErrNotFound, 1},
		{"method not found 404", "crm.nothing", jsonErr(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"), ErrMethodNotFound, 1},
		{"method not found 400", "crm.nothing", jsonErr(400, "ERROR_METHOD_NOT_FOUND", "Method not found!"), ErrMethodNotFound, 1},
		{"overload", "crm.lead.get", jsonErr(503, "OVERLOAD_LIMIT", "REST API is blocked due to overload."), ErrOverloaded, 1},
		{"portal deleted", "crm.lead.get", jsonErr(500, "PORTAL_DELETED", "Portal was deleted"), ErrOverloaded, 1},
		{"invalid", "crm.status.add", jsonErr(400, "ERROR_CORE", "duplicate"), ErrInvalid, 1},
		{"missing params", "crm.lead.get", jsonErr(400, "ERROR_REQUIRED_PARAMETERS_MISSING", "ID is not defined"), ErrInvalid, 1},
		{"5xx read retried", "crm.lead.list", jsonErr(500, "INTERNAL_SERVER_ERROR", "Internal server error"), ErrTransient, 4},
		{"5xx add unknown", "crm.lead.add", jsonErr(500, "INTERNAL_SERVER_ERROR", "Internal server error"), ErrOutcomeUnknown, 1},
		{"5xx notify unknown", "im.notify.system.add", jsonErr(500, "ERROR_UNEXPECTED_ANSWER", ""), ErrOutcomeUnknown, 1},
		{"5xx idempotent write retried", "crm.lead.update", jsonErr(500, "INTERNAL_SERVER_ERROR", ""), ErrTransient, 4},
		{"html read", "crm.lead.get", answer{status: 502, contentType: "text/html", body: "<html>Bad gateway</html>"}, ErrTransient, 4},
		{"html write", "crm.timeline.comment.add", answer{status: 502, contentType: "text/html", body: "<html>Bad gateway</html>"}, ErrOutcomeUnknown, 1},
		{"truncated json", "crm.lead.get", answer{status: 200, body: `{"result": {"ID": "5"`}, ErrTransient, 4},
		{"empty body", "crm.lead.get", answer{status: 200, body: ``}, ErrTransient, 4},
		{"wrong envelope", "crm.lead.get", answer{status: 200, body: `[1,2]`}, ErrTransient, 4},
		{"error not a string", "crm.lead.get", answer{status: 400, body: `{"error": {"x": 1}}`}, ErrInvalid, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fp, _ := newTestClient(t, tt.answer)
			_, err := c.Call(context.Background(), tt.method, map[string]any{"id": 1})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Method != tt.method {
				t.Fatalf("err %v is not an *APIError for %s", err, tt.method)
			}
			if tt.want == ErrOutcomeUnknown && errors.Is(err, ErrTransient) {
				t.Errorf("outcome-unknown error also wraps ErrTransient")
			}
			if n := len(fp.requests()); n != tt.requests {
				t.Errorf("portal received %d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestCallRetriesThenSucceeds(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		answers []answer
	}{
		{"rate limited write", "crm.lead.add", []answer{jsonErr(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"), jsonErr(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"), ok(`"42"`)}},
		{"5xx read", "crm.lead.get", []answer{jsonErr(500, "INTERNAL_SERVER_ERROR", ""), ok(`"42"`)}},
		{"html read", "crm.lead.list", []answer{{status: 503, contentType: "text/html", body: "<h1>busy</h1>"}, ok(`"42"`)}},
		{"operating reset passed", "crm.lead.get", []answer{{status: 429, body: `{"error":"OPERATION_TIME_LIMIT","time":{"operating_reset_at":1}}`}, ok(`"42"`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fp, _ := newTestClient(t, tt.answers...)
			resp, err := c.Call(context.Background(), tt.method, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Result) != `"42"` {
				t.Errorf("result = %s", resp.Result)
			}
			if n := len(fp.requests()); n != len(tt.answers) {
				t.Errorf("%d requests, want %d", n, len(tt.answers))
			}
		})
	}
}

func TestCallWaitsForOperatingReset(t *testing.T) {
	c, fp, _ := newTestClient(t, answer{status: 429, body: `{"error":"OPERATION_TIME_LIMIT","time":{"operating_reset_at":` +
		jsonInt(time.Now().Add(1500*time.Millisecond).Unix()) + `}}`}, ok(`true`))
	if _, err := c.Call(context.Background(), "crm.lead.get", nil); err != nil {
		t.Fatal(err)
	}
	got := fp.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	// Another method is not paused.
	if d := c.operating.pause("crm.lead.list", time.Now()); d != 0 {
		t.Errorf("crm.lead.list paused for %v", d)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestOperatingNearLimitPauses(t *testing.T) {
	o := newOperatingTracker(480 * time.Second)
	now := time.Unix(1_000_000, 0)
	o.observe("crm.lead.list", Time{Operating: 100, OperatingResetAt: now.Unix() + 60}, now)
	if d := o.pause("crm.lead.list", now); d != 0 {
		t.Errorf("paused at 100 s of 480: %v", d)
	}
	o.observe("crm.lead.list", Time{Operating: 440, OperatingResetAt: now.Unix() + 60}, now)
	if d := o.pause("crm.lead.list", now); d != 60*time.Second {
		t.Errorf("pause at 440 s of 480 = %v, want 60s", d)
	}
	if d := o.pause("crm.lead.list", now.Add(61*time.Second)); d != 0 {
		t.Errorf("still paused after the reset: %v", d)
	}
}

func TestResponseEnvelope(t *testing.T) {
	c, _, _ := newTestClient(t, answer{status: 200, body: `{"result":[{"ID":"1"}],"next":50,"total":"654","time":{"start":1778747192.91,"finish":1778747193.53,"duration":0.62,"processing":0.03,"date_start":"2026-05-14T10:26:32+02:00","date_finish":"2026-05-14T10:26:33+02:00","operating_reset_at":1778747792,"operating":3.31}}`})
	resp, err := c.Call(context.Background(), "crm.lead.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Time{Start: 1778747192.91, Finish: 1778747193.53, Duration: 0.62, Processing: 0.03,
		DateStart: "2026-05-14T10:26:32+02:00", DateFinish: "2026-05-14T10:26:33+02:00", Operating: 3.31, OperatingResetAt: 1778747792}
	if resp.Time != want {
		t.Errorf("time = %+v\nwant %+v", resp.Time, want)
	}
	if resp.Next == nil || *resp.Next != 50 || resp.Total != 654 {
		t.Errorf("next/total = %v/%d", resp.Next, resp.Total)
	}
	c2, _, _ := newTestClient(t, ok(`true`))
	resp, err = c2.Call(context.Background(), "crm.lead.update", nil)
	if err != nil || resp.Next != nil || resp.Total != 0 || resp.Time.Operating != 0 {
		t.Errorf("non-list answer: %+v, %v", resp, err)
	}
}

func TestCallSendsJSONPost(t *testing.T) {
	c, fp, _ := newTestClient(t, ok(`"7"`))
	id, err := c.LeadAdd(context.Background(), map[string]any{"TITLE": "Нет доступа"}, true)
	if err != nil || id != 7 {
		t.Fatalf("LeadAdd = %d, %v", id, err)
	}
	r := fp.requests()[0]
	if r.method != http.MethodPost || r.path != "/rest/1/"+testSecret+"/crm.lead.add" {
		t.Errorf("request %s %s", r.method, r.path)
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if body["fields"].(map[string]any)["TITLE"] != "Нет доступа" || body["params"].(map[string]any)["REGISTER_SONET_EVENT"] != "Y" {
		t.Errorf("body = %s", r.body)
	}
}

func TestRedirectRePosts(t *testing.T) {
	newSite := &fakePortal{answers: []answer{ok(`"1"`)}}
	newSrv := httptest.NewServer(newSite)
	defer newSrv.Close()
	old := &fakePortal{answers: []answer{{status: 302, header: map[string]string{"Location": newSrv.URL + "/rest/1/" + testSecret + "/crm.lead.add"}}}}
	oldSrv := httptest.NewServer(old)
	defer oldSrv.Close()
	var logs bytes.Buffer
	c, err := New(Config{WebhookURL: oldSrv.URL + "/rest/1/" + testSecret + "/", Logger: zerolog.New(&logs), RetryWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.LeadAdd(context.Background(), map[string]any{"TITLE": "x"}, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(old.requests()); n != 1 {
		t.Errorf("old domain got %d requests, want 1 (the new base is remembered)", n)
	}
	got := newSite.requests()
	if len(got) != 2 {
		t.Fatalf("new domain got %d requests, want 2", len(got))
	}
	for _, r := range got {
		if r.method != http.MethodPost || !bytes.Contains(r.body, []byte(`"TITLE":"x"`)) {
			t.Errorf("redirected request %s with body %s, want the same POST", r.method, r.body)
		}
	}
	if !strings.Contains(logs.String(), "portal moved") {
		t.Errorf("redirect not logged: %s", logs.String())
	}
}

func TestRedirectLoopBounded(t *testing.T) {
	fp := &fakePortal{}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	fp.answers = []answer{{status: 302, header: map[string]string{"Location": srv.URL + "/rest/1/" + testSecret + "/crm.lead.get"}}}
	c, err := New(Config{WebhookURL: srv.URL + "/rest/1/" + testSecret + "/", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(context.Background(), "crm.lead.get", nil)
	if !errors.Is(err, ErrTransient) {
		t.Fatalf("err = %v", err)
	}
	if n := len(fp.requests()); n != 1+maxRedirects {
		t.Errorf("%d requests, want %d", n, 1+maxRedirects)
	}
}

func TestNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, err := New(Config{WebhookURL: url + "/rest/1/" + testSecret + "/", RetryWait: time.Millisecond, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	// A refused connection was never sent: even an add may be retried and
	// ends as transient, not unknown.
	_, err = c.Call(context.Background(), "crm.lead.add", nil)
	if !errors.Is(err, ErrTransient) || strings.Contains(err.Error(), testSecret) {
		t.Errorf("refused connection: %v", err)
	}

	// A write that times out has an unknown outcome.
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	c, err = New(Config{WebhookURL: hang.URL + "/rest/1/" + testSecret + "/", Timeout: 100 * time.Millisecond, RetryWait: time.Millisecond, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(context.Background(), "crm.lead.add", nil)
	if !errors.Is(err, ErrOutcomeUnknown) || strings.Contains(err.Error(), testSecret) {
		t.Errorf("timed-out add: %v", err)
	}
	_, err = c.Call(context.Background(), "crm.lead.get", nil)
	if !errors.Is(err, ErrTransient) {
		t.Errorf("timed-out get: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Call(ctx, "crm.lead.get", nil)
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrTransient) {
		t.Errorf("cancelled get: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{WebhookURL: "ftp://x/rest/1/s/"},
		{WebhookURL: "https://x.bitrix24.ru/"},
		{WebhookURL: "https://x.bitrix24.ru/rest/1/" + testSecret + "/", Plan: "gold"},
		{WebhookURL: "https://x/rest/1/s/", OAuth: &OAuthConfig{}},
		{OAuth: &OAuthConfig{ClientID: "a"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		} else if strings.Contains(err.Error(), testSecret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

// memStore is an in-memory TokenStore.
type memStore struct {
	mu    sync.Mutex
	tok   Token
	saves atomic.Int32
}

func (m *memStore) Load(context.Context) (Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok, nil
}

func (m *memStore) Save(_ context.Context, t Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = t
	m.saves.Add(1)
	return nil
}

func TestSecretsNeverLeak(t *testing.T) {
	const access, refresh, clientSecret = "acc3ss0ld0000001", "r3fr3sh0ld000001", "cl13nts3cr3t0001"
	var logs bytes.Buffer
	var errs []error
	// Webhook scenarios.
	for _, a := range []answer{
		jsonErr(401, "NO_AUTH_FOUND", "Wrong authorization data for "+testSecret),
		{status: 502, contentType: "text/html", body: "<html>" + testSecret + "</html>"},
		jsonErr(500, "INTERNAL_SERVER_ERROR", ""),
		{status: 302, header: map[string]string{"Location": "http://127.0.0.1:1/rest/1/" + testSecret + "/crm.lead.add"}},
		jsonErr(503, "QUERY_LIMIT_EXCEEDED", ""),
	} {
		c, _, l := newTestClient(t, a)
		for _, m := range []string{"crm.lead.add", "crm.lead.get"} {
			_, err := c.Call(context.Background(), m, nil)
			errs = append(errs, err)
		}
		_, err := c.Batch(context.Background(), []BatchCmd{{Method: "crm.lead.get", Params: map[string]any{"id": 1}}}, false)
		errs = append(errs, err)
		logs.Write(l.Bytes())
	}
	// OAuth: an expired token, a refresh the server refuses, a dead server.
	oauthSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "oauth") {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"invalid_grant","error_description":"bad refresh token `+refresh+`"}`)
			return
		}
		w.WriteHeader(401)
		io.WriteString(w, `{"error":"expired_token","error_description":"The access token provided has expired."}`)
	}))
	defer oauthSrv.Close()
	store := &memStore{tok: Token{AccessToken: access, RefreshToken: refresh}}
	c, err := New(Config{OAuth: &OAuthConfig{ClientID: "app", ClientSecret: clientSecret, ServerURL: oauthSrv.URL, Endpoint: oauthSrv.URL + "/rest/", Store: store},
		Logger: zerolog.New(&logs), RetryWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(context.Background(), "crm.lead.get", nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("refused refresh: %v, want ErrUnauthorized", err)
	}
	errs = append(errs, err)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	c, err = New(Config{OAuth: &OAuthConfig{ClientID: "app", ClientSecret: clientSecret, ServerURL: deadURL, Endpoint: oauthSrv.URL + "/rest/", Store: store},
		Logger: zerolog.New(&logs), RetryWait: time.Millisecond, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(context.Background(), "crm.lead.get", nil)
	errs = append(errs, err)

	failures := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		failures++
		for _, s := range []string{testSecret, access, refresh, clientSecret} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error leaks a secret: %v", err)
			}
		}
	}
	if failures < 10 {
		t.Fatalf("only %d failing calls: the test proves nothing", failures)
	}
	if logs.Len() == 0 {
		t.Fatal("no log captured: the test proves nothing")
	}
	for _, s := range []string{testSecret, access, refresh, clientSecret} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log leaks secret %q:\n%s", s[:4], logs.String())
		}
	}
}

// TestNetworkRetries: NetworkRetries bounds the retries after a failure
// with no answer (a one-shot command's single attempt), the default keeps
// MaxRetries for them (the daemon), and an answer saying "busy" is
// retried up to MaxRetries either way.
func TestNetworkRetries(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	refused := srv.URL
	srv.Close() // nothing listens there any more
	for _, tc := range []struct {
		name    string
		network int
		want    int // requests sent
	}{
		{"default: as MaxRetries", 0, 4},
		{"none", -1, 1},
		{"one", 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := 0
			c, err := New(Config{WebhookURL: refused + "/rest/1/" + testSecret + "/", RetryWait: time.Millisecond,
				MaxRetries: 3, NetworkRetries: tc.network, Observer: ObserverFunc(func(CallInfo) { sent++ })})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Scope(context.Background()); !errors.Is(err, ErrTransient) {
				t.Errorf("refused connection: %v, want transient", err)
			}
			if sent != tc.want {
				t.Errorf("%d requests sent, want %d", sent, tc.want)
			}
		})
	}
	busy := jsonErr(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
	fp := &fakePortal{answers: []answer{busy, busy, ok(`["crm"]`)}}
	live := httptest.NewServer(fp)
	defer live.Close()
	c, err := New(Config{WebhookURL: live.URL + "/rest/1/" + testSecret + "/", RetryWait: time.Millisecond,
		MaxRetries: 3, NetworkRetries: -1, Rate: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Scope(context.Background()); err != nil || len(fp.requests()) != 3 {
		t.Errorf("busy portal with NetworkRetries -1: %v after %d requests, want success after 3", err, len(fp.requests()))
	}
}
