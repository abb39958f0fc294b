package daemon

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestReportPageServed: with http.report_token the daemon serves /report to
// the token only; without it there is no page.
func TestReportPageServed(t *testing.T) {
	for _, c := range []struct {
		extra         string
		bearer        string
		status        int
		wantInBody    string
		withoutBearer int
	}{
		{"  report_token: page-token-0123456789\n", "page-token-0123456789", 200, `id="chart-breach"`, 401},
		{"", "anything", 404, "", 404},
	} {
		f := newFixture(t, true, c.extra)
		d, err := New(context.Background(), f.options())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		get := func(bearer string) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+d.Addr()+"/report?by=level", nil)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, body := get(c.bearer); code != c.status || !strings.Contains(body, c.wantInBody) {
			t.Errorf("token %q: GET /report = %d, want %d\n%.400s", c.extra, code, c.status, body)
		}
		if code, _ := get(""); code != c.withoutBearer {
			t.Errorf("token %q: GET /report without a token = %d, want %d", c.extra, code, c.withoutBearer)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}
