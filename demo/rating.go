package demo

// The demo's customer rating and its closing SLA report.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/report"
	"github.com/b24desk/b24desk/connector/schema"
)

// demoReportToken opens the demo daemon's /report page (loopback only).
const demoReportToken = "demo-report-token-not-for-production"

var choiceLink = regexp.MustCompile(`(?m)^2\. Недостаточно полно: (\S+)$`)

// rateAnswer: the customer of #2 opens the link «Недостаточно полно» in
// the answer mail, the page shows the choice preselected, and the form is
// sent with a comment.
func (d *demo) rateAnswer(ctx context.Context) error {
	id := d.tickets["tech"]
	notified := len(d.env.portal.Notifications())
	sent := d.env.sent.list()
	if len(sent) == 0 {
		return fmt.Errorf("%w: no answer to rate on #%d", errDemoStep, id)
	}
	msg, err := mimeparse.Parse(sent[0].Data, mimeparse.Options{})
	if err != nil {
		return fmt.Errorf("read the answer to #%d: %w", id, err)
	}
	m := choiceLink.FindStringSubmatch(strings.ReplaceAll(msg.Text, "\r\n", "\n"))
	if m == nil {
		return fmt.Errorf("%w: the answer to #%d offers no rating link", errDemoStep, id)
	}
	page, err := httpDo(ctx, http.MethodGet, m[1], nil)
	if err != nil || !strings.Contains(page, `value="1" checked`) {
		return fmt.Errorf("%w: the rating page did not open (%v)", errDemoStep, err)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		return err
	}
	form := url.Values{"t": {u.Query().Get("t")}, "choice": {"1"}, "comment": {"Не сказано, что делать с фото больше 10 МБ."}}
	if page, err = httpDo(ctx, http.MethodPost, u.Scheme+"://"+u.Host+u.Path, form); err != nil || !strings.Contains(page, "Спасибо") {
		return fmt.Errorf("%w: the rating was not taken (%v)", errDemoStep, err)
	}
	err = waitUntil(ctx, demoWait, func() bool {
		l, ok := d.env.portal.Lead(int(id))
		v, _ := l[schema.FieldRating].(string)
		return ok && v != "" && v != "0"
	})
	if err != nil {
		return fmt.Errorf("%w: the rating did not reach lead #%d", errDemoStep, id)
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	d.say("customer rates the answer to #%d «Недостаточно полно» on the page its link opens: %s and a timeline comment on the lead",
		id, schema.FieldRating)
	for _, n := range d.env.portal.Notifications()[notified:] {
		d.say("notification to %s: %s", staffName(int64(n.UserID)), oneLine(n.Message, 110))
	}
	return nil
}

// httpDo sends a GET, or a POST of the form, and returns the page.
func httpDo(ctx context.Context, method, link string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, link, body)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("%s %s: %s", method, req.URL.Path, resp.Status)
	}
	return string(b), err
}

// slaReport prints the SLA report of the demo's days (what `b24desk report`
// prints) and the address of the daemon's /report page.
func (d *demo) slaReport(ctx context.Context) error {
	_, r, err := d.load()
	if err != nil {
		return err
	}
	day := demoStart(d.loc)
	rep, err := report.Load(ctx, d.st, report.Options{From: day.Add(-10 * time.Hour), To: day.Add(38 * time.Hour),
		By: report.ByType, Now: d.clk.Now(), Rules: r, Location: d.loc, Labels: r.Ratings.Labels()})
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out)
	if err := report.Write(d.out, rep, report.FormatTable); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nSLA report page: %s\n", report.SignedLink("http://"+d.daemon.Addr(), demoReportToken, d.clk.Now(), report.DefaultLinkTTL))
	return nil
}
