package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/clock"
)

// testPortal serves a portal with a manual clock over real HTTP.
func testPortal(t *testing.T, opts Options) (*Portal, *httptest.Server) {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = clock.NewManual(time.Date(2026, 5, 14, 10, 26, 32, 0, time.UTC))
	}
	p := New(opts)
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	return p, srv
}

// answer is a decoded raw answer.
type answer struct {
	status int
	ctype  string
	body   map[string]any
	raw    string
}

// post sends a JSON body to the webhook URL + method, raw.
func post(t *testing.T, p *Portal, srv *httptest.Server, method string, body any) answer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return rawPost(t, p.WebhookURL(srv.URL)+method, "application/json", string(b))
}

func rawPost(t *testing.T, url, ctype, body string) answer {
	t.Helper()
	resp, err := http.Post(url, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: string(raw)}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&a.body)
	return a
}

// ok asserts a 200 answer and returns its result.
func ok(t *testing.T, a answer) any {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	return a.body["result"]
}

func mustErr(t *testing.T, a answer, status int, code, desc string) {
	t.Helper()
	if a.status != status || a.body["error"] != code || (desc != "" && a.body["error_description"] != desc) {
		t.Fatalf("want %d %q %q, got %d %s", status, code, desc, a.status, a.raw)
	}
}
