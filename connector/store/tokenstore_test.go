package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
)

// TestTokensDaemonAndCLI refreshes from the daemon's store and from a CLI's
// shared store at once: the refresh token is spent once and both end with
// the new pair.
func TestTokensDaemonAndCLI(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	clk := clock.NewManual(t0)
	daemon := openTest(t, dir)
	cli, err := openSharedTest(t, dir, false)
	if err != nil {
		t.Fatalf("OpenShared beside the daemon: %v", err)
	}
	defer cli.Close()

	if _, err := daemon.Tokens(clk).Load(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load before install: %v", err)
	}
	if err := daemon.Tokens(clk).Save(ctx, bitrix.Token{AccessToken: "a0", RefreshToken: "r0", Expires: t0}); err != nil {
		t.Fatal(err)
	}
	var spent atomic.Int32
	fetch := func(ctx context.Context, refresh string) (bitrix.Token, error) {
		if refresh != "r0" {
			return bitrix.Token{}, errors.New("invalid_grant: refresh token already used")
		}
		spent.Add(1)
		time.Sleep(20 * time.Millisecond) // the OAuth server takes a while
		return bitrix.Token{AccessToken: "a1", RefreshToken: "r1", Expires: t0.Add(time.Hour)}, nil
	}
	var wg sync.WaitGroup
	for _, s := range []*Store{daemon, cli, daemon, cli} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := s.Tokens(clk).Refresh(ctx, "a0", fetch)
			if err != nil || tok.AccessToken != "a1" || tok.RefreshToken != "r1" {
				t.Errorf("refresh = %q, %v", tok.AccessToken, err)
			}
		}()
	}
	wg.Wait()
	if n := spent.Load(); n != 1 {
		t.Fatalf("refresh token spent %d times, want 1", n)
	}
	tok, err := cli.Tokens(clk).Load(ctx)
	if err != nil || tok.RefreshToken != "r1" || !tok.Expires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("stored = %v, %v", tok.RefreshToken, err)
	}
}
