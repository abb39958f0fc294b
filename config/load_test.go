package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleLoads(t *testing.T) {
	cfg, err := Load("b24desk.example.yaml", nil)
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	abs, _ := filepath.Abs(".")
	checks := []struct {
		name      string
		got, want any
	}{
		{"auth mode", cfg.Portal.AuthMode(), AuthWebhook},
		{"rules path", cfg.Rules.Path, filepath.Join(abs, "rules.yaml")},
		{"state dir", cfg.State.Dir, filepath.Join(abs, "state")},
		{"events", cfg.Events.Mode, EventsWebhook},
		{"retention", cfg.Retention, 30 * 24 * time.Hour},
		{"mailboxes", len(cfg.Mailboxes), 1},
		{"imap port", cfg.Mailboxes[0].IMAP.Port, 993},
		{"max size", cfg.Mailboxes[0].MaxSize, 25 * MiB},
		{"smtp", cfg.Mailboxes[0].SMTP.Enabled(), true},
		{"rate", cfg.Portal.Rate, 2.0},
		{"burst", cfg.Portal.Burst, 50},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	path := writeConfig(t, minimal+"mailboxes:\n  - name: a\n    address: a@example.com\n    imap: {host: h, username: u, password: p, security: plain}\n", nil)
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	m := cfg.Mailboxes[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"file", cfg.File, path},
		{"oauth server", cfg.Portal.OAuthServer, "https://oauth.bitrix.info"},
		{"timezone", cfg.Portal.Location.String(), "Europe/Moscow"},
		{"request timeout", cfg.Portal.RequestTimeout, 60 * time.Second},
		{"rules", cfg.Rules.Path, filepath.Join(dir, "rules.yaml")},
		{"state", cfg.State.Dir, filepath.Join(dir, "state")},
		{"listen", cfg.HTTP.Listen, "127.0.0.1:8080"},
		{"events", cfg.Events.Mode, EventsPoll},
		{"reconcile", cfg.Reconcile, Reconcile{Interval: time.Minute, Margin: time.Minute, SweepInterval: 15 * time.Minute}},
		{"sla tick", cfg.SLA.Tick, 30 * time.Second},
		{"retention", cfg.Retention, 720 * time.Hour},
		{"log", cfg.Log, Log{Level: "info", Format: "json"}},
		{"lookup delay", cfg.Outbox.LookupDelay, 90 * time.Second},
		{"threading", cfg.Threading, Threading{TagFormat: "[#{id}]", ReopenWindow: 14 * 24 * time.Hour}},
		{"folder", m.Folder, "INBOX"},
		{"processed", m.ProcessedFolder, "Processed"},
		{"quarantine", m.QuarantineFolder, "Quarantine"},
		{"imap port plain", m.IMAP.Port, 143},
		{"imap auth", m.IMAP.Auth, AuthLogin},
		{"poll", m.PollInterval, time.Minute},
		{"max size", m.MaxSize, 25 * MiB},
		{"spam", m.Spam, SpamSkip},
		{"daily cap", m.Ack.DailyCap, 3},
		{"smtp off", m.SMTP.Enabled(), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestValues(t *testing.T) {
	cfg := mustLoad(t, `portal:
  client_id: app.1
  client_secret: cs
  endpoint: https://p.example/rest/
  plan: enterprise
  burst: 100
  timezone: Asia/Yekaterinburg
state: {dir: /var/lib/b24desk}
events: {mode: offline}
mailboxes:
  - name: x
    address: x@example.com
    imap: {host: h, username: u, auth: xoauth2, token_file: tok, security: starttls}
    max_size: 10MB
    import_since: 2025-03-01
    smtp: {host: s, security: tls}
`, nil, nil)
	m := cfg.Mailboxes[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"auth mode", cfg.Portal.AuthMode(), AuthOAuth},
		{"rate from plan", cfg.Portal.Rate, 5.0},
		{"explicit burst", cfg.Portal.Burst, 100},
		{"absolute state", cfg.State.Dir, "/var/lib/b24desk"},
		{"token file", m.IMAP.TokenFile, filepath.Join(filepath.Dir(cfg.File), "tok")},
		{"imap starttls port", m.IMAP.Port, 143},
		{"size", m.MaxSize, Size(10_000_000)},
		{"date", m.ImportSince, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"smtp tls port", m.SMTP.Port, 465},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"25MiB", 25 << 20, true}, {"512KiB", 512 << 10, true}, {"1GiB", 1 << 30, true},
		{"10MB", 10_000_000, true}, {"1000", 1000, true}, {"7B", 7, true}, {"1 KB", 1000, true},
		{"", 0, false}, {"-1", 0, false}, {"MiB", 0, false}, {"1.5MiB", 0, false}, {"99999999999GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, s := range []Size{25 * MiB, 3 * KiB, 2 * GiB, 1000} {
		back, err := ParseSize(s.String())
		if err != nil || back != s {
			t.Errorf("round trip %d: %q → %v, %v", s, s.String(), back, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true}, {"1h30m", 90 * time.Minute, true}, {"14d", 14 * 24 * time.Hour, true},
		{"30", 0, false}, {"d", 0, false}, {"1.5d", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestUnreadableFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), nil)
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("want an I/O error naming the file, got %v", err)
	}
}
