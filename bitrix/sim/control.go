package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// The control endpoint is the simulator's own, not the portal's (no
// Bitrix24 portal has it): it sets the faults and reads the audit while the
// simulator serves, so a soak or a person running `b24desk sim` needs no
// harness of their own. Only loopback clients are served.
//
//	GET  /sim/faults             the active faults (FaultsJSON)
//	PUT  /sim/faults             replace them (the fields left out are off)
//	POST /sim/faults             change only the fields given, e.g. {"down": true}
//	                             or {"blackhole": true}
//	GET  /sim/audit[?prefix=P]   the Audit; with prefix, of the comments and
//	                             notifications starting with P, each named
//	                             by its first line (FirstLineWithPrefix)
const (
	ControlFaultsPath = "/sim/faults"
	ControlAuditPath  = "/sim/audit"
)

// FaultsJSON is Faults as the control endpoint reads and writes it:
// durations as Go duration strings ("250ms").
type FaultsJSON struct {
	Latency           string   `json:"latency,omitempty"`
	Error500Rate      float64  `json:"error_500_rate,omitempty"`
	Error503Rate      float64  `json:"error_503_rate,omitempty"`
	HTMLRate          float64  `json:"html_rate,omitempty"`
	HTMLStatus        int      `json:"html_status,omitempty"`
	Down              bool     `json:"down"`
	DownClose         bool     `json:"down_close,omitempty"`
	Blackhole         bool     `json:"blackhole"`
	WriteTimeout      bool     `json:"write_timeout,omitempty"`
	WriteTimeoutRate  float64  `json:"write_timeout_rate,omitempty"`
	WriteTimeoutAfter string   `json:"write_timeout_after,omitempty"`
	WriteDropRate     float64  `json:"write_drop_rate,omitempty"`
	LateWrite         bool     `json:"late_write,omitempty"`
	LateWriteRate     float64  `json:"late_write_rate,omitempty"`
	LateWriteDelay    string   `json:"late_write_delay,omitempty"`
	Refuse            []string `json:"refuse,omitempty"`
	MovedTo           string   `json:"moved_to,omitempty"`
}

// JSON returns f as the control endpoint shows it.
func (f Faults) JSON() FaultsJSON {
	d := func(v time.Duration) string {
		if v == 0 {
			return ""
		}
		return v.String()
	}
	return FaultsJSON{Latency: d(f.Latency), Error500Rate: f.Error500Rate, Error503Rate: f.Error503Rate,
		HTMLRate: f.HTMLRate, HTMLStatus: f.HTMLStatus, Down: f.Down, DownClose: f.DownClose, Blackhole: f.Blackhole,
		WriteTimeout: f.WriteTimeout, WriteTimeoutRate: f.WriteTimeoutRate, WriteTimeoutAfter: d(f.WriteTimeoutAfter),
		WriteDropRate: f.WriteDropRate, LateWrite: f.LateWrite, LateWriteRate: f.LateWriteRate,
		LateWriteDelay: d(f.LateWriteDelay), Refuse: f.Refuse, MovedTo: f.MovedTo}
}

// Faults checks j and returns it as Faults: rates within [0, 1], durations
// that parse and are not negative.
func (j FaultsJSON) Faults() (Faults, error) {
	f := Faults{Error500Rate: j.Error500Rate, Error503Rate: j.Error503Rate, HTMLRate: j.HTMLRate,
		HTMLStatus: j.HTMLStatus, Down: j.Down, DownClose: j.DownClose, Blackhole: j.Blackhole, WriteTimeout: j.WriteTimeout,
		WriteTimeoutRate: j.WriteTimeoutRate, WriteDropRate: j.WriteDropRate, LateWrite: j.LateWrite,
		LateWriteRate: j.LateWriteRate, Refuse: j.Refuse, MovedTo: j.MovedTo}
	for name, r := range map[string]float64{"error_500_rate": j.Error500Rate, "error_503_rate": j.Error503Rate,
		"html_rate": j.HTMLRate, "write_timeout_rate": j.WriteTimeoutRate, "write_drop_rate": j.WriteDropRate,
		"late_write_rate": j.LateWriteRate} {
		if r < 0 || r > 1 {
			return Faults{}, fmt.Errorf("%s %g: want a share in [0, 1]", name, r)
		}
	}
	if j.HTMLStatus != 0 && (j.HTMLStatus < 100 || j.HTMLStatus > 599) {
		return Faults{}, fmt.Errorf("html_status %d: want an HTTP status", j.HTMLStatus)
	}
	for _, d := range []struct {
		name string
		s    string
		to   *time.Duration
	}{{"latency", j.Latency, &f.Latency}, {"write_timeout_after", j.WriteTimeoutAfter, &f.WriteTimeoutAfter},
		{"late_write_delay", j.LateWriteDelay, &f.LateWriteDelay}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil || v < 0 {
			return Faults{}, fmt.Errorf("%s %q: want a duration such as 250ms", d.name, d.s)
		}
		*d.to = v
	}
	return f, nil
}

// ActiveFaults returns the faults in force.
func (p *Portal) ActiveFaults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.faults
}

// serveControl answers the control endpoint; it reports whether the path
// was one of it.
func (p *Portal) serveControl(w http.ResponseWriter, r *http.Request) bool {
	path := strings.TrimRight(r.URL.Path, "/")
	if path != ControlFaultsPath && path != ControlAuditPath {
		return false
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		http.Error(w, "sim control: loopback clients only", http.StatusForbidden)
		return true
	}
	switch {
	case path == ControlAuditPath && r.Method == http.MethodGet:
		var key AuditKey
		if prefix := r.URL.Query().Get("prefix"); prefix != "" {
			key = FirstLineWithPrefix(prefix)
		}
		controlJSON(w, p.Audit(key))
	case path == ControlFaultsPath && r.Method == http.MethodGet:
		controlJSON(w, p.ActiveFaults().JSON())
	case path == ControlFaultsPath && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		p.setFaultsJSON(w, r)
	default:
		w.Header().Set("Allow", "GET, PUT, POST")
		http.Error(w, "sim control: method not allowed", http.StatusMethodNotAllowed)
	}
	return true
}

// setFaultsJSON replaces the faults (PUT) or changes the fields given
// (POST), and answers the faults now in force.
func (p *Portal) setFaultsJSON(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var j FaultsJSON
	if r.Method == http.MethodPost {
		j = p.st.faults.JSON()
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		http.Error(w, "sim control: body: "+err.Error(), http.StatusBadRequest)
		return
	}
	f, err := j.Faults()
	if err != nil {
		http.Error(w, "sim control: "+err.Error(), http.StatusBadRequest)
		return
	}
	p.setFaults(f)
	p.log.Info().Interface("faults", j).Msg("faults set")
	controlJSON(w, f.JSON())
}

func controlJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
