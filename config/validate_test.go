package config

import (
	"strings"
	"testing"
)

// mbox is a valid mailbox to which a test appends or replaces keys.
const mbox = `mailboxes:
  - name: support
    address: support@example.com
    imap: {host: imap.example.com, username: u, password: p}
`

func TestValidation(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantPath string
		wantMsg  string
	}{
		{"no portal", "log: {level: info}\n", "portal", "set webhook_url"},
		{"both auths", minimal + "  client_id: x\n", "portal", "not both"},
		{"webhook shape", "portal: {webhook_url: 'https://p.example/rest/x/'}\n", "portal.webhook_url", "must look like"},
		{"webhook scheme", "portal: {webhook_url: 'ftp://p.example/rest/1/s/'}\n", "portal.webhook_url", "must look like"},
		{"oauth missing secret", "portal: {client_id: a, endpoint: 'https://p.example/rest/'}\n", "portal.client_secret", "is required"},
		{"oauth missing endpoint", "portal: {client_id: a, client_secret: b}\n", "portal.endpoint", "is required"},
		{"oauth bad endpoint", "portal: {client_id: a, client_secret: b, endpoint: 'p.example'}\n", "portal.endpoint", "absolute http(s) URL"},
		{"oauth server", minimal + "  oauth_server: 'not a url'\n", "portal.oauth_server", "absolute http(s) URL"},
		{"plan", minimal + "  plan: gold\n", "portal.plan", `"gold" is not one of`},
		{"rate", minimal + "  rate: 0\n", "portal.rate", "more than 0"},
		{"burst", minimal + "  burst: 0\n", "portal.burst", "between 1"},
		{"timezone", minimal + "  timezone: Mars/Olympus\n", "portal.timezone", "unknown time zone"},
		{"request timeout", minimal + "  request_timeout: 0s\n", "portal.request_timeout", "more than 0"},
		{"unknown key", minimal + "  webhook: x\n", "portal.webhook", "unknown key"},
		{"unknown section", minimal + "smtp: {}\n", "smtp", "unknown key"},
		{"duplicate key", minimal + "log: {level: info, level: debug}\n", "log.level", "duplicate key"},
		{"duplicate section", minimal + mbox + "    imap: {host: h, username: u, password: p}\n", "mailboxes[0].imap", "duplicate key"},
		{"port string", minimal + "mailboxes:\n  - {name: a, address: a@example.com, imap: {host: h, username: u, password: p, port: '993'}}\n", "mailboxes[0].imap.port", "whole number"},
		{"port range", minimal + "mailboxes:\n  - {name: a, address: a@example.com, imap: {host: h, username: u, password: p, port: 70000}}\n", "mailboxes[0].imap.port", "not a port"},
		{"bool type", minimal + "mailboxes:\n  - {name: a, address: a@example.com, leave_in_place: yes, imap: {host: h, username: u, password: p}}\n", "mailboxes[0].leave_in_place", "true or false"},
		{"section type", minimal + "http: 8080\n", "http", "must be a mapping"},
		{"list type", minimal + "mailboxes: {name: a}\n", "mailboxes", "must be a list"},
		{"scalar type", minimal + "retention: [1, 2]\n", "retention", "single value"},
		{"null value", minimal + "sla: {tick: }\n", "sla.tick", "needs a value"},
		{"duration unit", minimal + "sla: {tick: 30}\n", "sla.tick", "not a duration"},
		{"duration positive", minimal + "reconcile: {interval: 0s}\n", "reconcile.interval", "more than 0"},
		{"margin negative", minimal + "reconcile: {margin: -1s}\n", "reconcile.margin", "not be negative"},
		{"sweep", minimal + "reconcile: {sweep_interval: 0s}\n", "reconcile.sweep_interval", "more than 0"},
		{"retention", minimal + "retention: 0s\n", "retention", "more than 0"},
		{"listen", minimal + "http: {listen: localhost}\n", "http.listen", "not HOST:PORT"},
		{"listen port", minimal + "http: {listen: '127.0.0.1:99999'}\n", "http.listen", "not a valid port"},
		{"public url", minimal + "http: {public_base_url: '/x'}\n", "http.public_base_url", "absolute http(s) URL"},
		{"events mode", minimal + "events: {mode: push}\n", "events.mode", "not one of"},
		{"webhook needs token", minimal + "events: {mode: webhook}\n", "events.mode", "application_token"},
		{"offline needs app", minimal + "events: {mode: offline}\n", "events.mode", "OAuth application"},
		{"offline interval", minimal + "events: {offline_interval: 0s}\n", "events.offline_interval", "more than 0"},
		{"log level", minimal + "log: {level: loud}\n", "log.level", "not one of"},
		{"log format", minimal + "log: {format: xml}\n", "log.format", "not one of"},
		{"lookup delay", minimal + "outbox: {lookup_delay: -5s}\n", "outbox.lookup_delay", "not be negative"},
		{"alert user", minimal + "outbox: {alert_users: [1, 0]}\n", "outbox.alert_users[1]", "positive"},
		{"spamd address", minimal + "spamd: {address: spamd.example}\n", "spamd.address", "not HOST:PORT"},
		{"spamd port", minimal + "spamd: {address: 'spamd.example:0'}\n", "spamd.address", "not a valid port"},
		{"spamd timeout", minimal + "spamd: {address: '127.0.0.1:783', timeout: 0s}\n", "spamd.timeout", "more than 0"},
		{"spamd max size", minimal + "spamd: {max_size: 0}\n", "spamd.max_size", "must be positive"},
		{"tag format", minimal + "threading: {tag_format: '[#]'}\n", "threading.tag_format", "{id} exactly once"},
		{"tag format twice", minimal + "threading: {tag_format: '{id}{id}'}\n", "threading.tag_format", "{id} exactly once"},
		{"reopen", minimal + "threading: {reopen_window: -1d}\n", "threading.reopen_window", "not a duration"},
		{"rules path", minimal + "rules: {path: ''}\n", "rules.path", "is required"},
		{"state dir", minimal + "state: {dir: ''}\n", "state.dir", "is required"},
		{"mailbox name", minimal + strings.Replace(mbox, "support\n", "Support Desk\n", 1), "mailboxes[0].name", "lower-case"},
		{"mailbox name missing", minimal + strings.Replace(mbox, "name: support", "display_name: S", 1), "mailboxes[0].name", "is required"},
		{"mailbox duplicate", minimal + mbox + strings.TrimPrefix(mbox, "mailboxes:\n"), "mailboxes[1].name", "already the name of mailboxes[0]"},
		{"address", minimal + strings.Replace(mbox, "support@example.com", "Support <s@example.com>", 1), "mailboxes[0].address", "not an e-mail address"},
		{"imap host", minimal + strings.Replace(mbox, "host: imap.example.com, ", "", 1), "mailboxes[0].imap.host", "is required"},
		{"imap security", minimal + strings.Replace(mbox, "password: p", "password: p, security: ssl", 1), "mailboxes[0].imap.security", "not one of"},
		{"imap auth", minimal + strings.Replace(mbox, "password: p", "password: p, auth: cram", 1), "mailboxes[0].imap.auth", "not one of"},
		{"imap password", minimal + strings.Replace(mbox, ", password: p", "", 1), "mailboxes[0].imap.password", "is required"},
		{"imap username", minimal + strings.Replace(mbox, "username: u, ", "", 1), "mailboxes[0].imap.username", "is required"},
		{"xoauth2 token", minimal + strings.Replace(mbox, "password: p", "auth: xoauth2", 1), "mailboxes[0].imap.auth", "exactly one of token_file"},
		{"xoauth2 password", minimal + strings.Replace(mbox, "password: p", "password: p, auth: xoauth2, token_command: t", 1), "mailboxes[0].imap.password", "not used with auth xoauth2"},
		{"token without xoauth2", minimal + strings.Replace(mbox, "password: p", "password: p, token_file: t", 1), "mailboxes[0].imap.auth", "need auth: xoauth2"},
		{"processed same", minimal + mbox + "    processed_folder: INBOX\n", "mailboxes[0].processed_folder", "must differ"},
		{"quarantine same", minimal + mbox + "    quarantine_folder: INBOX\n", "mailboxes[0].quarantine_folder", "must differ"},
		{"folder empty", minimal + mbox + "    folder: ''\n", "mailboxes[0].folder", "is required"},
		{"poll", minimal + mbox + "    poll_interval: 0s\n", "mailboxes[0].poll_interval", "more than 0"},
		{"stale", minimal + mbox + "    stale_after: 0s\n", "mailboxes[0].stale_after", "more than 0"},
		{"max size zero", minimal + mbox + "    max_size: 0\n", "mailboxes[0].max_size", "more than 0"},
		{"max size unit", minimal + mbox + "    max_size: 25 megs\n", "mailboxes[0].max_size", "not a size"},
		{"import since", minimal + mbox + "    import_since: 01.02.2025\n", "mailboxes[0].import_since", "not a date"},
		{"spam", minimal + mbox + "    spam: delete\n", "mailboxes[0].spam", "not one of"},
		{"ack template", minimal + mbox + "    ack: {enabled: true}\n    smtp: {host: s}\n", "mailboxes[0].ack.template", "is required"},
		{"ack cap", minimal + mbox + "    ack: {enabled: true, template: a, daily_cap: 0}\n    smtp: {host: s}\n", "mailboxes[0].ack.daily_cap", "at least 1"},
		{"ack needs smtp", minimal + mbox + "    ack: {enabled: true, template: a}\n", "mailboxes[0].ack.enabled", "need smtp.host"},
		{"smtp security", minimal + mbox + "    smtp: {host: s, security: ssl}\n", "mailboxes[0].smtp.security", "not one of"},
		{"smtp port", minimal + mbox + "    smtp: {host: s, port: 0}\n", "mailboxes[0].smtp.port", "not a port"},
		{"smtp credentials", minimal + mbox + "    smtp: {host: s, username: u}\n", "mailboxes[0].smtp.username", "go together"},
		{"syntax", minimal + "log: [\n", "", "YAML syntax"},
		{"non-scalar key", minimal + "? [a]\n: b\n", "", "plain name"},
		{"alias to a mapping", "portal: &a\n  webhook_url: *a\n", "portal.webhook_url", "single value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.text, nil, nil)
			for _, p := range ps {
				if p.Path == tt.wantPath && strings.Contains(p.Msg, tt.wantMsg) {
					if p.Line < 1 || p.Column < 1 || !strings.HasSuffix(p.File, "b24desk.yaml") {
						t.Errorf("problem without a position: %+v", p)
					}
					return
				}
			}
			t.Errorf("want %s: ...%s...; got:\n%v", tt.wantPath, tt.wantMsg, ps)
		})
	}
}

