package daemon

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/metrics"
)

type tokenMem struct{ tok bitrix.Token }

func (m *tokenMem) Load(context.Context) (bitrix.Token, error)   { return m.tok, nil }
func (m *tokenMem) Save(_ context.Context, t bitrix.Token) error { m.tok = t; return nil }

// TestPortalUserOAuth: in OAuth mode the app's user comes from user.current
// and is remembered, so a start with the portal down still knows it.
func TestPortalUserOAuth(t *testing.T) {
	f := newFixture(t, false, "")
	p := sim.New(sim.Options{NoLimits: true})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	app := p.AddUser(sim.User{Name: "App", Active: true})
	access, refresh := p.IssueTokens(app)
	c, err := bitrix.New(bitrix.Config{MaxRetries: -1, OAuth: &bitrix.OAuthConfig{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), ServerURL: srv.URL, Endpoint: srv.URL + "/rest/",
		Store: &tokenMem{tok: bitrix.Token{AccessToken: access, RefreshToken: refresh}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := *f.cfg
	cfg.Portal = config.Portal{ClientID: "app"}
	d := &Daemon{cfg: &cfg, st: f.st, log: zerolog.Nop(), portal: newPortal(c, f.clk, metrics.New(newRegistry()))}
	ctx := context.Background()

	p.SetFaults(sim.Faults{Down: true})
	if got := d.portalUser(ctx); got != 0 {
		t.Errorf("portal down, nothing stored: user %d, want 0", got)
	}
	p.SetFaults(sim.Faults{})
	if got := d.portalUser(ctx); got != app {
		t.Errorf("portal up: user %d, want the app's user %d", got, app)
	}
	p.SetFaults(sim.Faults{Down: true})
	if got := d.portalUser(ctx); got != app {
		t.Errorf("portal down after a start: user %d, want the stored %d", got, app)
	}

	webhook := &Daemon{cfg: f.cfg, st: f.st, log: zerolog.Nop(), portal: d.portal}
	if got := webhook.portalUser(ctx); got != 1 {
		t.Errorf("webhook mode: user %d, want the URL's user 1", got)
	}
}
