package report

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/browsertest"
	"github.com/b24desk/b24desk/rules"
)

const pageToken = "report-token-for-tests-0123456789"

// pageServer serves the report page over the fixture's state at its now.
func pageServer(t *testing.T) (*httptest.Server, time.Time) {
	st, r, now := buildFixture(t)
	h := Handler(HandlerOptions{Source: st, Token: pageToken, Rules: func() *rules.Rules { return r },
		Clock: clock.NewManual(now), Location: msk, Log: zerolog.Nop()})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, now
}

func get(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPageAuth: the page needs the token or an unexpired link signed with
// it; anything else gets 401 and no figures.
func TestPageAuth(t *testing.T) {
	srv, now := pageServer(t)
	period := "&from=2026-10-26&to=2026-11-08"
	good := SignedLink(srv.URL, pageToken, now, time.Hour) + period
	expired := SignedLink(srv.URL, pageToken, now, -time.Minute) + period
	forged := SignedLink(srv.URL, "another-token", now, time.Hour) + period
	cases := []struct {
		name, url, bearer string
		status            int
	}{
		{"bearer", srv.URL + PagePath + "?by=week" + period, pageToken, 200},
		{"signed link", good, "", 200},
		{"nothing", srv.URL + PagePath, "", 401},
		{"wrong bearer", srv.URL + PagePath, "guess", 401},
		{"expired link", expired, "", 401},
		{"forged link", forged, "", 401},
		{"changed expiry", strings.Replace(good, "exp=", "exp=9", 1), "", 401},
		{"bad grouping", srv.URL + PagePath + "?by=colour", pageToken, 400},
		{"bad date", srv.URL + PagePath + "?from=yesterday", pageToken, 400},
	}
	for _, c := range cases {
		status, body := get(t, c.url, c.bearer)
		if status != c.status {
			t.Errorf("%s: status %d, want %d\n%s", c.name, status, c.status, body)
		}
		if status != 200 && strings.Contains(body, "chart-breach") {
			t.Errorf("%s: refused page shows the report", c.name)
		}
		if strings.Contains(body, "client.ru") {
			t.Errorf("%s: the page shows a requester's address", c.name)
		}
	}
	if _, body := get(t, srv.URL+PagePath+"?by=week"+period, pageToken); !strings.Contains(body, "2026-W45") {
		t.Errorf("by week page lacks the week:\n%s", body)
	}
}

// TestPageInBrowser loads the page in a real headless Chromium through a
// signed link, reads the charts' numbers from the DOM, follows a grouping
// link (the signature must ride along), checks that a phone-width page
// does not scroll sideways and saves screenshots as artifacts.
func TestPageInBrowser(t *testing.T) {
	srv, now := pageServer(t)
	tab := browsertest.Start(t, 1000, 1400)
	ctx, cancel := browsertest.Step(tab)
	defer cancel()
	link := SignedLink(srv.URL, pageToken, now, time.Hour) + "&from=2026-10-26&to=2026-11-08"
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#chart-breach"))); err != nil {
		t.Fatal(err)
	}
	attr := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), "data-value"))
		if err != nil || !v.Exists {
			t.Fatalf("%s: %v", sel, err)
		}
		return v.Value
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	checks := []struct{ name, got, want string }{
		{"INCIDENT W45 breach rate", attr(`#chart-breach rect[data-series="INCIDENT"][data-category="2026-W45"]`), "100"},
		{"TECH W44 breach rate label", text(`#chart-breach text[data-series="TECH"][data-category="2026-W44"]`), "25%"},
		{"TECH W45 breach rate", attr(`#chart-breach rect[data-series="TECH"][data-category="2026-W45"]`), "0"},
		{"first responses < 1h", attr(`#chart-response rect[data-category="< 1h"]`), "2"},
		{"first responses 2-4h", attr(`#chart-response rect[data-category="2-4h"]`), "1"},
		{"backlog 8-24h", attr(`#chart-backlog rect[data-category="8-24h"]`), "1"},
		{"backlog < 4h", attr(`#chart-backlog rect[data-category="< 4h"]`), "1"},
		{"user 12 rated", attr(`#chart-ratings rect[data-category="user 12"][data-series="Недостаточно полно"]`), "1"},
		{"first response breach tile", text("#fr-rate"), "25%"},
		{"breached now tile", text("#backlog-breached"), "1"},
		{"period", text("#period"), "[2026-10-26, 2026-11-09)"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#chart-breach rect").length`))
	if err != nil || n != 3 { // INCIDENT W45, TECH W44, TECH W45; INCIDENT had nothing in W44
		t.Errorf("breach bars = %d, %v; want 3", n, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.SaveArtifact(t, "report-page.png", png)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href*="by=week"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#groups tr[data-key="2026-W44"]`))); err != nil {
		t.Fatalf("grouping link: %v", err)
	}
	if got := text(`#groups tr[data-key="2026-W45"] td:nth-child(2)`); got != "3" {
		t.Errorf("tickets opened in W45 = %q, want 3", got)
	}

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#chart-ratings"))); err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("phone page is %d px wide (%v), wider than the 390 px screen", width, err)
	}
	png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.SaveArtifact(t, "report-page-phone-"+strconv.Itoa(390)+".png", png)
}
