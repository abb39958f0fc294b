package daemon

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/rating"
	"github.com/b24desk/b24desk/connector/report"
)

// Paths the daemon serves.
const (
	PathHealth     = "/healthz"
	PathReady      = "/readyz"
	PathMetrics    = "/metrics"
	PathDebugClock = "/debug/clock"
)

// listen binds the HTTP listener and builds the server.
func (d *Daemon) listen() error {
	addr := d.cfg.HTTP.Listen
	if d.opts.DebugClock != nil && !loopbackAddr(addr) {
		return fmt.Errorf("--debug-clock needs a loopback http.listen (127.0.0.1 or [::1]), not %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http listen %s: %w", addr, err)
	}
	d.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+PathReady, d.serveReady)
	metricsHandler := promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{Registry: d.reg})
	mux.HandleFunc("GET "+PathMetrics, func(w http.ResponseWriter, r *http.Request) {
		// The outbox gauges are read at scrape time too, so they are never stale.
		if err := d.outboxGauges(r.Context(), d.clk.Now()); err != nil {
			d.log.Warn().Err(err).Msg("outbox stats for metrics")
		}
		metricsHandler.ServeHTTP(w, r)
	})
	if d.events.handler != nil {
		mux.Handle(events.Path, d.accept.wrap(d.events.handler))
	}
	if d.opts.DebugClock != nil {
		mux.HandleFunc("POST "+PathDebugClock, d.serveDebugClock)
	}
	// Answer ratings: GET shows the form, POST records (rate-limited).
	mux.Handle(rating.PagePath, d.ratings.Handler())
	if tok := d.cfg.HTTP.ReportToken.Value(); tok != "" {
		mux.Handle("GET "+report.PagePath, report.Handler(report.HandlerOptions{Source: d.st, Token: tok,
			Rules: d.rules.Get, Clock: d.clk, Location: d.cfg.Portal.Location, Log: d.log}))
	}
	d.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		ErrorLog:          nil,
	}
	return nil
}

// loopbackAddr reports whether host:port names a loopback address.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// gate lets requests through until closed, then answers 503: at shutdown
// the portal's events stop being accepted (the portal does not retry, and
// reconcile finds what was refused).
type gate struct {
	mu     sync.RWMutex
	closed bool
}

func newGate() *gate { return &gate{} }

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.RLock()
		closed := g.closed
		g.mu.RUnlock()
		if closed {
			w.Header().Set("Retry-After", "10")
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}
