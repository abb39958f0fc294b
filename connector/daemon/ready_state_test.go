package daemon

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/store/storetest"
)

// TestReadinessStateNotWritable: while the state cannot be written (here:
// another process holds its write lock), /readyz answers 503 naming the
// state within seconds; when the state can be written again it is ready.
func TestReadinessStateNotWritable(t *testing.T) {
	f := newFixture(t, true, "")
	d, err := New(context.Background(), f.options())
	if err != nil {
		t.Fatal(err)
	}
	defer d.ln.Close()
	srv := &http.Server{Handler: d.srv.Handler}
	go func() { _ = srv.Serve(d.ln) }()
	defer srv.Close()
	ready := func() (int, string) {
		resp, err := http.Get("http://" + d.ln.Addr().String() + PathReady)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	if code, body := ready(); code != http.StatusOK {
		t.Fatalf("right after start: %d %s", code, body)
	}
	release := storetest.HoldWriteLock(t, d.st.Dir())
	start := time.Now()
	code, body := ready()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "state: state cannot be written") {
		t.Fatalf("state write lock held elsewhere: %d %s", code, body)
	}
	t.Logf("/readyz said not ready after %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(body))
	release()
	if code, body := ready(); code != http.StatusOK {
		t.Fatalf("after the state was writable again: %d %s", code, body)
	}
}
