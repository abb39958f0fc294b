package config

import (
	"strings"
	"testing"
	"time"
)

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"portal.webhook_url":              "B24DESK_PORTAL_WEBHOOK_URL",
		"http.listen":                     "B24DESK_HTTP_LISTEN",
		"log.level":                       "B24DESK_LOG_LEVEL",
		"retention":                       "B24DESK_RETENTION",
		"mailboxes[0].imap.password":      "B24DESK_MAILBOXES_0_IMAP_PASSWORD",
		"mailboxes[12].smtp.port":         "B24DESK_MAILBOXES_12_SMTP_PORT",
		"threading.reopen_window":         "B24DESK_THREADING_REOPEN_WINDOW",
		"mailboxes[1].ack.daily_cap":      "B24DESK_MAILBOXES_1_ACK_DAILY_CAP",
		"portal.webhook_url_file":         "B24DESK_PORTAL_WEBHOOK_URL_FILE",
		"mailboxes[0].imap.password_file": "B24DESK_MAILBOXES_0_IMAP_PASSWORD_FILE",
	}
	for path, want := range tests {
		if got := EnvName(path); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	cfg := mustLoad(t, minimal+mbox, map[string]string{
		"B24DESK_PORTAL_WEBHOOK_URL":         "https://other.example/rest/9/fromenv/",
		"B24DESK_HTTP_LISTEN":                "0.0.0.0:9000",
		"B24DESK_LOG_LEVEL":                  "debug",
		"B24DESK_RETENTION":                  "7d",
		"B24DESK_PORTAL_RATE":                "1.5",
		"B24DESK_MAILBOXES_0_IMAP_PORT":      "1143",
		"B24DESK_MAILBOXES_0_LEAVE_IN_PLACE": "true",
		"B24DESK_MAILBOXES_0_IMAP_PASSWORD":  "envpass",
		"B24DESK_MAILBOXES_0_MAX_SIZE":       "1MiB",
		"B24DESK_STATE_DIR":                  "relstate",
		"B24DESK_MAILBOXES_1_IMAP_PASSWORD":  "ignored: no such mailbox",
		"B24DESK_UNRELATED":                  "x",
	}, nil)
	checks := []struct {
		name      string
		got, want any
	}{
		{"webhook", cfg.Portal.WebhookURL.Value(), "https://other.example/rest/9/fromenv/"},
		{"listen", cfg.HTTP.Listen, "0.0.0.0:9000"},
		{"level", cfg.Log.Level, "debug"},
		{"retention", cfg.Retention, 7 * 24 * time.Hour},
		{"rate", cfg.Portal.Rate, 1.5},
		{"port", cfg.Mailboxes[0].IMAP.Port, 1143},
		{"leave", cfg.Mailboxes[0].LeaveInPlace, true},
		{"password", cfg.Mailboxes[0].IMAP.Password.Value(), "envpass"},
		{"size", cfg.Mailboxes[0].MaxSize, MiB},
		{"state relative to config", strings.HasSuffix(cfg.State.Dir, "/relstate") && cfg.State.Dir != "relstate", true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestEnvProblems(t *testing.T) {
	tests := []struct {
		name, env, value, wantPath, wantMsg string
	}{
		{"bad duration", "B24DESK_SLA_TICK", "soon", "sla.tick", "not a duration"},
		{"bad int", "B24DESK_MAILBOXES_0_IMAP_PORT", "imaps", "mailboxes[0].imap.port", "whole number"},
		{"bad bool", "B24DESK_MAILBOXES_0_LEAVE_IN_PLACE", "maybe", "mailboxes[0].leave_in_place", "true or false"},
		{"bad float", "B24DESK_PORTAL_RATE", "fast", "portal.rate", "must be a number"},
		{"invalid value", "B24DESK_LOG_FORMAT", "xml", "log.format", "not one of"},
		{"bad webhook", "B24DESK_PORTAL_WEBHOOK_URL", "https://p.example/x", "portal.webhook_url", "must look like"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, minimal+mbox, map[string]string{tt.env: tt.value}, nil)
			for _, p := range ps {
				if p.Path == tt.wantPath && strings.Contains(p.Msg, tt.wantMsg) {
					if p.Env != tt.env || !strings.Contains(p.String(), tt.env) {
						t.Errorf("problem does not name %s: %s", tt.env, p)
					}
					return
				}
			}
			t.Errorf("want %s: ...%s...; got:\n%v", tt.wantPath, tt.wantMsg, ps)
		})
	}
}
