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

// Retries bounds a portal client's retries per call, each as
// bitrix.Config's: 0 the client's default, negative none.
type Retries struct {
	// Max bounds every retry of a call (bitrix.Config.MaxRetries).
	Max int
	// Network bounds those after a failure with no answer: connection
	// refused, DNS, reset, timeout (bitrix.Config.NetworkRetries).
	Network int
}

// NewClient builds the portal client from cfg.Portal: a webhook, or an
// OAuth application whose tokens live in st (st may be nil in webhook
// mode). The daemon passes Retries{} (the client's defaults: it rides out
// an outage); one-shot commands bound them to answer fast. Every b24desk
// process (the daemon, the CLI commands, the demo) builds its client here,
// and with a state st its request limiter keeps the portal's bucket in st,
// shared by every process on that state (store.BitrixBuckets); without
// one the bucket lives in this process only, which a warning says.
func NewClient(cfg *config.Config, log zerolog.Logger, st *store.Store, clk clock.Clock, retries Retries) (*bitrix.Client, error) {
	p := cfg.Portal
	bc := bitrix.Config{Plan: p.Plan, Rate: p.Rate, Burst: p.Burst, Timeout: p.RequestTimeout, Logger: log, Clock: clk,
		MaxRetries: retries.Max, NetworkRetries: retries.Network}
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