func TestValidConfigs(t *testing.T) {
	tests := []struct{ name, text string }{
		{"minimal", minimal},
		{"empty sections", minimal + "http:\nlog:\nmailboxes:\n"},
		{"webhook mode", minimal + "events: {mode: webhook}\nhttp: {application_token: t}\n"},
		{"leave in place", minimal + mbox + "    leave_in_place: true\n    processed_folder: ''\n"},
		{"http webhook", "portal: {webhook_url: 'http://127.0.0.1:8081/rest/7/abc'}\n"},
		{"alias", minimal + "mailboxes:\n  - &m {name: a, address: a@example.com, imap: {host: h, username: u, password: p}}\n"},
		{"xoauth2 command", minimal + strings.Replace(mbox, "password: p", "auth: xoauth2, token_command: 'get-token a'", 1)},
		{"explicit rate", minimal + "  rate: 0.5\n  burst: 10\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ps := problemsOf(t, tt.text, nil, nil); ps != nil {
				t.Errorf("unexpected problems:\n%v", ps)
			}
		})
	}
}

func TestAllProblemsTogether(t *testing.T) {
	ps := problemsOf(t, minimal+"log: {level: loud, format: xml}\nsla: {tick: 0s}\nbogus: 1\n", nil, nil)
	if len(ps) != 4 {
		t.Fatalf("want 4 problems, got %d:\n%v", len(ps), ps)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i-1].Line > ps[i].Line || ps[i-1].Line == ps[i].Line && ps[i-1].Column > ps[i].Column {
			t.Errorf("problems not sorted by position:\n%v", ps)
		}
	}
}
