package daemon

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/desk"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/mail"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// core is the ticket engine and the SLA clock as the daemon wires them.
type core struct {
	sink     events.Sink
	customer mail.Tickets
	// departments returns the cached members of department pools, for
	// routing; loadDepartments reads them (the SLA ticks refresh them).
	departments     func() map[int][]int
	loadDepartments func(ctx context.Context) error
	tick            func(ctx context.Context, now time.Time) error
	// recipients expands the rules' notify entries (pools, assignee).
	recipients func(r *rules.Rules, t *ticket.Ticket, entries []string) []int
}

// tickets is what the mail intake tells about customer replies.
func (c core) tickets() mail.Tickets { return c.customer }

// buildCore builds the ticket engine (connector/desk), which owns the SLA
// clock (connector/sla) the daemon ticks.
func buildCore(d *Daemon) (core, error) {
	e, err := desk.New(desk.Options{
		Store: d.st, Outbox: d.outbox, Client: d.portal,
		Rules: d.rules.Get, Schema: func() *schema.Map { return d.schema },
		Clock: d.clk, Log: d.opts.Logger.With().Str("component", "desk").Logger(), Metrics: d.metrics,
		WebhookUserID: d.appUser, ReopenWindow: d.cfg.Threading.ReopenWindow, SkipEchoes: true,
		Acknowledge: func(ctx context.Context, tx *store.Tx, lead *bitrix.Lead, t ticket.Ticket) error {
			if d.ackAdopted == nil {
				return nil
			}
			return d.ackAdopted(ctx, tx, lead, t)
		},
		LearnSpam: d.spam != nil,
	})
	if err != nil {
		return core{}, fmt.Errorf("ticket engine: %w", err)
	}
	clk := e.SLA()
	return core{
		sink:            e,
		customer:        e,
		departments:     clk.DepartmentMembers,
		loadDepartments: clk.LoadDepartments,
		recipients:      clk.Recipients,
		tick: func(ctx context.Context, now time.Time) error {
			_, err := clk.Tick(ctx, now)
			return err
		},
	}, nil
}

// webhookUserID is the user of an inbound webhook URL
// (https://HOST/rest/USER_ID/SECRET/), 0 in OAuth mode or when unreadable.
func webhookUserID(p config.Portal) int {
	if p.AuthMode() != config.AuthWebhook {
		return 0
	}
	u, err := url.Parse(p.WebhookURL.Value())
	if err != nil {
		return 0
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "rest" {
			id, err := strconv.Atoi(parts[i+1])
			if err == nil && id > 0 {
				return id
			}
		}
	}
	return 0
}
