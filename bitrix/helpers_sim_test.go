package bitrix_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
)

func TestSimTypedHelpers(t *testing.T) {
	p, _, c := startSim(t, sim.Options{NoLimits: true}, bitrix.Config{})
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Portal prerequisites.
	scopes, err := c.Scope(ctx)
	must("scope", err)
	if !slices.Contains(scopes, "crm") || !slices.Contains(scopes, "bizproc") {
		t.Errorf("scopes %v", scopes)
	}
	admin, err := c.IsAdmin(ctx)
	must("user.admin", err)
	mode, err := c.CRMMode(ctx)
	must("crm.settings.mode.get", err)
	if !admin || mode != bitrix.CRMModeClassic {
		t.Errorf("admin %v, mode %d", admin, mode)
	}

	// Dictionaries.
	id, err := c.StatusAdd(ctx, map[string]any{"ENTITY_ID": "SOURCE", "STATUS_ID": "B24D_TECH", "NAME": "Технический вопрос", "SORT": 10})
	must("crm.status.add", err)
	must("crm.status.update", c.StatusUpdate(ctx, id, map[string]any{"NAME": "Тех. вопрос"}))
	if _, err := c.StatusAdd(ctx, map[string]any{"ENTITY_ID": "SOURCE", "STATUS_ID": "B24D_TECH", "NAME": "again"}); !errors.Is(err, bitrix.ErrInvalid) {
		t.Errorf("duplicate status: %v", err)
	}
	sources, err := c.StatusList(ctx, "SOURCE")
	must("crm.status.list", err)
	found := false
	for _, s := range sources {
		if s.StatusID == "B24D_TECH" && s.Name == "Тех. вопрос" && int64(s.ID) == id {
			found = true
		}
	}
	if !found || len(sources) < 10 {
		t.Errorf("sources: %+v", sources)
	}
	items, err := c.StatusEntityItems(ctx, "SOURCE")
	must("crm.status.entity.items", err)
	if len(items) != len(sources) {
		t.Errorf("%d entity items, %d statuses", len(items), len(sources))
	}

	// User fields.
	ufID, err := c.LeadUserFieldAdd(ctx, map[string]any{"USER_TYPE_ID": "enumeration", "FIELD_NAME": "B24D_SLA_STATE", "LABEL": "SLA",
		"LIST": []any{map[string]any{"VALUE": "ok"}, map[string]any{"VALUE": "breached"}}})
	must("crm.lead.userfield.add", err)
	ufs, err := c.LeadUserFieldList(ctx, map[string]any{"FIELD_NAME": "UF_CRM_B24D_SLA_STATE"})
	must("crm.lead.userfield.list", err)
	if len(ufs) != 1 || int64(ufs[0].ID) != ufID || ufs[0].UserTypeID != "enumeration" {
		t.Fatalf("user fields %+v", ufs)
	}
	must("crm.lead.userfield.update", c.LeadUserFieldUpdate(ctx, ufID, map[string]any{"SORT": 200}))
	fields, err := c.LeadFields(ctx)
	must("crm.lead.fields", err)
	sla := fields["UF_CRM_B24D_SLA_STATE"]
	if sla.Type != "enumeration" || len(sla.Items) != 2 || sla.Items[1].Value != "breached" {
		t.Errorf("SLA field %+v", sla)
	}
	if fields["TITLE"].Type == "" {
		t.Errorf("no TITLE in crm.lead.fields")
	}

	// Leads.
	leadID, err := c.LeadAdd(ctx, map[string]any{"TITLE": "Нет доступа", "SOURCE_ID": "B24D_TECH", "ORIGINATOR_ID": "b24desk", "ORIGIN_ID": "<m1@example.com>",
		"EMAIL": []any{map[string]any{"VALUE": "client@example.com", "VALUE_TYPE": "WORK"}}, "UF_CRM_B24D_SLA_STATE": sla.Items[0].ID}, true)
	must("crm.lead.add", err)
	must("crm.lead.update", c.LeadUpdate(ctx, leadID, map[string]any{"STATUS_ID": "IN_PROCESS"}, false))
	lead, err := c.LeadGet(ctx, leadID)
	must("crm.lead.get", err)
	if lead.StatusID != "IN_PROCESS" || lead.SourceID != "B24D_TECH" || lead.OriginID != "<m1@example.com>" ||
		len(lead.Emails) != 1 || lead.DateCreate.IsZero() || lead.AssignedByID == 0 || !lead.Opened {
		t.Errorf("lead %+v", lead)
	}
	leads, next, err := c.LeadList(ctx, bitrix.ListOptions{Filter: map[string]any{"ORIGIN_ID": "<m1@example.com>"}, Select: []string{"ID", "TITLE", "UF_*"}})
	must("crm.lead.list", err)
	if len(leads) != 1 || leads[0].ID != leadID || next != nil {
		t.Errorf("list %+v next %v", leads, next)
	}
	must("crm.item.update", c.ItemUpdate(ctx, 1, leadID, map[string]any{"title": "Renamed"}))
	dups, err := c.DuplicateFindByComm(ctx, "EMAIL", []string{"client@example.com"}, "LEAD")
	must("crm.duplicate.findbycomm", err)
	if !slices.Contains(dups["LEAD"], leadID) {
		t.Errorf("duplicates %v", dups)
	}
	none, err := c.DuplicateFindByComm(ctx, "EMAIL", []string{"nobody@example.com"}, "LEAD")
	must("crm.duplicate.findbycomm (none)", err)
	if len(none) != 0 {
		t.Errorf("duplicates of nobody: %v", none)
	}

	// Timeline, notifications, to-dos.
	cid, err := c.TimelineCommentAdd(ctx, leadID, "[b]step:abc[/b] reply", []bitrix.FileData{{Name: "a.txt", Base64: "aGVsbG8="}})
	must("crm.timeline.comment.add", err)
	comments, _, err := c.TimelineCommentList(ctx, leadID, 0)
	must("crm.timeline.comment.list", err)
	if len(comments) != 1 || int64(comments[0].ID) != cid || comments[0].Comment != "[b]step:abc[/b] reply" {
		t.Errorf("comments %+v", comments)
	}
	if _, err := c.TimelineCommentAdd(ctx, 999999, "x", nil); !errors.Is(err, bitrix.ErrNotFound) {
		t.Errorf("comment on a missing lead: %v", err)
	}
	_, err = c.NotifySystem(ctx, bitrix.Notification{UserID: 1, Message: "SLA breached", Tag: "b24d|1|breach", ClientID: "b24desk"})
	must("im.notify.system.add", err)
	_, err = c.NotifyPersonal(ctx, bitrix.Notification{UserID: 1, Message: "hello"})
	must("im.notify.personal.add", err)
	if n := len(p.Notifications()); n != 2 {
		t.Errorf("%d notifications", n)
	}
	deadline := time.Date(2026, 6, 1, 18, 0, 0, 0, time.FixedZone("", 3*3600))
	todo, err := c.TodoAdd(ctx, bitrix.Todo{OwnerTypeID: 1, OwnerID: leadID, Deadline: deadline, Title: "SLA", Description: "answer", ResponsibleID: 1})
	must("crm.activity.todo.add", err)
	must("crm.activity.todo.updateDeadline", c.TodoUpdateDeadline(ctx, todo, 1, leadID, deadline.Add(time.Hour)))
	acts, _, err := c.ActivityList(ctx, bitrix.ListOptions{Filter: map[string]any{"OWNER_TYPE_ID": 1, "OWNER_ID": leadID}})
	must("crm.activity.list", err)
	if len(acts) != 1 || int64(acts[0].ID) != todo || !acts[0].Deadline.Equal(deadline.Add(time.Hour)) {
		t.Errorf("activities %+v", acts)
	}

	// Users and departments.
	dep := p.AddDepartment(sim.Department{Name: "L2", Parent: 1})
	uid := p.AddUser(sim.User{Name: "Ivan", LastName: "Petrov", Email: "ivan@example.com", Active: true, Departments: []int{dep}})
	users, err := c.UserGet(ctx, map[string]any{"UF_DEPARTMENT": dep})
	must("user.get", err)
	if len(users) != 1 || int(users[0].ID) != uid || users[0].Name != "Ivan" {
		t.Errorf("users %+v", users)
	}
	deps, err := c.DepartmentGet(ctx, map[string]any{"ID": dep})
	must("department.get", err)
	if len(deps) != 1 || deps[0].Name != "L2" {
		t.Errorf("departments %+v", deps)
	}

	// Business processes.
	tpl := p.AddTemplate(sim.Template{Name: "Ticket", AutoExecute: 0})
	tpls, err := c.WorkflowTemplateList(ctx, bitrix.LeadDocumentType)
	must("bizproc.workflow.template.list", err)
	if !slices.ContainsFunc(tpls, func(x bitrix.WorkflowTemplate) bool { return int(x.ID) == tpl && x.Name == "Ticket" }) {
		t.Errorf("templates %+v", tpls)
	}
	inst, err := c.WorkflowStart(ctx, int64(tpl), bitrix.LeadDocumentID(leadID), map[string]any{"Responsible": "user_1"})
	must("bizproc.workflow.start", err)
	running, err := c.WorkflowInstances(ctx, nil)
	must("bizproc.workflow.instances", err)
	if !slices.ContainsFunc(running, func(w bitrix.WorkflowInstance) bool { return string(w.ID) == inst }) {
		t.Errorf("instances %+v (started %q)", running, inst)
	}
	must("bizproc.workflow.terminate", c.WorkflowTerminate(ctx, inst, "done"))
	must("crm.lead.delete", c.LeadDelete(ctx, leadID))
	if _, err := c.LeadGet(ctx, leadID); !errors.Is(err, bitrix.ErrNotFound) {
		t.Errorf("deleted lead: %v", err)
	}
}

