package daemon

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// Readiness is the /readyz answer: Ready, for each failing check a line
// saying what is not ready, and the portal writes parked for an operator
// (at most maxParkedShown). Parked writes do not make the daemon unready:
// it goes on with every other write, and taking it out of service would
// not help; they are an alert (b24desk_outbox_parked > 0), a notification
// to outbox.alert_users and a failed line of `b24desk check`.
type Readiness struct {
	Ready    bool     `json:"ready"`
	NotReady []string `json:"not_ready,omitempty"`
	// Role is "leader" or "standby" when several daemons share the state
	// (a standby is ready when it can accept portal events: the state can
	// be written).
	Role string `json:"role,omitempty"`
	// Parked lists writes waiting for an operator (they do not make it
	// unready).
	Parked []string `json:"parked,omitempty"`
	// Warnings say what is degraded without making the daemon unready
	// (spamd unreachable: mail goes on unchecked).
	Warnings []string `json:"warnings,omitempty"`
}

// maxParkedShown bounds the parked writes /readyz lists.
const maxParkedShown = 10

// CheckReady evaluates the readiness rules at the clock's time: the portal
// answered within PortalStaleAfter, each mailbox was checked within its
// stale_after, and the outbox's oldest pending write is younger than
// OutboxStuckAfter, and the state can be written (a write check now, and
// no write failed for a storage reason since the last good one). Right
// after start a part gets its full bound to show up.
func (d *Daemon) CheckReady(ctx context.Context) Readiness {
	if d.role() == "standby" {
		var bad []string
		if err := d.st.WriteHealth(ctx); err != nil {
			bad = append(bad, "state: "+err.Error())
		}
		return Readiness{Ready: len(bad) == 0, NotReady: bad, Role: "standby"}
	}
	now := d.clk.Now()
	var bad []string
	since := func(t time.Time) time.Duration {
		if t.IsZero() {
			t = d.workStart()
		}
		return now.Sub(t)
	}
	if age := since(d.portal.LastOK()); age > d.opts.PortalStaleAfter {
		bad = append(bad, fmt.Sprintf("portal: no answer for %s (bound %s)", age.Round(time.Second), d.opts.PortalStaleAfter))
	}
	for i, in := range d.intakes {
		stale := d.cfg.Mailboxes[i].StaleAfter
		if age := since(in.Health()); stale > 0 && age > stale {
			bad = append(bad, fmt.Sprintf("mailbox %s: not checked for %s (stale_after %s)", in.Name(), age.Round(time.Second), stale))
		}
	}
	if err := d.st.WriteHealth(ctx); err != nil {
		bad = append(bad, "state: "+err.Error())
	}
	st, err := d.outbox.Stats(ctx)
	switch {
	case err != nil:
		bad = append(bad, "outbox: state unreadable: "+err.Error())
	case st.OldestAge > d.opts.OutboxStuckAfter:
		bad = append(bad, fmt.Sprintf("outbox: oldest pending write is %s old (bound %s, %d pending)",
			st.OldestAge.Round(time.Second), d.opts.OutboxStuckAfter, st.Depth))
	}
	var parked []string
	if st.Parked > 0 {
		rows, err := d.outbox.List(ctx, store.OutboxParked, maxParkedShown)
		if err != nil {
			bad = append(bad, "outbox: state unreadable: "+err.Error())
		}
		for _, r := range rows {
			parked = append(parked, outbox.ParkedLine(r))
		}
		if st.Parked > len(rows) && len(rows) > 0 {
			parked = append(parked, fmt.Sprintf("… %d more: b24desk outbox", st.Parked-len(rows)))
		}
	}
	return Readiness{Ready: len(bad) == 0, NotReady: bad, Role: d.role(), Parked: parked, Warnings: d.spamWarnings()}
}

func (d *Daemon) serveReady(w http.ResponseWriter, r *http.Request) {
	rd := d.CheckReady(r.Context())
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, rd)
}
