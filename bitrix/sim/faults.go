package sim

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Faults are failures the portal simulates on demand (SetFaults, or at run
// time through the simulator's control endpoint, control.go). Rates are
// shares of requests in [0, 1], drawn from the portal's seeded generator.
//
// The two error answers are the portal's own, as its system errors list
// them (_includes/system-errors.md: 500 INTERNAL_SERVER_ERROR, 503
// QUERY_LIMIT_EXCEEDED). The rest are not the portal's behaviour but what a
// network and the web server in front of a portal do to a client (an nginx
// error page, a dropped connection, an answer that never comes, a write
// that lands late); the docs are silent on them, they are the simulator's
// own fault injection.
type Faults struct {
	Latency      time.Duration // added before every answer
	Error500Rate float64       // 500 INTERNAL_SERVER_ERROR (not executed)
	Error503Rate float64       // 503 QUERY_LIMIT_EXCEEDED whatever the bucket says (not executed)
	HTMLRate     float64       // a non-JSON HTML page with HTMLStatus (not executed)
	HTMLStatus   int           // default 502
	Down         bool          // every request fails: 502 HTML page, or a closed connection with DownClose
	DownClose    bool

	// Blackhole: every request is taken and never answered, nor run (a
	// network partition, a hung load balancer: the client meets its own
	// timeout, not a connection error). The connection stays open, what
	// the client sends is read and dropped, until the client closes it;
	// switching Blackhole off or closing the portal closes the connections
	// it still holds. A network fault: no Bitrix24 docs page describes it.
	// Down wins over it.
	Blackhole bool

	// WriteTimeout: a write is applied, then the answer hangs until the
	// client gives up (or WriteTimeoutAfter passes: then 504 HTML).
	// WriteTimeoutRate does the same to that share of the writes.
	WriteTimeout      bool
	WriteTimeoutRate  float64
	WriteTimeoutAfter time.Duration
	// WriteDropRate: that share of the writes is applied, then the
	// connection is closed without an answer.
	WriteDropRate float64
	// LateWrite: a write is held until the client gives up and applied
	// LateWriteDelay after that (a lost answer of a write still in flight).
	// LateWriteRate does the same to that share of the writes.
	LateWrite      bool
	LateWriteRate  float64
	LateWriteDelay time.Duration

	// Refuse lists methods the portal refuses, alone or inside a batch,
	// with 400 ACCESS_DENIED "Insufficient permissions to perform the
	// operation" (a right taken away; the code and status as in
	// api-reference/crm/timeline/activities/todo/crm-activity-todo-add.md,
	// "Possible Error Codes").
	Refuse []string

	// MovedTo is the domain-change mode: every request not already on this
	// base URL (scheme://host[/path]) is answered 302 with the same path and
	// query under it. Serve the portal there too.
	MovedTo string
}

// SetFaults replaces the active faults; the zero Faults switches them off.
func (p *Portal) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setFaults(f)
}

// setFaults puts f in force; call it with p.mu held. A blackhole that ends
// releases the requests it holds (their connections are closed).
func (p *Portal) setFaults(f Faults) {
	if !f.Blackhole {
		p.endHole()
	} else if p.st.hole == nil {
		p.st.hole = make(chan struct{})
	}
	p.st.faults = f
}

// endHole releases the requests the blackhole holds; call it with p.mu
// held.
func (p *Portal) endHole() {
	if p.st.hole != nil {
		close(p.st.hole)
		p.st.hole = nil
	}
}

// transportFault answers a request with a fault before it is parsed, and
// reports whether it did.
func (p *Portal) transportFault(w http.ResponseWriter, r *http.Request, name string) bool {
	p.mu.Lock()
	f, hole := p.st.faults, p.st.hole
	e500, e503, html := p.roll(f.Error500Rate), p.roll(f.Error503Rate), p.roll(f.HTMLRate)
	p.mu.Unlock()
	if f.Latency > 0 {
		sleep(r.Context(), f.Latency)
	}
	switch {
	case f.MovedTo != "" && !onBase(r, f.MovedTo):
		u := strings.TrimRight(f.MovedTo, "/") + "/rest/" + restPath(r.URL.Path)
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", u)
		w.WriteHeader(http.StatusFound)
		p.record(name, http.StatusFound, "")
	case f.Down && f.DownClose:
		p.dropConnection(w, name)
	case f.Down:
		writeHTML(w, http.StatusBadGateway, "502 Bad Gateway")
		p.record(name, http.StatusBadGateway, "")
	case f.Blackhole:
		p.hold(w, r, name, hole)
	case e500:
		writeJSON(w, 500, errf(500, "INTERNAL_SERVER_ERROR", "Internal server error").body())
		p.record(name, 500, "INTERNAL_SERVER_ERROR")
	case e503:
		writeJSON(w, 503, errf(503, "QUERY_LIMIT_EXCEEDED", "Too many requests").body())
		p.record(name, 503, "QUERY_LIMIT_EXCEEDED")
	case html:
		st := f.HTMLStatus
		if st == 0 {
			st = http.StatusBadGateway
		}
		writeHTML(w, st, http.StatusText(st))
		p.record(name, st, "")
	default:
		return false
	}
	return true
}

