package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// validate checks the meaning of the decoded values and fills in the values
// derived from others (limits from the plan, ports from security, the time
// zone).
func (l *loader) validate(c *Config) {
	l.validatePortal(&c.Portal)
	l.nonEmpty("rules.path", c.Rules.Path)
	l.nonEmpty("state.dir", c.State.Dir)
	l.validateHTTP(&c.HTTP)
	l.oneOf("events.mode", c.Events.Mode, EventsWebhook, EventsOffline, EventsPoll)
	switch c.Events.Mode {
	case EventsWebhook:
		if c.HTTP.ApplicationToken == "" {
			l.add("events.mode", "mode webhook needs http.application_token (the token of the portal's outgoing webhook)")
		}
	case EventsOffline:
		if c.Portal.WebhookURL != "" {
			l.add("events.mode", "mode offline needs an OAuth application (portal.client_id), not a webhook")
		}
	}
	l.positive("events.offline_interval", c.Events.OfflineInterval)
	l.positive("reconcile.interval", c.Reconcile.Interval)
	l.notNegative("reconcile.margin", c.Reconcile.Margin)
	l.positive("reconcile.sweep_interval", c.Reconcile.SweepInterval)
	l.positive("sla.tick", c.SLA.Tick)
	l.positive("retention", c.Retention)
	l.positive("history_retention", c.HistoryRetention)
	l.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	l.oneOf("log.format", c.Log.Format, "json", "console")
	l.notNegative("outbox.lookup_delay", c.Outbox.LookupDelay)
	for i, u := range c.Outbox.AlertUsers {
		if u <= 0 {
			l.add(fmt.Sprintf("outbox.alert_users[%d]", i), "must be a portal user ID (a positive number), not %d", u)
		}
	}
	if n := strings.Count(c.Threading.TagFormat, "{id}"); n != 1 {
		l.add("threading.tag_format", "must contain {id} exactly once, e.g. [#{id}]")
	}
	l.notNegative("threading.reopen_window", c.Threading.ReopenWindow)
	l.validateMailboxes(c.Mailboxes)
	l.validateSpamd(&c.Spamd)
}

func (l *loader) validateSpamd(s *Spamd) {
	l.positive("spamd.timeout", s.Timeout)
	if s.MaxSize <= 0 {
		l.add("spamd.max_size", "must be positive")
	}
	if s.Address == "" || strings.HasPrefix(s.Address, "/") {
		return // off, or a unix socket
	}
	if _, _, msg := splitHostPort(s.Address, false); msg != "" {
		l.add("spamd.address", "%s; want HOST:PORT (spamd's default port is 783) or the absolute path of its unix socket", msg)
	}
}

func (l *loader) validatePortal(p *Portal) {
	hasWebhook := p.WebhookURL != ""
	hasApp := p.ClientID != "" || p.ClientSecret != "" || p.Endpoint != ""
	switch {
	case hasWebhook && hasApp:
		l.add("portal", "set either webhook_url or an OAuth application (client_id, client_secret, endpoint), not both")
	case hasWebhook:
		if msg := checkWebhookURL(p.WebhookURL.Value()); msg != "" {
			l.add("portal.webhook_url", "%s", msg)
		}
	case hasApp:
		l.nonEmpty("portal.client_id", p.ClientID)
		l.nonEmpty("portal.client_secret", string(p.ClientSecret))
		l.url("portal.endpoint", p.Endpoint, true)
	default:
		l.add("portal", "set webhook_url, or client_id, client_secret and endpoint of an OAuth application")
	}
	l.url("portal.oauth_server", p.OAuthServer, true)
	l.oneOf("portal.plan", p.Plan, PlanStandard, PlanEnterprise)
	rate, burst := planLimits(p.Plan)
	if !l.set("portal.rate") {
		p.Rate = rate
	} else if !(p.Rate > 0 && p.Rate <= 1000) {
		l.add("portal.rate", "must be more than 0 and at most 1000 requests per second")
	}
	if !l.set("portal.burst") {
		p.Burst = burst
	} else if p.Burst < 1 || p.Burst > 10000 {
		l.add("portal.burst", "must be between 1 and 10000")
	}
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil || p.Timezone == "" {
		l.add("portal.timezone", "unknown time zone %q (use an IANA name such as Europe/Moscow)", p.Timezone)
	} else {
		p.Location = loc
	}
	l.positive("portal.request_timeout", p.RequestTimeout)
}

var webhookPathRe = regexp.MustCompile(`^/rest/[0-9]+/[^/]+/?$`)

// checkWebhookURL returns a message (without the URL) when u is not an
// inbound webhook URL.
func checkWebhookURL(u string) string {
	const want = "must look like https://HOST/rest/USER_ID/SECRET/"
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" ||
		parsed.User != nil || parsed.RawQuery != "" || parsed.Fragment != "" || !webhookPathRe.MatchString(parsed.Path) {
		return want
	}
	return ""
}

func (l *loader) validateHTTP(h *HTTP) {
	if _, _, msg := splitHostPort(h.Listen, true); msg != "" {
		l.add("http.listen", "%s", msg)
	}
	if h.PublicBaseURL != "" {
		l.url("http.public_base_url", h.PublicBaseURL, false)
	}
}

// splitHostPort checks HOST:PORT; port 0 is allowed only when zeroOK.
func splitHostPort(hp string, zeroOK bool) (string, int, string) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, fmt.Sprintf("%q is not HOST:PORT", hp)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !zeroOK) {
		return "", 0, fmt.Sprintf("port %q is not a valid port", port)
	}
	return host, n, ""
}

var mailboxNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

func (l *loader) validateMailboxes(ms []Mailbox) {
	names := map[string]string{}
	for i := range ms {
		m := &ms[i]
		p := fmt.Sprintf("mailboxes[%d]", i)
		switch {
		case m.Name == "":
			l.add(p+".name", "is required")
		case !mailboxNameRe.MatchString(m.Name):
			l.add(p+".name", "%q must be lower-case letters, digits, '.', '_' or '-' (at most 64)", m.Name)
		case names[m.Name] != "":
			l.add(p+".name", "%q is already the name of %s", m.Name, names[m.Name])
		default:
			names[m.Name] = p
		}
		if a, err := mail.ParseAddress(m.Address); err != nil || a.Name != "" || a.Address != m.Address {
			l.add(p+".address", "%q is not an e-mail address such as support@example.com", m.Address)
		}
		l.validateIMAP(&m.IMAP, p+".imap")
		l.nonEmpty(p+".folder", m.Folder)
		if !m.LeaveInPlace {
			l.nonEmpty(p+".processed_folder", m.ProcessedFolder)
			if m.ProcessedFolder == m.Folder && m.Folder != "" {
				l.add(p+".processed_folder", "must differ from folder (or set leave_in_place: true)")
			}
		}
		l.nonEmpty(p+".quarantine_folder", m.QuarantineFolder)
		if m.QuarantineFolder == m.Folder && m.Folder != "" {
			l.add(p+".quarantine_folder", "must differ from folder")
		}
		l.positive(p+".poll_interval", m.PollInterval)
		l.positive(p+".stale_after", m.StaleAfter)
		if m.MaxSize <= 0 {
			l.add(p+".max_size", "must be more than 0")
		}
		l.oneOf(p+".spam", m.Spam, SpamSkip, SpamJunk)
		if m.Ack.Enabled {
			l.nonEmpty(p+".ack.template", m.Ack.Template)
			if m.Ack.DailyCap < 1 {
				l.add(p+".ack.daily_cap", "must be at least 1")
			}
			if m.Ack.DomainHourlyCap < 1 {
				l.add(p+".ack.domain_hourly_cap", "must be at least 1")
			}
			if m.Ack.HourlyCap < 1 {
				l.add(p+".ack.hourly_cap", "must be at least 1")
			}
			if !m.SMTP.Enabled() {
				l.add(p+".ack.enabled", "acknowledgements need smtp.host")
			}
		}
		if m.SMTP.Enabled() {
			l.validateSMTP(&m.SMTP, p+".smtp")
		}
	}
}

func (l *loader) validateIMAP(im *IMAP, p string) {
	l.nonEmpty(p+".host", im.Host)
	l.oneOf(p+".security", im.Security, SecurityTLS, SecuritySTARTTLS, SecurityPlain)
	if im.Port == 0 && !l.set(p+".port") {
		im.Port = 143
		if im.Security == SecurityTLS {
			im.Port = 993
		}
	}
	l.port(p+".port", im.Port)
	l.nonEmpty(p+".username", im.Username)
	l.oneOf(p+".auth", im.Auth, AuthLogin, AuthPlain, AuthXOAuth2)
	if im.Auth == AuthXOAuth2 {
		if (im.TokenFile == "") == (im.TokenCommand == "") {
			l.add(p+".auth", "xoauth2 needs exactly one of token_file and token_command")
		}
		if im.Password != "" {
			l.add(p+".password", "is not used with auth xoauth2 (the token is)")
		}
		return
	}
	if im.Password == "" {
		l.add(p+".password", "is required (or password_file)")
	}
	if im.TokenFile != "" || im.TokenCommand != "" {
		l.add(p+".auth", "token_file and token_command need auth: xoauth2")
	}
}

func (l *loader) validateSMTP(s *SMTP, p string) {
	l.oneOf(p+".security", s.Security, SecurityTLS, SecuritySTARTTLS, SecurityPlain)
	if s.Port == 0 && !l.set(p+".port") {
		switch s.Security {
		case SecurityTLS:
			s.Port = 465
		case SecurityPlain:
			s.Port = 25
		default:
			s.Port = 587
		}
	}
	l.port(p+".port", s.Port)
	if (s.Username == "") != (s.Password == "") {
		l.add(p+".username", "username and password go together (both or neither)")
	}
}

func (l *loader) port(path string, n int) {
	if n < 1 || n > 65535 {
		l.add(path, "%d is not a port (1-65535)", n)
	}
}

func (l *loader) nonEmpty(path, v string) {
	if strings.TrimSpace(v) == "" {
		l.add(path, "is required")
	}
}

func (l *loader) oneOf(path, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		l.add(path, "%q is not one of: %s", v, strings.Join(allowed, ", "))
	}
}

func (l *loader) positive(path string, d time.Duration) {
	if d <= 0 {
		l.add(path, "must be more than 0")
	}
}

func (l *loader) notNegative(path string, d time.Duration) {
	if d < 0 {
		l.add(path, "must not be negative")
	}
}

// url checks an absolute http(s) URL; required says an empty one is an error.
func (l *loader) url(path, v string, required bool) {
	if v == "" {
		if required {
			l.add(path, "is required")
		}
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		l.add(path, "must be an absolute http(s) URL without user:password")
	}
}
