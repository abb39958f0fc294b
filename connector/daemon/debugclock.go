package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// ClockRequest is the body of POST /debug/clock: exactly one of Set (an
// RFC 3339 time) and Advance (a Go duration such as "90m").
type ClockRequest struct {
	Set     string `json:"set,omitempty"`
	Advance string `json:"advance,omitempty"`
}

// ClockAnswer is the answer of POST /debug/clock: the clock's new time, and
// whether this node ran an SLA tick at it (false on a standby, which does
// none of the portal's work).
type ClockAnswer struct {
	Now    time.Time `json:"now"`
	Ticked bool      `json:"sla_ticked"`
}

// serveDebugClock moves the debug clock, then, on the node doing the
// portal's work, runs an SLA tick and wakes the outbox and the events
// worker so that the effects of the new time happen promptly. A standby
// only moves its clock. Only loopback clients are served.
func (d *Daemon) serveDebugClock(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		http.Error(w, "debug clock: loopback only", http.StatusForbidden)
		return
	}
	var req ClockRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "debug clock: body must be {\"set\": RFC3339} or {\"advance\": duration}", http.StatusBadRequest)
		return
	}
	mc := d.opts.DebugClock
	switch {
	case req.Set != "" && req.Advance == "":
		t, err := time.Parse(time.RFC3339Nano, req.Set)
		if err != nil {
			http.Error(w, fmt.Sprintf("debug clock: set: %v", err), http.StatusBadRequest)
			return
		}
		mc.Set(t)
	case req.Advance != "" && req.Set == "":
		dur, err := time.ParseDuration(req.Advance)
		if err != nil || dur < 0 {
			http.Error(w, "debug clock: advance must be a non-negative duration", http.StatusBadRequest)
			return
		}
		mc.Advance(dur)
	default:
		http.Error(w, "debug clock: give exactly one of set and advance", http.StatusBadRequest)
		return
	}
	now := mc.Now()
	if !d.leader.leading.Load() {
		d.log.Info().Time("now", now).Msg("debug clock moved (standby: no SLA tick)")
		writeJSON(w, http.StatusOK, ClockAnswer{Now: now})
		return
	}
	d.log.Info().Time("now", now).Msg("debug clock moved")
	d.tickSLA(r.Context(), now)
	d.wakeOutbox()
	if d.events.worker != nil {
		d.events.worker.Notify()
	}
	writeJSON(w, http.StatusOK, ClockAnswer{Now: now, Ticked: true})
}
