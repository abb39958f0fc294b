package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/store"
)

// TestLimiterSharedAcrossProcesses: a process fills the portal's bucket and
// stops; the daemon restarted on the same state and a command beside it
// (opening the state as check does: read-only next to the daemon's lock)
// call the portal at once. With the bucket kept in the state they receive
// no QUERY_LIMIT_EXCEEDED; with in-process buckets (no state given to the
// client) the same calls do: the test can fail.
func TestLimiterSharedAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the portal's bucket to drain (about 10 s)")
	}
	for _, shared := range []bool{true, false} {
		name := "shared"
		if !shared {
			name = "in-process buckets"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // separate simulators and states
			limited, failed := restartBesideFilledBucket(t, shared)
			switch {
			case shared && (limited != 0 || failed != 0):
				t.Fatalf("shared bucket: the portal refused %d requests with QUERY_LIMIT_EXCEEDED (%d calls failed), want 0", limited, failed)
			case !shared && limited == 0:
				t.Fatal("in-process buckets: no QUERY_LIMIT_EXCEEDED, so this test could not tell sharing from none")
			}
			t.Logf("QUERY_LIMIT_EXCEEDED answers: %d", limited)
		})
	}
}

// restartBesideFilledBucket plays the three processes on a simulator with
// the portal's standard limits (2 requests/s, burst 50; the config's plan
// says the same) and returns how many requests the portal refused as over
// its limit and how many calls failed.
func restartBesideFilledBucket(t *testing.T, shared bool) (limited, failed int) {
	t.Helper()
	p := sim.New(sim.Options{EventDelay: -1, WebhookSecret: testSecret})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "b24desk.yaml")
	rulesPath, err := filepath.Abs("../../config/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := "portal:\n  webhook_url: " + p.WebhookURL(srv.URL) + "\n  plan: standard\n" +
		"rules:\n  path: " + rulesPath + "\nstate:\n  dir: " + filepath.Join(dir, "state") + "\n"
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, code := loadConfig(cfgPath, os.Stderr)
	if code != exitOK {
		t.Fatal("config")
	}
	ctx := context.Background()
	log := zerolog.Nop()
	client := func(st *store.Store, retries int) *bitrix.Client {
		t.Helper()
		if !shared {
			st = nil
		}
		c, err := newCommandClient(cfg, log, st, clock.System{}, retries)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	calls := func(c *bitrix.Client, n int) (failed int) {
		for range n {
			if _, err := c.Scope(ctx); err != nil {
				failed++
			}
		}
		return failed
	}

	// The previous daemon: heavy work fills the bucket to the client's
	// capacity (46 of the portal's 50), then it stops.
	prev, err := openState(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls(client(prev, 0), 46); n != 0 {
		t.Fatalf("filling the bucket: %d calls failed", n)
	}
	if err := prev.Close(); err != nil {
		t.Fatal(err)
	}

	// The restarted daemon and a command beside it, at once.
	daemonSt, err := openState(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer daemonSt.Close()
	cliSt, locked, err := openStateShared(ctx, cfg, log)
	if err != nil || !locked {
		t.Fatalf("the command beside the daemon: locked=%v, %v", locked, err)
	}
	defer cliSt.Close()
	daemonC, cliC := client(daemonSt, 0), client(cliSt, 1) // check allows one retry
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range []*bitrix.Client{daemonC, cliC} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := calls(c, 10)
			mu.Lock()
			failed += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, c := range p.Calls() {
		if c.Code == "QUERY_LIMIT_EXCEEDED" {
			limited++
		}
	}
	return limited, failed
}
