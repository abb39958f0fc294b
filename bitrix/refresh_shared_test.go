package bitrix_test

import (
	"context"
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
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/store"
)

// Two clients on one state (the daemon and a CLI command) refreshing at once
// must spend the refresh token once: the second re-reads the stored pair.
// Without the store's TokenRefresher the second client would present the
// already-spent refresh token and get invalid_grant.
func TestSharedStateSpendsRefreshTokenOnce(t *testing.T) {
	p := sim.New(sim.Options{NoLimits: true})
	var refreshes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/oauth/token") {
			refreshes.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
		p.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer p.Close()

	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	access, refresh := p.IssueTokens(1)
	if err := st.SaveToken(ctx, store.Token{AccessToken: access, RefreshToken: refresh}, time.Now()); err != nil {
		t.Fatal(err)
	}
	p.ExpireAccessTokens()

	newClient := func() *bitrix.Client {
		c, err := bitrix.New(bitrix.Config{OAuth: &bitrix.OAuthConfig{
			ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), ServerURL: srv.URL,
			Endpoint: srv.URL + "/rest/", Store: st.Tokens(clock.System{}),
		}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	daemon, cli := newClient(), newClient()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, c := range []*bitrix.Client{daemon, cli} {
		wg.Go(func() {
			_, err := c.CRMMode(ctx)
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
		t.Errorf("%d refresh requests, want 1", n)
	}
	tok, _, err := st.LoadToken(ctx)
	if err != nil || tok.RefreshToken == refresh {
		t.Errorf("stored pair not rotated: %v", err)
	}
}
