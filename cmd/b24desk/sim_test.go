package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSimOutgoingWebhook registers an outgoing webhook from the command
// line and checks that a lead added through the printed inbound webhook
// URL is POSTed to it with the printed application token.
func TestSimOutgoingWebhook(t *testing.T) {
	var mu sync.Mutex
	var bodies []url.Values
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(b))
		mu.Lock()
		bodies = append(bodies, v)
		mu.Unlock()
	}))
	defer recv.Close()
	hook := recv.URL + "/bitrix/events"

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cmdSim(ctx, []string{"--listen", "127.0.0.1:0", "--no-limits", "--event-delay", "1ms",
			"--outgoing-webhook", hook}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("sim exit %d\n%s", code, stderr.String())
		}
	}()
	printed := func(label string) string {
		for _, l := range strings.Split(stdout.String(), "\n") {
			if v, ok := strings.CutPrefix(l, label); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	if !eventually(func() bool { return printed("outgoing webhook:") != "" }) {
		t.Fatalf("sim did not print the outgoing webhook:\n%s\n%s", stdout.String(), stderr.String())
	}
	if got, want := printed("outgoing webhook:"), hook+" (ONCRMLEADADD, ONCRMLEADUPDATE, ONCRMLEADDELETE)"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	token := printed("application token:")

	resp, err := http.PostForm(printed("webhook URL:")+"crm.lead.add.json", url.Values{"fields[TITLE]": {"rehearsal"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("crm.lead.add: HTTP %d", resp.StatusCode)
	}
	got := eventually(func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(bodies) > 0
	})
	if !got {
		t.Fatal("no event reached the outgoing webhook")
	}
	mu.Lock()
	defer mu.Unlock()
	b := bodies[0]
	if b.Get("event") != "ONCRMLEADADD" || b.Get("data[FIELDS][ID]") == "" || b.Get("auth[application_token]") != token {
		t.Errorf("event body %v, want ONCRMLEADADD with a lead ID and token %q", b, token)
	}
}

func TestSimBadOutgoingWebhook(t *testing.T) {
	for _, v := range []string{"ftp://host/x", "/bitrix/events", "http://"} {
		var stdout, stderr bytes.Buffer
		if code := cmdSim(context.Background(), []string{"--outgoing-webhook", v}, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", v, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), "outgoing-webhook") || stdout.Len() != 0 {
			t.Errorf("%q: stdout %q, stderr %q", v, stdout.String(), stderr.String())
		}
	}
}

// eventually polls cond every 10 ms for up to 10 s and reports whether it
// came true.
func eventually(cond func() bool) bool {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestSimFaults: the fault flags are in force from the start, the printed
// control endpoint changes them while the simulator serves, and a rate
// outside [0, 1] is a usage error.
func TestSimFaults(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cmdSim(ctx, []string{"--listen", "127.0.0.1:0", "--no-limits", "--fault-500", "1"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("sim exit %d\n%s", code, stderr.String())
		}
	}()
	var hookURL, faultsURL string
	if !eventually(func() bool {
		for _, l := range strings.Split(stdout.String(), "\n") {
			if v, ok := strings.CutPrefix(l, "webhook URL:"); ok {
				hookURL = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(l, "control:"); ok {
				faultsURL, _, _ = strings.Cut(strings.TrimSpace(v), ",")
			}
		}
		return hookURL != "" && faultsURL != ""
	}) {
		t.Fatalf("sim did not print the webhook and control URLs:\n%s", stdout.String())
	}
	status := func() int {
		resp, err := http.Post(hookURL+"scope.json", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status(); s != http.StatusInternalServerError {
		t.Fatalf("with --fault-500 1: HTTP %d, want 500", s)
	}
	resp, err := http.Post(faultsURL, "application/json", strings.NewReader(`{"error_500_rate": 0}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := status(); resp.StatusCode != http.StatusOK || s != http.StatusOK {
		t.Fatalf("control POST %d, then HTTP %d, want 200 and 200", resp.StatusCode, s)
	}

	for _, args := range [][]string{{"--fault-503", "1.5"}, {"--fault-late-write", "0.1", "--late-write-delay", "later"}} {
		var out, errb bytes.Buffer
		if code := cmdSim(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
