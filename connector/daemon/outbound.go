package daemon

import (
	"fmt"

	"github.com/b24desk/b24desk/connector/outbound"
	"github.com/b24desk/b24desk/connector/schema"
)

// buildOutbound adds outbound mail (staff answers, canned answers,
// acknowledgements): its outbox kind and hooks (after the intake's), and a
// sink around the ticket engine that sends the answer a change carries.
// Mailboxes without smtp.host send nothing.
func buildOutbound(d *Daemon) error {
	var tickets outbound.Tickets
	if t, ok := d.core.customer.(outbound.Tickets); ok {
		tickets = t
	}
	out, err := outbound.New(outbound.Options{
		Mailboxes: d.cfg.Mailboxes, TagFormat: d.cfg.Threading.TagFormat, Location: d.cfg.Portal.Location,
		Store: d.st, Outbox: d.outbox, Portal: d.portal, Rules: d.rules.Get,
		Schema: func() *schema.Map { return d.schema }, Tickets: tickets, Clock: d.clk, Log: d.opts.Logger,
		Metrics: d.metrics, Rating: d.ratings.BlockFor,
	})
	if err != nil {
		return fmt.Errorf("outbound mail: %w", err)
	}
	out.Register()
	d.ackAdopted = out.AckAdopted
	if d.core.sink != nil {
		d.core.sink = outbound.Sink{Next: d.core.sink, Out: out}
	}
	return nil
}
