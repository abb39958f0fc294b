package daemon

import (
	"context"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Setup brings the portal to what cfg and r need (schema.Ensure) and, unless
// dryRun, records the schema map in st in one transaction. It is the work of
// `b24desk setup` after loading, shared with the demo. The report is
// returned even with an error, so the caller can print what was done.
func Setup(ctx context.Context, cfg *config.Config, r *rules.Rules, c *bitrix.Client, st *store.Store, dryRun bool) (*schema.Report, error) {
	opts := schema.Options{DryRun: dryRun, AppMode: cfg.Portal.AuthMode() == config.AuthOAuth, EventsMode: cfg.Events.Mode,
		Canned: r.TemplateNames()}
	if cfg.HTTP.PublicBaseURL != "" {
		opts.EventsURL = strings.TrimRight(cfg.HTTP.PublicBaseURL, "/") + events.Path
	}
	rep, err := schema.Ensure(ctx, c, r, opts)
	if err != nil || dryRun {
		return rep, err
	}
	old, err := schema.Load(ctx, st)
	if err != nil {
		return rep, err
	}
	return rep, st.WithTx(ctx, func(tx *store.Tx) error { return rep.Map.Save(ctx, old, tx) })
}