func TestSimEventHelpers(t *testing.T) {
	p, srv, hook := startSim(t, sim.Options{NoLimits: true}, bitrix.Config{})
	ctx := context.Background()
	if err := hook.EventBind(ctx, "ONCRMLEADADD", "https://example.com/hook", false); !errors.Is(err, bitrix.ErrUnauthorized) {
		t.Errorf("event.bind through a webhook: %v", err)
	}
	access, refresh := p.IssueTokens(1)
	app, err := bitrix.New(bitrix.Config{OAuth: &bitrix.OAuthConfig{ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		ServerURL: srv.URL, Endpoint: srv.URL + "/rest/", Store: &memStore{tok: bitrix.Token{AccessToken: access, RefreshToken: refresh}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.EventBind(ctx, "ONCRMLEADADD", "", true); err != nil {
		t.Fatal(err)
	}
	if err := app.EventBind(ctx, "ONCRMLEADUPDATE", "https://example.com/hook", false); err != nil {
		t.Fatal(err)
	}
	binds, err := app.EventGet(ctx)
	if err != nil || len(binds) != 2 {
		t.Fatalf("event.get: %+v, %v", binds, err)
	}
	if _, err := app.LeadAdd(ctx, map[string]any{"TITLE": "evented"}, false); err != nil {
		t.Fatal(err)
	}
	var got bitrix.OfflineEvents
	for range 100 { // events go through the portal's queue
		if got, err = app.EventOfflineGet(ctx, bitrix.OfflineQuery{Limit: 50}); err != nil || len(got.Events) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(got.Events) != 1 || got.Events[0].EventName != "ONCRMLEADADD" || got.ProcessID == "" {
		t.Fatalf("event.offline.get: %+v, %v", got, err)
	}
	if err := app.EventOfflineError(ctx, string(got.ProcessID), []string{string(got.Events[0].MessageID)}); err != nil {
		t.Errorf("event.offline.error: %v", err)
	}
	if err := app.EventOfflineClear(ctx, string(got.ProcessID), nil); err != nil {
		t.Errorf("event.offline.clear: %v", err)
	}
	if err := app.EventUnbind(ctx, "ONCRMLEADUPDATE", "https://example.com/hook", false); err != nil {
		t.Errorf("event.unbind: %v", err)
	}
}

func TestSimOperatingLimitPausesBeforeRefusal(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC))
	p, _, c := startSim(t, sim.Options{NoLimits: true, Clock: clk, WallClock: clk, OperatingLimit: 2 * time.Second, OperatingCost: 100 * time.Millisecond},
		bitrix.Config{Clock: clk, OperatingLimit: 2 * time.Second})
	const total = 30
	done := make(chan error, 1)
	go func() {
		for range total {
			if _, err := c.Call(context.Background(), "crm.lead.list", nil); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	// Wait until the client stops sending: it has paused the method. A
	// client merely slowed down by a busy machine before 15 calls is waited
	// for (the check below would fail it otherwise).
	last, stable := -1, 0
	deadline := time.Now().Add(30 * time.Second)
	for (stable < 10 || last < 15) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		n := len(p.Calls())
		if n == last {
			stable++
		} else {
			last, stable = n, 0
		}
	}
	if last >= total || last < 15 {
		t.Fatalf("client stopped after %d calls, want a pause near 18 (90%% of 2 s at 0.1 s a call)", last)
	}
	if _, err := c.Call(context.Background(), "crm.lead.get", map[string]any{"id": 1}); !errors.Is(err, bitrix.ErrNotFound) {
		t.Errorf("another method is paused too: %v", err)
	}
	clk.Advance(11 * time.Minute) // the portal's window has passed
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the paused method did not resume after its reset")
	}
	if n := countCalls(p, "", "OPERATION_TIME_LIMIT"); n != 0 {
		t.Errorf("%d OPERATION_TIME_LIMIT answers", n)
	}
	if n := countCalls(p, "crm.lead.list", ""); n != total {
		t.Errorf("%d successful list calls, want %d", n, total)
	}
}

func TestSimOverTLS(t *testing.T) {
	p := sim.New(sim.Options{})
	defer p.Close()
	tlsCfg, certPEM, err := p.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(p)
	srv.TLS = tlsCfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting client's handshake failure
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("no certificate in the PEM")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(srv.URL), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if mode, err := c.CRMMode(context.Background()); err != nil || mode != bitrix.CRMModeClassic {
		t.Fatalf("over TLS: %d, %v", mode, err)
	}
	untrusting, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(srv.URL), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := untrusting.CRMMode(context.Background()); !errors.Is(err, bitrix.ErrTransient) {
		t.Errorf("untrusted certificate: %v", err)
	}
}

// TestSimExchangeCode: an authorization code becomes the first pair, saved
// in the store and used by the next call; a used code is refused as
// invalid_grant (ErrUnauthorized) and neither the code nor the secret
// shows in the error.
func TestSimExchangeCode(t *testing.T) {
	p := sim.New(sim.Options{NoLimits: true, EventDelay: -1})
	srv := httptest.NewServer(p)
	t.Cleanup(func() { srv.Close(); p.Close() })
	st := &memStore{}
	c, err := bitrix.New(bitrix.Config{OAuth: &bitrix.OAuthConfig{ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		ServerURL: srv.URL, Endpoint: srv.URL + "/rest/", Store: st}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	code := p.AuthCode(1)
	tok, err := c.ExchangeCode(ctx, code)
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("ExchangeCode = %+v, %v", tok, err)
	}
	if saved, _ := st.Load(ctx); saved != tok {
		t.Fatalf("store holds %+v, want %+v", saved, tok)
	}
	if _, err := c.Scope(ctx); err != nil {
		t.Fatalf("a call with the new pair: %v", err)
	}
	_, err = c.ExchangeCode(ctx, code)
	var ae *bitrix.APIError
	if !errors.Is(err, bitrix.ErrUnauthorized) || !errors.As(err, &ae) || ae.Code != "invalid_grant" {
		t.Fatalf("reused code: %v, want invalid_grant", err)
	}
	if strings.Contains(err.Error(), code) || strings.Contains(err.Error(), p.ClientSecret()) {
		t.Fatalf("error leaks the code or the secret: %v", err)
	}
	hook, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hook.ExchangeCode(ctx, p.AuthCode(1)); err == nil {
		t.Fatal("a webhook client exchanged a code")
	}
}
