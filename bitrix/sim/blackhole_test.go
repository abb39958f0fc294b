package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// blackholePost sends crm.lead.add through client and returns the error
// (nil when an answer came).
func blackholePost(p *Portal, srv *httptest.Server, client *http.Client, title string) error {
	req, err := http.NewRequest(http.MethodPost, p.WebhookURL(srv.URL)+"crm.lead.add",
		strings.NewReader(`{"fields":{"TITLE":"`+title+`"}}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// heldRequests counts the requests a blackhole holds (goroutines in hold).
func heldRequests() int {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2) // each goroutine on its own
	return strings.Count(b.String(), "sim.(*Portal).hold(")
}

// waitHeld waits up to 10 s until the blackhole holds n requests.
func waitHeld(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for heldRequests() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the blackhole holds %d requests, want %d", heldRequests(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// released waits for a held request's outcome: an error (its connection
// closed), within 30 s (a guard, not a measure: the release is at once).
func released(t *testing.T, errc <-chan error) {
	t.Helper()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("the held request got an answer, want its connection closed")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the held request was not released")
	}
}

// TestBlackhole: with the blackhole on (through the control endpoint) a
// request is taken and never answered nor run, on a new connection and on
// one kept alive from before: the client meets its own timeout, not a
// connection error. A request held without a client timeout is released
// (its connection closed) when the blackhole is switched off, and the
// portal answers again; nothing is left held.
func TestBlackhole(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	// A connection kept alive from before the outage.
	alive := &http.Client{Transport: &http.Transport{}, Timeout: 300 * time.Millisecond}
	defer alive.CloseIdleConnections()
	if err := blackholePost(p, srv, alive, "before"); err != nil {
		t.Fatal(err)
	}
	if code, body := control(t, srv, "POST", ControlFaultsPath, `{"blackhole": true}`); code != 200 {
		t.Fatalf("POST blackhole: %d %s", code, body)
	}
	code, body := control(t, srv, "GET", ControlFaultsPath, "")
	var got FaultsJSON
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || !got.Blackhole {
		t.Fatalf("GET: %d %s", code, body)
	}
	fresh := &http.Client{Transport: &http.Transport{}, Timeout: 300 * time.Millisecond}
	defer fresh.CloseIdleConnections()
	for name, c := range map[string]*http.Client{"kept-alive": alive, "new": fresh} {
		err := blackholePost(p, srv, c, "lost")
		var te interface{ Timeout() bool }
		if err == nil || !errors.As(err, &te) || !te.Timeout() {
			t.Fatalf("%s connection: %v, want the client's timeout", name, err)
		}
	}
	if p.LeadCount() != 1 {
		t.Fatalf("%d leads: a request in the blackhole was run", p.LeadCount())
	}
	calls := p.Calls()
	if last := calls[len(calls)-1]; last.Method != "crm.lead.add" || last.Status != 0 {
		t.Fatalf("last call recorded as %+v, want crm.lead.add without an answer", last)
	}
	waitHeld(t, 0) // the clients that gave up closed their connections

	// A client with no timeout of its own waits until the outage ends.
	patient := &http.Client{Transport: &http.Transport{}}
	defer patient.CloseIdleConnections()
	errc := make(chan error, 1)
	go func() { errc <- blackholePost(p, srv, patient, "held") }()
	waitHeld(t, 1)
	select {
	case err := <-errc:
		t.Fatalf("an answer while the blackhole holds the request: %v", err)
	default:
	}
	if code, body := control(t, srv, "POST", ControlFaultsPath, `{"blackhole": false}`); code != 200 {
		t.Fatalf("POST blackhole off: %d %s", code, body)
	}
	released(t, errc)
	waitHeld(t, 0)
	if p.LeadCount() != 1 {
		t.Fatalf("%d leads: the held request was run", p.LeadCount())
	}
	ok(t, post(t, p, srv, "scope", nil))
}

// TestBlackholeReleasedOnClose: the server stops (httptest's Close does
// not wait for the held request) and closing the portal releases what the
// blackhole still holds.
func TestBlackholeReleasedOnClose(t *testing.T) {
	p := New(Options{NoLimits: true})
	srv := httptest.NewServer(p)
	p.SetFaults(Faults{Blackhole: true})
	patient := &http.Client{Transport: &http.Transport{}}
	defer patient.CloseIdleConnections()
	errc := make(chan error, 1)
	go func() { errc <- blackholePost(p, srv, patient, "held") }()
	waitHeld(t, 1)
	srv.Close()
	p.Close()
	released(t, errc)
	waitHeld(t, 0)
	// After Close a request in the blackhole is let go at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv2 := httptest.NewServer(p)
	defer srv2.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.WebhookURL(srv2.URL)+"scope", nil)
	if resp, err := patient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("an answer from a blackhole")
	}
	waitHeld(t, 0)
}
