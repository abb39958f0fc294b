package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// secretsConfig sets every secret to a recognisable value.
const secretsConfig = `portal:
  webhook_url: https://p.example/rest/1/WEBHOOKSECRET1/
http:
  application_token: APPTOKENSECRET2
events: {mode: webhook}
state:
  postgres_url: postgres://b24:PGSECRET7@db.example:5432/b24desk
mailboxes:
  - name: a
    address: a@example.com
    imap: {host: h, username: u, password: IMAPSECRET3}
    smtp: {host: s, username: u, password: SMTPSECRET4}
`

var allSecrets = []string{"WEBHOOKSECRET1", "APPTOKENSECRET2", "IMAPSECRET3", "SMTPSECRET4", "CLIENTSECRET5", "FILESECRET6", "PGSECRET7"}

func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range allSecrets {
		if strings.Contains(out, s) {
			t.Errorf("%s leaks %s:\n%s", what, s, out)
		}
	}
}

func TestNoSecretInOutput(t *testing.T) {
	cfg := mustLoad(t, secretsConfig, nil, nil)
	if cfg.Mailboxes[0].IMAP.Password.Value() != "IMAPSECRET3" {
		t.Fatal("the secret itself must stay readable")
	}
	var buf bytes.Buffer
	if err := cfg.Print(&buf); err != nil {
		t.Fatal(err)
	}
	printed := buf.String()
	assertNoSecret(t, "Print", printed)
	if !strings.Contains(printed, "https://p.example/rest/1/****/") {
		t.Errorf("Print does not show the redacted webhook URL:\n%s", printed)
	}
	assertNoSecret(t, "%v", fmt.Sprintf("%v", *cfg))
	assertNoSecret(t, "%+v", fmt.Sprintf("%+v", *cfg))
	assertNoSecret(t, "%#v", fmt.Sprintf("%#v", *cfg))
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "JSON", string(js))
	red := cfg.Redacted()
	assertNoSecret(t, "Redacted", fmt.Sprintf("%q %q %q %q", red.Portal.WebhookURL.Value(), red.HTTP.ApplicationToken.Value(),
		red.Mailboxes[0].IMAP.Password.Value(), red.Mailboxes[0].SMTP.Password.Value()))
	if cfg.Mailboxes[0].SMTP.Password.Value() != "SMTPSECRET4" {
		t.Error("Redacted changed the original")
	}
}

func TestNoSecretInProblems(t *testing.T) {
	files := map[string]string{"f": "FILESECRET6\n"}
	tests := []struct {
		name string
		text string
		env  map[string]string
	}{
		{"misplaced secrets", "portal:\n  webhook: https://p.example/rest/1/WEBHOOKSECRET1/\nhttp: {token: APPTOKENSECRET2}\n", nil},
		{"bad webhook", "portal: {webhook_url: 'https://p.example/WEBHOOKSECRET1'}\n", nil},
		{"webhook with query", "portal: {webhook_url: 'https://p.example/rest/1/x/?a=WEBHOOKSECRET1'}\n", nil},
		{"secrets in wrong types", "portal: {webhook_url: [WEBHOOKSECRET1]}\nhttp: {application_token: {a: APPTOKENSECRET2}}\n", nil},
		{"both given", "portal: {webhook_url: 'https://p.example/rest/1/WEBHOOKSECRET1/', webhook_url_file: f, client_secret: CLIENTSECRET5}\n", nil},
		{"bad file secret", "portal: {webhook_url_file: f}\n", nil},
		{"env secrets", minimal + mbox, map[string]string{
			"B24DESK_PORTAL_WEBHOOK_URL":        "WEBHOOKSECRET1",
			"B24DESK_MAILBOXES_0_IMAP_PASSWORD": "IMAPSECRET3",
			"B24DESK_MAILBOXES_0_SMTP_PASSWORD": "SMTPSECRET4",
			"B24DESK_PORTAL_CLIENT_SECRET":      "CLIENTSECRET5",
		}},
		{"secret as endpoint", "portal: {client_id: a, client_secret: CLIENTSECRET5, endpoint: 'WEBHOOKSECRET1'}\n", nil},
		{"broken yaml with secret", "portal: {webhook_url: 'https://p.example/rest/1/WEBHOOKSECRET1/'\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.text, tt.env, files)
			if len(ps) == 0 {
				t.Fatal("want problems")
			}
			assertNoSecret(t, "Problems", ps.Error())
		})
	}
}

func TestRedactWebhookURL(t *testing.T) {
	tests := map[string]string{
		"https://p.example/rest/1/abc/":       "https://p.example/rest/1/****/",
		"https://p.example/rest/17/abc":       "https://p.example/rest/17/****/",
		"http://127.0.0.1:8081/rest/1/abc/":   "http://127.0.0.1:8081/rest/1/****/",
		"https://p.example/abc":               "****",
		"https://user:pw@p.example/rest/1/x/": "****",
		"":                                    "",
	}
	for in, want := range tests {
		if got := RedactWebhookURL(in); got != want {
			t.Errorf("RedactWebhookURL(%q) = %q, want %q", in, got, want)
		}
	}
}
