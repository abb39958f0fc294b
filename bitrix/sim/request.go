package sim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

const maxBody = 64 << 20

// serveREST handles /rest/{user}/{secret}/{method} and /rest/{method}.
func (p *Portal) serveREST(w http.ResponseWriter, r *http.Request, rest string) {
	wallStart := p.wall.Now()
	start := p.clk.Now()
	name, hook, user, secret := splitRESTPath(rest)
	if p.transportFault(w, r, name) {
		return
	}
	prm, perr := readParams(r)
	status, out, code := p.handle(r, name, hook, user, secret, prm, perr, start, wallStart, w)
	if status == 0 { // answered by a fault
		return
	}
	writeJSON(w, status, out)
	p.record(name, status, code)
}

// splitRESTPath splits "1/secret/crm.lead.get.json" or "crm.lead.get".
func splitRESTPath(rest string) (name string, hook bool, user, secret string) {
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch len(parts) {
	case 1:
		name = parts[0]
	case 3:
		hook, user, secret, name = true, parts[0], parts[1], parts[2]
	default:
		name = parts[len(parts)-1]
		hook = true // an unknown shape is a broken webhook URL
	}
	name = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".JSON"))
	return name, hook, user, secret
}

// handle authenticates, limits and runs one request. It returns the HTTP
// status and body, or status 0 when a fault already answered.
func (p *Portal) handle(r *http.Request, name string, hook bool, user, secret string, prm params, perr *apiError,
	start, wallStart time.Time, w http.ResponseWriter) (int, map[string]any, string) {
	fail := func(e *apiError) (int, map[string]any, string) { return e.status, e.body(), e.code }
	if perr != nil {
		return fail(perr)
	}
	c := &call{ctx: r.Context(), method: name, params: prm}
	p.mu.Lock()
	if e := p.authenticate(c, hook, user, secret); e != nil {
		p.mu.Unlock()
		return fail(e)
	}
	if !p.opts.NoLimits && !p.st.bucket.take(p.wall.Now(), p.opts.Rate, p.opts.Burst) {
		p.mu.Unlock()
		return fail(errf(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"))
	}
	m, e := p.lookup(c)
	if e != nil {
		p.mu.Unlock()
		return fail(e)
	}
	if e := p.checkOperating(name); e != nil {
		p.mu.Unlock()
		return fail(e)
	}
	f := p.st.faults
	fault := faultNone
	if m.write {
		fault = p.writeFault(f)
	}
	if fault == faultLateWrite {
		p.mu.Unlock()
		p.lateWrite(r, w, m, c, f)
		return 0, nil, ""
	}
	res, e := m.fn(c)
	if name != "batch" { // its nested calls are billed one by one (batch.go)
		p.chargeOperating(name, callCost(c.params, res))
	}
	tm := timing{start: start, finish: start.Add(p.wall.Now().Sub(wallStart))}
	p.operatingFields(name, &tm)
	p.mu.Unlock()
	switch fault {
	case faultWriteTimeout:
		p.hang(r, w, f)
		p.record(name, http.StatusGatewayTimeout, "")
		return 0, nil, ""
	case faultWriteDrop:
		p.dropConnection(w, name)
		return 0, nil, ""
	}
	if e != nil {
		return fail(e)
	}
	return http.StatusOK, p.envelope(res, tm), ""
}

func (p *Portal) envelope(res outcome, tm timing) map[string]any {
	out := map[string]any{"result": res.result}
	if res.list {
		if res.next >= 0 {
			out["next"] = res.next
		}
		out["total"] = res.total
	}
	out["time"] = p.timeSection(tm)
	return out
}

// authenticate checks the webhook secret or the OAuth access token.
func (p *Portal) authenticate(c *call, hook bool, user, secret string) *apiError {
	if hook {
		if user != idStr(p.opts.WebhookUserID) ||
			subtle.ConstantTimeCompare([]byte(secret), []byte(p.opts.WebhookSecret)) != 1 {
			return errf(401, "NO_AUTH_FOUND", "Wrong authorization data")
		}
		c.user = p.opts.WebhookUserID
		delete(c.params, "auth")
		return nil
	}
	tok := str(c.params["auth"])
	delete(c.params, "auth")
	if tok == "" {
		return errf(401, "NO_AUTH_FOUND", "Wrong authorization data")
	}
	t, ok := p.st.tokens[tok]
	if !ok {
		return errf(401, "invalid_token", "The access token provided is invalid.")
	}
	if !p.clk.Now().Before(t.expires) {
		return errf(401, "expired_token", "The access token provided has expired.")
	}
	c.app = true
	c.user = t.user
	return nil
}

// lookup finds the method and checks scope and auth type.
func (p *Portal) lookup(c *call) (method, *apiError) {
	m, ok := p.table[c.method]
	if !ok || p.st.unknown[c.method] {
		return method{}, errMethodNotFound()
	}
	if m.scope != "" && !p.hasScope(m.scope) {
		return method{}, errf(403, "insufficient_scope", "The request requires higher privileges than provided by the access token.")
	}
	if m.appOnly && !c.app {
		return method{}, errf(401, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")
	}
	if slices.Contains(p.st.faults.Refuse, c.method) {
		return method{}, errf(400, "ACCESS_DENIED", "Insufficient permissions to perform the operation")
	}
	return m, nil
}

func (p *Portal) hasScope(s string) bool {
	for _, x := range p.st.scopes {
		if x == s {
			return true
		}
	}
	return false
}

// readParams merges the query string with a JSON or form body.
func readParams(r *http.Request) (params, *apiError) {
	out := params{}
	if r.URL.RawQuery != "" {
		q, err := bitrix.DecodeQuery(r.URL.RawQuery)
		if err == nil {
			for k, v := range q {
				out[k] = v
			}
		}
	}
	if r.Body == nil {
		return out, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errf(400, "INVALID_REQUEST", "Cannot read the request body")
	}
	if len(body) > maxBody {
		return nil, errf(413, "INVALID_REQUEST", "Request body too large")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return out, nil
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if strings.Contains(ct, "json") || trimmed[0] == '{' {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, errf(400, "INVALID_REQUEST", fmt.Sprintf("Invalid JSON body: %s", jsonErr(err)))
		}
		for k, v := range m {
			out[k] = v
		}
		if cmd, ok := orderedJSONKeys(trimmed, "cmd"); ok {
			out[cmdOrderKey] = cmd
		}
		return out, nil
	}
	q, qerr := bitrix.DecodeQuery(string(trimmed))
	if qerr != nil {
		return nil, errf(400, "INVALID_REQUEST", "Invalid form body")
	}
	for k, v := range q {
		out[k] = v
	}
	if order := orderedFormKeys(string(trimmed), "cmd"); len(order) > 0 {
		out[cmdOrderKey] = order
	}
	return out, nil
}

func jsonErr(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
