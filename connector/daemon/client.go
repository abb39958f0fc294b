package daemon

import (
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/store"
)

// NewClient builds the portal client from cfg.Portal: a webhook, or an
// OAuth application whose tokens live in st (st may be nil in webhook
// mode). retries bounds the retries per call (0: the client's default;
// negative: none), for commands that should answer fast. Every b24desk
// process (the daemon, the CLI commands, the demo) builds its client here,
// and with a state st its request limiter keeps the portal's bucket in st,
// shared by every process on that state (store.BitrixBuckets); without
// one the bucket lives in this process only, which a warning says.
func NewClient(cfg *config.Config, log zerolog.Logger, st *store.Store, clk clock.Clock, retries int) (*bitrix.Client, error) {
	p := cfg.Portal
	bc := bitrix.Config{Plan: p.Plan, Rate: p.Rate, Burst: p.Burst, Timeout: p.RequestTimeout, Logger: log, Clock: clk,
		MaxRetries: retries}
	if st != nil {
		bc.Bucket = st.Buckets()
	} else {
		log.Warn().Str("component", "bitrix").
			Msg("no state open: the request limiter counts this process only, not the daemon or other commands beside it")
	}
	if p.AuthMode() == config.AuthWebhook {
		bc.WebhookURL = p.WebhookURL.Value()
	} else {
		if st == nil {
			return nil, errors.New("OAuth mode keeps its tokens in the state: the state could not be opened")
		}
		bc.OAuth = &bitrix.OAuthConfig{ClientID: p.ClientID, ClientSecret: p.ClientSecret.Value(),
			ServerURL: p.OAuthServer, Endpoint: p.Endpoint, Store: st.Tokens(clk)}
	}
	c, err := bitrix.New(bc)
	if err != nil {
		return nil, fmt.Errorf("portal client: %w", err)
	}
	return c, nil
}
