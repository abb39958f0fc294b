package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretFiles(t *testing.T) {
	files := map[string]string{
		"webhook": "https://p.example/rest/1/filesecret/\n",
		"imap":    "imap-pass\r\n",
		"smtp":    "smtp-pass",
		"token":   "app-token\n\n",
		"csecret": "client-secret\n",
		"pg":      "postgres://b24:pw@db.example/b24desk\n",
	}
	cfg := mustLoad(t, `portal: {webhook_url_file: webhook}
http: {application_token_file: token}
state: {postgres_url_file: pg}
mailboxes:
  - name: a
    address: a@example.com
    imap: {host: h, username: u, password_file: imap}
    smtp: {host: s, username: u, password_file: smtp}
`, nil, files)
	checks := []struct{ name, got, want string }{
		{"webhook", cfg.Portal.WebhookURL.Value(), "https://p.example/rest/1/filesecret/"},
		{"token", cfg.HTTP.ApplicationToken.Value(), "app-token"},
		{"postgres", cfg.State.PostgresURL.Value(), "postgres://b24:pw@db.example/b24desk"},
		{"imap", cfg.Mailboxes[0].IMAP.Password.Value(), "imap-pass"},
		{"smtp", cfg.Mailboxes[0].SMTP.Password.Value(), "smtp-pass"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}

	app := mustLoad(t, "portal: {client_id: a, client_secret_file: csecret, endpoint: 'https://p.example/rest/'}\n", nil, files)
	if app.Portal.ClientSecret.Value() != "client-secret" {
		t.Errorf("client secret = %q", app.Portal.ClientSecret.Value())
	}
}

func TestSecretFileFromEnv(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "cred")
	if err := os.WriteFile(abs, []byte("https://p.example/rest/3/envfile/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The environment's _FILE replaces the file's value.
	cfg := mustLoad(t, minimal, map[string]string{"B24DESK_PORTAL_WEBHOOK_URL_FILE": abs}, nil)
	if got := cfg.Portal.WebhookURL.Value(); got != "https://p.example/rest/3/envfile/" {
		t.Errorf("webhook = %q", got)
	}
	// The environment's value replaces the file's _file.
	cfg = mustLoad(t, "portal: {webhook_url_file: missing}\n", map[string]string{"B24DESK_PORTAL_WEBHOOK_URL": "https://p.example/rest/4/envvalue/"}, nil)
	if got := cfg.Portal.WebhookURL.Value(); got != "https://p.example/rest/4/envvalue/" {
		t.Errorf("webhook = %q", got)
	}
	cfg = mustLoad(t, minimal, map[string]string{"B24DESK_STATE_POSTGRES_URL": "postgres://b24:pw@db/x"}, nil)
	if got := cfg.State.PostgresURL.Value(); got != "postgres://b24:pw@db/x" {
		t.Errorf("state.postgres_url = %q", got)
	}
}

func TestSecretFileProblems(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		env      map[string]string
		files    map[string]string
		wantPath string
		wantMsg  string
	}{
		{"both in file", "portal: {webhook_url: 'https://p.example/rest/1/s/', webhook_url_file: w}\n", nil, map[string]string{"w": "x"},
			"portal.webhook_url_file", "either webhook_url or webhook_url_file"},
		{"both in env", minimal, map[string]string{"B24DESK_PORTAL_WEBHOOK_URL": "https://p.example/rest/1/s/", "B24DESK_PORTAL_WEBHOOK_URL_FILE": "w"}, nil,
			"portal.webhook_url_file", "not both"},
		{"missing file", "portal: {webhook_url_file: nope}\n", nil, nil, "portal.webhook_url_file", "no such file"},
		{"empty file", "portal: {webhook_url_file: w}\n", nil, map[string]string{"w": "\n"}, "portal.webhook_url_file", "is empty"},
		{"directory", "portal: {webhook_url_file: .}\n", nil, nil, "portal.webhook_url_file", "not a regular file"},
		{"empty name", "portal: {webhook_url_file: ''}\n", nil, nil, "portal.webhook_url_file", "must be a file name"},
		{"mailbox both", minimal + mbox + "    smtp: {host: s, username: u, password: x, password_file: f}\n", nil, map[string]string{"f": "y"},
			"mailboxes[0].smtp.password_file", "either password or password_file"},
		{"not a secret", minimal + "http: {listen_file: x}\n", nil, nil, "http.listen_file", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.text, tt.env, tt.files)
			for _, p := range ps {
				if p.Path == tt.wantPath && strings.Contains(p.Msg, tt.wantMsg) {
					return
				}
			}
			t.Errorf("want %s: ...%s...; got:\n%v", tt.wantPath, tt.wantMsg, ps)
		})
	}
}
