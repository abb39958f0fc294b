package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/logs"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/connector/testserver"
)

// Secrets the tests put into configs; none may appear in anything printed.
const (
	secretIMAP     = "imapPa55-n0t-th1s-0ne"
	secretSMTP     = "smtpPa55-n3v3r-pr1nt"
	secretAppToken = "appT0k3n-f0r-3v3nts"
)

// printed collects everything the commands wrote and what the HTTP
// endpoints answered.
type printed struct {
	t *testing.T
	b strings.Builder
}

func (p *printed) add(what, s string) {
	fmt.Fprintf(&p.b, "==== %s\n%s\n", what, s)
}

// leaks fails for every secret found, naming the part it was found in.
func (p *printed) leaks(secrets ...string) {
	p.t.Helper()
	out := p.b.String()
	for _, s := range secrets {
		if s == "" {
			p.t.Fatal("an empty secret cannot be looked for")
		}
		if i := strings.Index(out, s); i >= 0 {
			part := out[:i]
			part = part[strings.LastIndex(part, "==== "):]
			p.t.Errorf("secret %q printed in %.80s…", s[:4]+"…", part)
		}
	}
}

// uniqueKeys fails for a JSON log line that repeats a key.
func (p *printed) uniqueKeys() int {
	p.t.Helper()
	n := 0
	for _, line := range strings.Split(p.b.String(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		n++
		if r := logs.Repeated([]byte(line)); len(r) > 0 {
			p.t.Errorf("log line repeats %v: %s", r, line)
		}
	}
	return n
}

func runCmd(ctx context.Context, fn func(context.Context, []string, io.Writer, io.Writer) int, cfg string, args ...string) (int, string) {
	var stdout, stderr bytes.Buffer
	code := fn(ctx, append([]string{"--config", cfg}, args...), &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

// runDaemon runs `b24desk run` until /healthz answers, scrapes /metrics
// and /readyz, then stops it; it returns the output and what was scraped.
func runDaemon(t *testing.T, cfg, listen string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out := runCmd(ctx, cmdRun, cfg)
		done <- result{code, out}
	}()
	base := "http://" + listen
	var scraped strings.Builder
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case r := <-done:
			t.Fatalf("run stopped before serving: exit %d\n%s", r.code, r.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("run did not serve /healthz in 30 s")
		}
	}
	time.Sleep(2 * time.Second) // let the mailbox and the portal fail a few times
	for _, path := range []string{"/metrics", "/readyz", "/healthz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(&scraped, "GET %s: %d\n%s\n", path, resp.StatusCode, b)
	}
	// A portal event with a wrong token, and one with the right token.
	for _, tok := range []string{"wrong-token", secretAppToken} {
		resp, err := http.Post(base+"/bitrix/events", "application/x-www-form-urlencoded",
			strings.NewReader("event=ONCRMLEADUPDATE&data[FIELDS][ID]=1&auth[application_token]="+tok))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(&scraped, "POST /bitrix/events: %d\n%s\n", resp.StatusCode, b)
	}
	cancel()
	select {
	case r := <-done:
		return r.out, scraped.String()
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop in 30 s")
	}
	return "", ""
}

// TestNoSecretPrinted runs check, setup and run at debug level with a
// wrong IMAP password, an SMTP server that is not there, a portal that
// goes away and bad portal URLs, scrapes /metrics and /readyz, and finds
// none of the webhook secret, the IMAP and SMTP passwords or the
// application token in anything printed; every JSON log line has each key
// once.
func TestNoSecretPrinted(t *testing.T) {
	imap := imaptest.StartMemory(t)
	user, _ := imap.NewUser(t)
	p := sim.New(sim.Options{NoLimits: true, EventDelay: -1, WebhookSecret: testSecret})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	closedPort, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	imapHost, imapPort, _ := strings.Cut(imap.Addr, ":")
	rulesPath, _ := filepath.Abs("../../config/rules.example.yaml")
	dir := t.TempDir()
	config := func(webhook string) string {
		cfg := fmt.Sprintf(`portal:
  webhook_url: %s
  rate: 1000
  burst: 10000
rules:
  path: %s
state:
  dir: %s
log:
  level: debug
  format: json
http:
  listen: %s
  application_token: %s
events:
  mode: webhook
mailboxes:
  - name: support
    address: %s
    imap: {host: %s, port: %s, security: plain, username: %s, password: %s}
    smtp: {host: 127.0.0.1, port: %d, security: plain, username: %s, password: %s}
    ack: {enabled: true, template: ack}
`, webhook, rulesPath, filepath.Join(dir, "state"), listen, secretAppToken, user, imapHost, imapPort, user, secretIMAP,
			closedPort, user, secretSMTP)
		path := filepath.Join(dir, fmt.Sprintf("b24desk-%d.yaml", time.Now().UnixNano()))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	out := &printed{t: t}
	ctx := context.Background()

	good := config(p.WebhookURL(srv.URL))
	code, s := runCmd(ctx, cmdCheck, good)
	out.add(fmt.Sprintf("check, wrong IMAP password (exit %d)", code), s)
	code, s = runCmd(ctx, cmdSetup, good)
	out.add(fmt.Sprintf("setup (exit %d)", code), s)
	if code != exitOK {
		t.Fatalf("setup: exit %d\n%s", code, s)
	}
	srv.Close() // the portal is gone from here on
	code, s = runCmd(ctx, cmdCheck, good)
	out.add(fmt.Sprintf("check, portal unreachable (exit %d)", code), s)
	runOut, scraped := runDaemon(t, good, listen)
	out.add("run, portal unreachable, wrong IMAP password", runOut)
	out.add("scraped", scraped)
	if !strings.Contains(scraped, "b24desk_api_calls_total") || !strings.Contains(runOut, `"level":"debug"`) {
		t.Errorf("the run did not get far enough to test anything:\n%s\n%s", runOut, scraped)
	}
	// Bad portal URLs: not valid (config errors, every command), and
	// valid but refusing connections (check only: setup would retry).
	refused := "https://127.0.0.1:" + strconv.Itoa(closedPort) + "/rest/1/" + testSecret + "/"
	code, s = runCmd(ctx, cmdCheck, config(refused))
	out.add(fmt.Sprintf("check, portal refuses connections (exit %d)", code), s)
	for _, bad := range []string{
		"http://[::1/rest/1/" + testSecret + "/",
		"ftp://127.0.0.1/rest/1/" + testSecret + "/",
		"https://127.0.0.1:" + strconv.Itoa(closedPort) + "/rest/x/" + testSecret + "/",
	} {
		cfg := config(bad)
		for _, c := range []struct {
			name string
			fn   func(context.Context, []string, io.Writer, io.Writer) int
		}{{"check", cmdCheck}, {"setup", cmdSetup}, {"run", cmdRun}} {
			code, s := runCmd(ctx, c.fn, cfg)
			out.add(fmt.Sprintf("%s, webhook_url %.30s… (exit %d)", c.name, bad, code), s)
			if code != exitUsage {
				t.Errorf("%s with webhook_url %.30s…: exit %d, want %d (a config error)", c.name, bad, code, exitUsage)
			}
		}
	}
	out.leaks(testSecret, secretIMAP, secretSMTP, secretAppToken)
	if n := out.uniqueKeys(); n < 20 {
		t.Errorf("only %d JSON log lines looked at", n)
	}
	if t.Failed() {
		t.Logf("everything printed:\n%s", out.b.String())
	}
}

// TestNoOAuthSecretPrinted: in OAuth mode the client secret and the
// access and refresh tokens never appear in what check and run print, with
// the portal reachable and then gone.
func TestNoOAuthSecretPrinted(t *testing.T) {
	p, cfg := oauthInstall(t)
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if code := runAuth(ctx, []string{"--config", cfg, "--code", p.AuthCode(1)}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("auth: %d\n%s%s", code, stdout.String(), stderr.String())
	}
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	b, _ := os.ReadFile(cfg)
	text := string(b) + "log:\n  level: debug\n  format: json\nhttp:\n  listen: " + listen + "\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(filepath.Dir(cfg), "state")
	st, err := store.OpenReadOnly(ctx, stateDir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	tok, found, err := st.LoadToken(ctx)
	_ = st.Close()
	if err != nil || !found || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("no token pair stored: %v %v", found, err)
	}
	out := &printed{t: t}
	code, s := runCmd(ctx, cmdSetup, cfg)
	out.add(fmt.Sprintf("setup (exit %d)", code), s)
	code, s = runCmd(ctx, cmdCheck, cfg)
	out.add(fmt.Sprintf("check (exit %d)", code), s)
	p.ExpireAccessTokens() // the next call refreshes
	runOut, scraped := runDaemon(t, cfg, listen)
	out.add("run", runOut)
	out.add("scraped", scraped)
	out.leaks(p.ClientSecret(), tok.AccessToken, tok.RefreshToken)
	out.uniqueKeys()
	if t.Failed() {
		t.Logf("everything printed:\n%s", out.b.String())
	}
}
