package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// control sends a request to the control endpoint and returns its status
// and body.
func control(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestControlFaults: the control endpoint switches an outage on and off,
// sets fault rates (POST changes only the fields given, PUT replaces
// them all) and refuses bad values with 400, leaving the faults as they
// were.
func TestControlFaults(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	if code, body := control(t, srv, "POST", ControlFaultsPath, `{"down": true, "down_close": true}`); code != 200 {
		t.Fatalf("POST down: %d %s", code, body)
	}
	if _, err := http.Post(p.WebhookURL(srv.URL)+"scope", "application/json", strings.NewReader("{}")); err == nil {
		t.Fatal("an answer arrived while the portal was down with closed connections")
	}
	// The control endpoint answers during the outage.
	if code, body := control(t, srv, "POST", ControlFaultsPath, `{"down": false, "error_500_rate": 1, "late_write_delay": "50ms"}`); code != 200 {
		t.Fatalf("POST down off: %d %s", code, body)
	}
	mustErr(t, post(t, p, srv, "scope", nil), 500, "INTERNAL_SERVER_ERROR", "")
	f := p.ActiveFaults()
	if f.Down || !f.DownClose || f.Error500Rate != 1 || f.LateWriteDelay != 50*time.Millisecond {
		t.Fatalf("faults after two POSTs: %+v", f)
	}
	for _, bad := range []string{`{"error_503_rate": 1.5}`, `{"late_write_delay": "soon"}`, `{"latency": "-1s"}`,
		`{"no_such_fault": 1}`, `{"html_status": 42}`, `not json`} {
		if code, body := control(t, srv, "PUT", ControlFaultsPath, bad); code != 400 {
			t.Errorf("PUT %s: %d %s, want 400", bad, code, body)
		}
	}
	if p.ActiveFaults().Error500Rate != 1 {
		t.Fatal("a refused PUT changed the faults")
	}
	code, body := control(t, srv, "PUT", ControlFaultsPath, `{"html_rate": 1, "html_status": 503}`)
	var got FaultsJSON
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || got.Error500Rate != 0 || got.HTMLRate != 1 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if a := post(t, p, srv, "scope", nil); a.status != 503 || !strings.HasPrefix(a.ctype, "text/html") {
		t.Fatalf("after PUT html: %d %s", a.status, a.ctype)
	}
	code, body = control(t, srv, "GET", ControlFaultsPath, "")
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || got.HTMLStatus != 503 {
		t.Fatalf("GET: %d %s", code, body)
	}
	if code, _ := control(t, srv, "DELETE", ControlFaultsPath, ""); code != 405 {
		t.Fatalf("DELETE: %d, want 405", code)
	}
}

// TestControlLoopbackOnly: a client from another address is refused.
func TestControlLoopbackOnly(t *testing.T) {
	p := New(Options{NoLimits: true})
	defer p.Close()
	req := httptest.NewRequest("POST", ControlFaultsPath, strings.NewReader(`{"down": true}`))
	req.RemoteAddr = "192.0.2.7:4000"
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	if w.Code != 403 || p.ActiveFaults().Down {
		t.Fatalf("remote client: %d, down %v", w.Code, p.ActiveFaults().Down)
	}
}

// TestWriteFaultRates: each lost-answer fault at rate 1 applies the write
// (the drop and the timeout at once, the late write after the client gave
// up) and the client gets no answer; reads are never touched.
func TestWriteFaultRates(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults Faults
		late   bool
	}{
		{"dropped connection", Faults{WriteDropRate: 1}, false},
		{"timeout", Faults{WriteTimeoutRate: 1}, false},
		{"late write", Faults{LateWriteRate: 1, LateWriteDelay: 300 * time.Millisecond}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, srv := testPortal(t, Options{NoLimits: true})
			p.SetFaults(tt.faults)
			ok(t, post(t, p, srv, "scope", nil)) // a read answers
			c := http.Client{Timeout: 150 * time.Millisecond}
			resp, err := c.Post(p.WebhookURL(srv.URL)+"crm.lead.add", "application/json", strings.NewReader(`{"fields":{"TITLE":"x"}}`))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("an answer arrived: %d", resp.StatusCode)
			}
			if tt.late && p.LeadCount() != 0 {
				t.Fatal("the late write was applied before the client gave up")
			}
			deadline := time.Now().Add(5 * time.Second)
			for p.LeadCount() != 1 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if p.LeadCount() != 1 {
				t.Fatalf("%d leads, want the write applied once", p.LeadCount())
			}
		})
	}
}