// roll draws whether a fault of rate happens; call it with p.mu held.
func (p *Portal) roll(rate float64) bool { return rate > 0 && p.st.rng.Float64() < rate }

// writeFault is the lost-answer fault (if any) a write gets this time;
// call it with p.mu held.
func (p *Portal) writeFault(f Faults) writeFaultKind {
	switch {
	case f.LateWrite || p.roll(f.LateWriteRate):
		return faultLateWrite
	case f.WriteTimeout || p.roll(f.WriteTimeoutRate):
		return faultWriteTimeout
	case p.roll(f.WriteDropRate):
		return faultWriteDrop
	}
	return faultNone
}

type writeFaultKind int

const (
	faultNone writeFaultKind = iota
	faultLateWrite
	faultWriteTimeout
	faultWriteDrop
)

// dropConnection closes the client's connection without an answer (a 502
// page when the server cannot hand the connection over).
func (p *Portal) dropConnection(w http.ResponseWriter, name string) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			p.record(name, 0, "")
			return
		}
	}
	writeHTML(w, http.StatusBadGateway, "502 Bad Gateway")
	p.record(name, http.StatusBadGateway, "")
}

// hold keeps a request of the blackhole unanswered: the connection is taken
// over and what the client sends is read and dropped until the client
// closes it, or release (the blackhole ends) or the portal's close comes;
// then the connection is closed. Recorded as a request without an answer.
func (p *Portal) hold(w http.ResponseWriter, r *http.Request, name string, release <-chan struct{}) {
	p.record(name, 0, "")
	stop := p.events.stop
	var conn net.Conn
	var buf *bufio.ReadWriter
	var err error = http.ErrNotSupported
	if hj, ok := w.(http.Hijacker); ok {
		conn, buf, err = hj.Hijack()
	}
	if err != nil {
		// A server that cannot hand the connection over (HTTP/2): the
		// request waits instead, then gets the 504 page a load balancer
		// gives up with.
		select {
		case <-r.Context().Done():
			return
		case <-release:
		case <-stop:
		}
		writeHTML(w, http.StatusGatewayTimeout, "504 Gateway Time-out")
		return
	}
	_ = conn.SetDeadline(time.Time{}) // a server's read timeout does not end the hold
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, buf)
		close(closed)
	}()
	select {
	case <-closed:
	case <-release:
	case <-stop:
	}
	_ = conn.Close()
	<-closed
}

func restPath(path string) string {
	if i := strings.Index(path, "/rest/"); i >= 0 {
		return path[i+len("/rest/"):]
	}
	return strings.TrimLeft(path, "/")
}

// onBase reports whether r arrived on the base URL.
func onBase(r *http.Request, base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return true
	}
	return strings.EqualFold(u.Host, r.Host) && strings.HasPrefix(r.URL.Path, strings.TrimRight(u.Path, "/")+"/rest/")
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// hang keeps a write's answer until the client gives up, or answers 504.
func (p *Portal) hang(r *http.Request, w http.ResponseWriter, f Faults) {
	if f.WriteTimeoutAfter <= 0 {
		<-r.Context().Done()
		return
	}
	if sleep(r.Context(), f.WriteTimeoutAfter) {
		writeHTML(w, http.StatusGatewayTimeout, "504 Gateway Time-out")
	}
}

// lateWrite holds a write until the client gives up (at most 60 s, then it
// answers 504), and applies it LateWriteDelay later.
func (p *Portal) lateWrite(r *http.Request, w http.ResponseWriter, m method, c *call, f Faults) {
	if sleep(r.Context(), 60*time.Second) {
		writeHTML(w, http.StatusGatewayTimeout, "504 Gateway Time-out")
	}
	p.record(c.method, 0, "")
	c.ctx = context.Background()
	stop := p.events.stop
	go func() {
		t := time.NewTimer(f.LateWriteDelay)
		defer t.Stop()
		select {
		case <-stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		_, _ = m.fn(c)
	}()
}
