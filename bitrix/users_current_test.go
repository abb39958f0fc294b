package bitrix_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
)

// TestUserCurrent: user.current names the webhook's user, or the user an
// OAuth token was issued to.
func TestUserCurrent(t *testing.T) {
	p := sim.New(sim.Options{NoLimits: true, WebhookUserID: 3})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	app := p.AddUser(sim.User{Name: "App", Active: true})
	access, refresh := p.IssueTokens(app)
	webhook, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	oauth, err := bitrix.New(bitrix.Config{OAuth: &bitrix.OAuthConfig{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), ServerURL: srv.URL, Endpoint: srv.URL + "/rest/",
		Store: &memStore{tok: bitrix.Token{AccessToken: access, RefreshToken: refresh}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		client *bitrix.Client
		want   int
	}{
		{"webhook", webhook, 3},
		{"oauth", oauth, app},
	} {
		u, err := c.client.UserCurrent(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if int(u.ID) != c.want || !bool(u.Active) {
			t.Errorf("%s: user %+v, want ID %d", c.name, u, c.want)
		}
	}
}