// TestAudit: leads under one ORIGIN_ID twice, a comment twice, a
// notification kept twice (under two TAGs) and a workflow started twice are
// found; a notification sent again under its TAG replaced the first, so it
// is counted as replaced, not twice; the key picks and names the texts.
func TestAudit(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	tpl := p.AddTemplate(Template{Name: "Escalation"})
	for range 2 {
		ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "a", "ORIGINATOR_ID": "app", "ORIGIN_ID": "m-1"}}))
	}
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "b", "ORIGINATOR_ID": "app", "ORIGIN_ID": "m-2"}}))
	comment := func(lead int, text string) {
		ok(t, post(t, p, srv, "crm.timeline.comment.add", map[string]any{"fields": map[string]any{"ENTITY_ID": lead, "ENTITY_TYPE": "lead", "COMMENT": text}}))
	}
	comment(3, "SLA: first response due\n[marker 1]")
	comment(3, "SLA: first response due\n[marker 2]") // the same step under another marker
	comment(3, "SLA: resolution due")
	comment(3, "Customer reply")
	comment(3, "Customer reply")
	notify := func(user int, tag, text string) {
		ok(t, post(t, p, srv, "im.notify.system.add", map[string]any{"USER_ID": user, "MESSAGE": text, "TAG": tag, "CLIENT_ID": "app"}))
	}
	notify(1, "t:3:1", "SLA: first response due")
	notify(1, "t:3:1", "SLA: first response due") // sent again: replaces the first
	notify(2, "t:3:2", "SLA: first response due")
	notify(2, "t:3:2b", "SLA: first response due") // under another TAG: kept twice
	if n := len(p.Notifications()); n != 3 {
		t.Fatalf("%d notifications kept, want 3 (the TAG replaces)", n)
	}
	for range 2 {
		ok(t, post(t, p, srv, "bizproc.workflow.start", map[string]any{"TEMPLATE_ID": tpl, "DOCUMENT_ID": []any{"crm", "CCrmDocumentLead", "LEAD_3"}}))
	}

	all := p.Audit(nil)
	if all.Leads != 3 || len(all.DuplicateOrigins) != 1 || len(all.DuplicateOrigins[0].LeadIDs) != 2 || all.DuplicateOrigins[0].Origin != "m-1" {
		t.Fatalf("duplicate origins: %+v", all.DuplicateOrigins)
	}
	if all.Comments != 4 || len(all.RepeatedComments) != 1 || all.RepeatedComments[0].Key != "Customer reply" {
		t.Fatalf("comments %d, repeated %+v", all.Comments, all.RepeatedComments)
	}
	if len(all.RepeatedWorkflows) != 1 || all.RepeatedWorkflows[0] != (Repeat{LeadID: 3, TemplateID: tpl, Count: 2}) {
		t.Fatalf("workflows: %+v", all.RepeatedWorkflows)
	}
	sla := p.Audit(FirstLineWithPrefix("SLA: "))
	if sla.Comments != 2 || sla.Notifications != 2 || sla.ReplacedNotifications != 1 || sla.Twice() != 2 {
		t.Fatalf("SLA audit: %+v, twice %d, want 2 comments, 2 notifications, 1 replaced, 2 twice", sla, sla.Twice())
	}
	if r := sla.RepeatedNotifications; len(r) != 1 || r[0] != (Repeat{UserID: 2, Key: "SLA: first response due", Count: 2}) {
		t.Fatalf("repeated notifications: %+v", r)
	}

	// The same through the control endpoint.
	code, body := control(t, srv, "GET", ControlAuditPath+"?prefix=SLA:+", "")
	var got Audit
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || got.Twice() != 2 || got.Leads != 3 {
		t.Fatalf("GET audit: %d %s", code, body)
	}
}
