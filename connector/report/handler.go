package report

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/rules"
)

// PagePath is where the daemon serves the report page.
const PagePath = "/report"

// DefaultLinkTTL is how long a link printed by b24desk report --link works.
const DefaultLinkTTL = 7 * 24 * time.Hour

// HandlerOptions configure Handler.
type HandlerOptions struct {
	Source Source // required
	// Token is http.report_token: a request needs it as a Bearer token or a
	// link signed with it.
	Token string
	// Rules returns the rules in force (nil rules: wall-clock hours).
	Rules    func() *rules.Rules
	Clock    clock.Clock
	Location *time.Location
	Log      zerolog.Logger
}

// Handler serves GET /report?from=&to=&by=: the report page, for a request
// carrying the token (Authorization: Bearer) or a signed, unexpired link
// (exp, sig). Anything else gets 401 and a short page; nothing is read.
func Handler(o HandlerOptions) http.Handler {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	log := o.Log.With().Str("component", "report").Logger()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		now := o.Clock.Now()
		q := r.URL.Query()
		auth, ok := authorize(r, q, o.Token, now)
		if !ok {
			h.Set("WWW-Authenticate", `Bearer realm="b24desk report"`)
			messagePage(w, http.StatusUnauthorized, "Not authorized",
				"This link is invalid or has expired. Ask for a new one (b24desk report --link) or send the report token.")
			return
		}
		by := q.Get("by")
		if by == "" {
			by = ByType
		}
		from, to, err := Period(q.Get("from"), q.Get("to"), o.Location, now)
		if err == nil && !validBy(by) {
			err = fmt.Errorf("grouping %q: want one of %s", by, strings.Join(Groupings, ", "))
		}
		if err != nil {
			messagePage(w, http.StatusBadRequest, "Bad request", err.Error())
			return
		}
		var rs *rules.Rules
		if o.Rules != nil {
			rs = o.Rules()
		}
		rep, err := Load(r.Context(), o.Source, Options{From: from, To: to, By: by, Now: now, Rules: rs,
			Location: o.Location, Labels: ratingLabels(rs)})
		if err != nil {
			log.Error().Err(err).Msg("report page")
			messagePage(w, http.StatusInternalServerError, "Report failed", "The report could not be read; see the daemon's log.")
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		if err := Page(w, rep, PageLinks{Path: PagePath, Auth: auth}); err != nil {
			log.Warn().Err(err).Msg("report page write")
		}
	})
}

// authorize checks the Bearer token or the signed link; for a link it
// returns the query parameters the page's own links must carry.
func authorize(r *http.Request, q url.Values, token string, now time.Time) (url.Values, bool) {
	if token == "" {
		return nil, false
	}
	if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return nil, subtle.ConstantTimeCompare([]byte(b), []byte(token)) == 1
	}
	exp, sig := q.Get("exp"), q.Get("sig")
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.Unix(n, 0)) {
		return nil, false
	}
	if !hmac.Equal([]byte(sig), []byte(linkSig(token, exp))) {
		return nil, false
	}
	return url.Values{"exp": {exp}, "sig": {sig}}, true
}

// linkSig signs a link's expiry with the token.
func linkSig(token, exp string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("b24desk report link\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignedLink returns the page's address under base (http.public_base_url,
// or the listener's http://HOST:PORT) with a signature that opens it until
// now+ttl.
func SignedLink(base, token string, now time.Time, ttl time.Duration) string {
	exp := strconv.FormatInt(now.Add(ttl).Unix(), 10)
	q := url.Values{"exp": {exp}, "sig": {linkSig(token, exp)}}
	return strings.TrimSuffix(base, "/") + PagePath + "?" + q.Encode()
}

var messageTemplate = template.Must(template.New("msg").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><style>body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

// messagePage answers with a small page saying what went wrong.
func messagePage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = messageTemplate.Execute(w, struct{ Title, Text string }{title, text})
}

// ratingLabels are the rules' rating labels, best first (none without
// rules or ratings).
func ratingLabels(r *rules.Rules) []string {
	if r == nil {
		return nil
	}
	return r.Ratings.Labels()
}
