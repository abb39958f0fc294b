package daemon

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/mail"
)

// core is the ticket engine and the SLA clock as the daemon wires them.
// A nil sink means no engine: portal changes are not acted on, so the
// events worker and reconcile do not run (changes wait in the portal).
type core struct {
	sink     events.Sink
	customer mail.Tickets
	tick     func(ctx context.Context, now time.Time) error
}

// tickets is what the mail intake tells about customer replies (nil: none).
func (c core) tickets() mail.Tickets {
	if c.customer == nil {
		return nil
	}
	return c.customer
}

// buildCore builds the ticket engine (connector/desk) and the SLA clock
// (connector/sla).
//
// TODO(daemon): wire connector/desk.Engine (events.Sink and mail.Tickets)
// and connector/sla's Tick here once those packages land; until then the
// daemon runs mail intake, the outbox and event recording only.
func buildCore(d *Daemon) (core, error) {
	d.log.Warn().Msg("ticket engine and SLA clock not built into this binary: portal changes are recorded but not acted on")
	return core{}, nil
}
