package sim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/clock"
)

func TestUserFieldsEnumAndFiles(t *testing.T) {
	p, srv := testPortal(t, Options{})
	ok(t, post(t, p, srv, "crm.lead.userfield.add", map[string]any{"fields": map[string]any{
		"FIELD_NAME": "B24D_SLA_STATE", "USER_TYPE_ID": "enumeration", "LIST": []any{map[string]any{"VALUE": "ok"}, map[string]any{"VALUE": "breached"}}}}))
	ok(t, post(t, p, srv, "crm.lead.userfield.add", map[string]any{"fields": map[string]any{
		"FIELD_NAME": "UF_CRM_B24D_FILES", "USER_TYPE_ID": "file", "MULTIPLE": "Y"}}))
	mustErr(t, post(t, p, srv, "crm.lead.userfield.add", map[string]any{"fields": map[string]any{
		"FIELD_NAME": "B24D_FILES", "USER_TYPE_ID": "file"}}), 400, "ERROR_CORE", "")
	fields := ok(t, post(t, p, srv, "crm.lead.fields", nil)).(map[string]any)
	items := fields["UF_CRM_B24D_SLA_STATE"].(map[string]any)["items"].([]any)
	breached := items[1].(map[string]any)
	if breached["VALUE"] != "breached" {
		t.Fatalf("items %v", items)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{
		"TITLE": "x", "UF_CRM_B24D_SLA_STATE": breached["ID"],
		"UF_CRM_B24D_FILES": []any{map[string]any{"fileData": []any{"a.txt", b64("A")}}, map[string]any{"fileData": []any{"b.txt", b64("B")}}}}}))
	l, _ := p.Lead(1)
	if l["UF_CRM_B24D_SLA_STATE"] != breached["ID"] {
		t.Fatalf("enum value %v", l["UF_CRM_B24D_SLA_STATE"])
	}
	files := l["UF_CRM_B24D_FILES"].([]any)
	if len(files) != 2 {
		t.Fatalf("files %v", files)
	}
	keep := files[1].(map[string]any)["id"].(int)
	// crm.item.update rewrites the multiple file field: file 1 not re-sent dies
	a := post(t, p, srv, "crm.item.update", map[string]any{"entityTypeId": 1, "id": 1, "fields": map[string]any{
		"ufCrmB24dFiles": []any{map[string]any{"id": keep}, []any{"c.txt", b64("C")}}, "sourceId": "EMAIL"}})
	item := ok(t, a).(map[string]any)["item"].(map[string]any)
	if item["sourceId"] != "EMAIL" || len(item["ufCrmB24dFiles"].([]any)) != 2 {
		t.Fatalf("item %v", item)
	}
	if _, exists := p.File(files[0].(map[string]any)["id"].(int)); exists {
		t.Fatal("file not re-sent still exists")
	}
	if f, exists := p.File(keep); !exists || string(f.Data) != "B" {
		t.Fatalf("kept file %v", f)
	}
}

func TestStatusesAndSemantics(t *testing.T) {
	p, srv := testPortal(t, Options{})
	rows := ok(t, post(t, p, srv, "crm.status.list", map[string]any{"filter": map[string]any{"ENTITY_ID": "SOURCE"}})).([]any)
	if len(rows) != 12 || rows[0].(map[string]any)["STATUS_ID"] != "CALL" {
		t.Fatalf("sources %d %v", len(rows), rows[0])
	}
	id := ok(t, post(t, p, srv, "crm.status.add", map[string]any{"fields": map[string]any{"ENTITY_ID": "SOURCE", "STATUS_ID": "B24D_TECH", "NAME": "Технический вопрос", "SORT": 10}}))
	if id == nil {
		t.Fatal("no id")
	}
	items := ok(t, post(t, p, srv, "crm.status.entity.items", map[string]any{"entityId": "SOURCE"})).([]any)
	if len(items) != 13 {
		t.Fatalf("entity items %d", len(items))
	}
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"STATUS_ID": "JUNK"}}))
	if l, _ := p.Lead(1); l["STATUS_SEMANTIC_ID"] != "F" {
		t.Fatalf("semantic %v", l["STATUS_SEMANTIC_ID"])
	}
	p.SetAdmin(false)
	mustErr(t, post(t, p, srv, "crm.status.add", map[string]any{"fields": map[string]any{"ENTITY_ID": "SOURCE", "STATUS_ID": "Z", "NAME": "z"}}), 400, "", "Access denied.")
}

func TestBizprocAutoExecute(t *testing.T) {
	p, srv := testPortal(t, Options{})
	onAdd := p.AddTemplate(Template{Name: "on add", AutoExecute: 1})
	both := p.AddTemplate(Template{Name: "both", AutoExecute: 3})
	manual := p.AddTemplate(Template{Name: "manual"})
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "x"}}))
	ok(t, post(t, p, srv, "crm.lead.update", map[string]any{"id": 1, "fields": map[string]any{"TITLE": "y"}}))
	inst := ok(t, post(t, p, srv, "bizproc.workflow.start", map[string]any{"TEMPLATE_ID": manual, "DOCUMENT_ID": []any{"crm", "CCrmDocumentLead", "LEAD_1"}}))
	if s, _ := inst.(string); !strings.Contains(s, ".") {
		t.Fatalf("instance id %v", inst)
	}
	mustErr(t, post(t, p, srv, "bizproc.workflow.start", map[string]any{"TEMPLATE_ID": manual, "DOCUMENT_ID": []any{"crm", "CCrmDocumentLead", "LEAD_9"}}), 400, "", "Wrong DOCUMENT_ID!")
	count := map[int]int{}
	for _, w := range p.WorkflowStarts() {
		count[w.TemplateID]++
	}
	if count[onAdd] != 1 || count[both] != 2 || count[manual] != 1 {
		t.Fatalf("starts %v", count)
	}
	list := ok(t, post(t, p, srv, "bizproc.workflow.instances", nil)).([]any)
	if len(list) != 4 {
		t.Fatalf("instances %d", len(list))
	}
	ok(t, post(t, p, srv, "bizproc.workflow.terminate", map[string]any{"ID": inst}))
	if list := ok(t, post(t, p, srv, "bizproc.workflow.instances", nil)).([]any); len(list) != 3 {
		t.Fatalf("after terminate %d", len(list))
	}
	p.SetAdmin(false)
	mustErr(t, post(t, p, srv, "bizproc.workflow.template.list", nil), 403, "ACCESS_DENIED", "")
}

func TestNotifyTagReplaces(t *testing.T) {
	p, srv := testPortal(t, Options{})
	ok(t, post(t, p, srv, "im.notify.system.add", map[string]any{"USER_ID": 1, "MESSAGE": "one", "TAG": "t1", "CLIENT_ID": "c"}))
	ok(t, post(t, p, srv, "im.notify.system.add", map[string]any{"USER_ID": 1, "MESSAGE": "two", "TAG": "t1", "CLIENT_ID": "c"}))
	ok(t, post(t, p, srv, "im.notify.personal.add", map[string]any{"USER_ID": 1, "MESSAGE": "three"}))
	n := p.Notifications()
	if len(n) != 2 || n[0].Message != "two" || n[1].Type != "USER" {
		t.Fatalf("notifications %+v", n)
	}
}

func TestCRMModeAndScopes(t *testing.T) {
	p, srv := testPortal(t, Options{})
	if ok(t, post(t, p, srv, "crm.settings.mode.get", nil)) != json.Number("1") {
		t.Fatal("mode")
	}
	p.SetCRMMode(2)
	mustErr(t, post(t, p, srv, "crm.lead.list", nil), 400, "", "Access denied.")
	p.SetScopes("crm")
	mustErr(t, post(t, p, srv, "im.notify", map[string]any{"to": 1, "message": "x"}), 403, "insufficient_scope", "")
	if s := ok(t, post(t, p, srv, "scope", nil)).([]any); len(s) != 1 {
		t.Fatalf("scope %v", s)
	}
}

func TestOfflineEventsKeepLatestPerObject(t *testing.T) {
	p, srv := testPortal(t, Options{})
	access, _ := p.IssueTokens(1)
	app := func(method string, body map[string]any) answer {
		body["auth"] = access
		b, _ := json.Marshal(body)
		return rawPost(t, srv.URL+"/rest/"+method, "application/json", string(b))
	}
	ok(t, app("event.bind", map[string]any{"event": "ONCRMLEADUPDATE", "event_type": "offline"}))
	p.SeedLeads(2, nil)
	for range 3 {
		if err := p.SetLeadFields(1, map[string]any{"TITLE": "again"}); err != nil {
			t.Fatal(err)
		}
	}
	_ = p.SetLeadFields(2, map[string]any{"TITLE": "two"})
	res := ok(t, app("event.offline.get", map[string]any{"clear": 0})).(map[string]any)
	events := res["events"].([]any)
	if len(events) != 2 {
		t.Fatalf("events %v", events)
	}
	// With clear=0 the page is hidden from later calls until cleared or
	// reported; process_id reads it again
	// (api-reference/events/event-offline-get.md, "process_id").
	if again := ok(t, app("event.offline.get", map[string]any{"clear": 0})).(map[string]any)["events"].([]any); len(again) != 0 {
		t.Fatalf("locked events returned again: %v", again)
	}
	byProcess := ok(t, app("event.offline.get", map[string]any{"clear": 0, "process_id": res["process_id"]})).(map[string]any)
	if len(byProcess["events"].([]any)) != 2 || byProcess["process_id"] != res["process_id"] {
		t.Fatalf("page read again by process_id: %v", byProcess)
	}
	// Reported with event.offline.error: read with error=1 by a new process.
	ok(t, app("event.offline.error", map[string]any{"process_id": res["process_id"]}))
	failed := ok(t, app("event.offline.get", map[string]any{"clear": 0, "error": 1})).(map[string]any)
	if len(failed["events"].([]any)) != 2 || failed["process_id"] == res["process_id"] {
		t.Fatalf("reported page: %v", failed)
	}
	res = failed
	ok(t, app("event.offline.clear", map[string]any{"process_id": res["process_id"]}))
	_ = p.SetLeadFields(1, map[string]any{"TITLE": "later"})
	if ev := ok(t, app("event.offline.get", map[string]any{})).(map[string]any)["events"].([]any); len(ev) != 1 {
		t.Fatalf("after clear %v", ev)
	}
}

func TestOperatingLimit(t *testing.T) {
	wall := clock.NewManual(time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC))
	p, srv := testPortal(t, Options{WallClock: wall, OperatingLimit: 3 * time.Second, OperatingCost: time.Second, NoLimits: true})
	for i := range 3 {
		a := post(t, p, srv, "crm.lead.list", nil)
		ok(t, a)
		tm := a.body["time"].(map[string]any)
		if want := json.Number([]string{"1", "2", "3"}[i]); tm["operating"] != want {
			t.Fatalf("operating %v", tm["operating"])
		}
		if _, has := tm["operating_reset_at"]; !has {
			t.Fatal("operating_reset_at missing")
		}
	}
	mustErr(t, post(t, p, srv, "crm.lead.list", nil), 429, "OPERATION_TIME_LIMIT", "")
	ok(t, post(t, p, srv, "crm.lead.fields", nil)) // other methods are not blocked
	wall.Advance(11 * time.Minute)
	ok(t, post(t, p, srv, "crm.lead.list", nil))
}

func TestFaults(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	p.SetFaults(Faults{Down: true})
	if a := post(t, p, srv, "scope", nil); a.status != 502 || strings.HasPrefix(a.ctype, "application/json") {
		t.Fatalf("down: %d %s", a.status, a.ctype)
	}
	p.SetFaults(Faults{Error500Rate: 1})
	mustErr(t, post(t, p, srv, "scope", nil), 500, "INTERNAL_SERVER_ERROR", "")
	p.SetFaults(Faults{HTMLRate: 1, HTMLStatus: 200})
	if a := post(t, p, srv, "scope", nil); a.status != 200 || !strings.HasPrefix(a.ctype, "text/html") {
		t.Fatalf("html: %d %s", a.status, a.ctype)
	}
	// a write applied but its answer never comes
	p.SetFaults(Faults{WriteTimeout: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.WebhookURL(srv.URL)+"crm.lead.add", strings.NewReader(`{"fields":{"TITLE":"lost"}}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answer arrived")
	}
	if p.LeadCount() != 1 {
		t.Fatalf("write not applied: %d", p.LeadCount())
	}
	// a write applied after the client gave up (a delay long enough that a
	// test goroutine descheduled under load still checks before it lands)
	p.SetFaults(Faults{LateWrite: true, LateWriteDelay: time.Second})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	req, _ = http.NewRequestWithContext(ctx2, http.MethodPost, p.WebhookURL(srv.URL)+"crm.lead.add", strings.NewReader(`{"fields":{"TITLE":"late"}}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answer arrived")
	}
	if p.LeadCount() != 1 {
		t.Fatal("late write applied before the client gave up")
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.LeadCount() != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.LeadCount() != 2 {
		t.Fatal("late write never applied")
	}
}

func TestDomainChange(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	moved := httptest.NewServer(p)
	defer moved.Close()
	p.SetFaults(Faults{MovedTo: moved.URL + "/new"})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(p.WebhookURL(srv.URL)+"crm.lead.add", "application/json", strings.NewReader(`{"fields":{"TITLE":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.HasPrefix(loc, moved.URL+"/new/rest/1/") {
		t.Fatalf("redirect %d %q", resp.StatusCode, loc)
	}
	if p.LeadCount() != 0 {
		t.Fatal("redirected request executed")
	}
	ok(t, rawPost(t, loc, "application/json", `{"fields":{"TITLE":"x"}}`))
	if p.LeadCount() != 1 {
		t.Fatal("request on the new location not executed")
	}
}

func TestTimelineTodosUsersDuplicates(t *testing.T) {
	p, srv := testPortal(t, Options{})
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"EMAIL": []any{map[string]any{"VALUE": "Cust@Example.com"}}}}))
	mustErr(t, post(t, p, srv, "crm.timeline.comment.add", map[string]any{"FIELDS": map[string]any{"ENTITY_ID": 1, "ENTITY_TYPE": "lead", "COMMENT": "x"}}), 400, "ERROR_REQUIRED_PARAMETERS_MISSING", "")
	ok(t, post(t, p, srv, "crm.timeline.comment.add", map[string]any{"fields": map[string]any{"ENTITY_ID": 1, "ENTITY_TYPE": "lead", "COMMENT": "[b]hi[/b]"}}))
	if c := p.Comments(1); len(c) != 1 || c[0].Text != "[b]hi[/b]" {
		t.Fatalf("comments %+v", c)
	}
	if rows := ok(t, post(t, p, srv, "crm.timeline.comment.list", map[string]any{"filter": map[string]any{"ENTITY_ID": 1, "ENTITY_TYPE": "lead"}})).([]any); len(rows) != 1 {
		t.Fatalf("comment list %v", rows)
	}
	todo := ok(t, post(t, p, srv, "crm.activity.todo.add", map[string]any{"ownerTypeId": 1, "ownerId": 1, "deadline": "2026-05-15T10:00:00+03:00", "title": "SLA"})).(map[string]any)
	ok(t, post(t, p, srv, "crm.activity.todo.updateDeadline", map[string]any{"ownerTypeId": 1, "ownerId": 1, "id": todo["id"], "value": "2026-05-16T10:00:00+03:00"}))
	if td := p.Todos(); len(td) != 1 || td[0].Deadline.Day() != 16 {
		t.Fatalf("todos %+v", td)
	}
	dup := ok(t, post(t, p, srv, "crm.duplicate.findbycomm", map[string]any{"type": "EMAIL", "values": []any{"cust@example.com"}, "entity_type": "LEAD"})).(map[string]any)
	if len(dup["LEAD"].([]any)) != 1 {
		t.Fatalf("dup %v", dup)
	}
	if a := post(t, p, srv, "crm.duplicate.findbycomm", map[string]any{"type": "EMAIL", "values": []any{"none@x.y"}}); !strings.Contains(a.raw, `"result":[]`) {
		t.Fatalf("no duplicate must be []: %s", a.raw)
	}
	uid := p.AddUser(User{Name: "Olga", LastName: "L2", Active: true, Departments: []int{2}})
	p.AddDepartment(Department{ID: 2, Name: "IT", Parent: 1, Head: uid})
	users := ok(t, post(t, p, srv, "user.get", map[string]any{"FILTER": map[string]any{"ACTIVE": true, "UF_DEPARTMENT": 2}})).([]any)
	if len(users) != 1 || users[0].(map[string]any)["ID"] != "2" {
		t.Fatalf("users %v", users)
	}
	if d := ok(t, post(t, p, srv, "department.get", map[string]any{"ID": 2})).([]any); len(d) != 1 {
		t.Fatalf("departments %v", d)
	}
	if ok(t, post(t, p, srv, "user.admin", nil)) != true {
		t.Fatal("admin")
	}
}

// TestOperatingCharges: what a call costs against the operating limit
// (limits.md: "An external call to batch is not accounted for in
// operating. Nested calls are executed as separate methods, so the
// execution time of each is accounted for and checked against its own
// limit"; settings/performance/huge-data.md: start >= 0 counts total and
// is slow on large data, start = -1 with >ID "reduces the load"). The docs
// give no figures; the simulator's (callCost): 1 a call, plus 1 per 50
// rows skipped and 1 per started 1,000 rows counted; start = -1 costs 1.
func TestOperatingCharges(t *testing.T) {
	wall := clock.NewManual(time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC))
	p, srv := testPortal(t, Options{WallClock: wall, OperatingLimit: time.Hour, OperatingCost: time.Second, NoLimits: true})
	p.SeedLeads(1200, nil)
	operating := func(a answer) json.Number {
		t.Helper()
		ok(t, a)
		return a.body["time"].(map[string]any)["operating"].(json.Number)
	}
	steps := []struct {
		name   string
		params map[string]any
		want   json.Number // crm.lead.list's running sum, seconds
	}{
		{"page 1 counted", map[string]any{"start": 0}, "3"},                                          // 1 + 0 + 2 (1,200 counted)
		{"page 21 counted", map[string]any{"start": 1000}, "26"},                                     // 1 + 20 + 2
		{"start -1 by ID", map[string]any{"start": -1, "filter": map[string]any{">ID": 1000}}, "27"}, // 1
	}
	for _, s := range steps {
		if got := operating(post(t, p, srv, "crm.lead.list", s.params)); got != s.want {
			t.Fatalf("%s: operating %s, want %s", s.name, got, s.want)
		}
	}
	// A batch of 3 nested lists: each billed to crm.lead.list, nothing to batch.
	b := post(t, p, srv, "batch", map[string]any{"cmd": map[string]any{
		"a": "crm.lead.list?start=-1&filter[>ID]=0", "b": "crm.lead.list?start=-1&filter[>ID]=50",
		"c": "crm.lead.list?start=50"}})
	if got := operating(b); got != "0" {
		t.Fatalf("batch's own operating %s, want 0", got)
	}
	// 27, then the batch's a and b (1 each) and c (1 + 1 skipped page + 2
	// counted), then this call's 1.
	if got := operating(post(t, p, srv, "crm.lead.list", map[string]any{"start": -1})); got != "34" {
		t.Fatalf("crm.lead.list after the batch: operating %s, want 34", got)
	}
}

// TestRefuse: a refused method answers 400 ACCESS_DENIED alone and inside
// a batch, where the other commands still run.
func TestRefuse(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	p.SetFaults(Faults{Refuse: []string{"crm.activity.todo.add"}})
	mustErr(t, post(t, p, srv, "crm.activity.todo.add", map[string]any{"ownerTypeId": 1, "ownerId": 1,
		"deadline": "2026-05-14T13:00:00+03:00"}), 400, "ACCESS_DENIED", "")
	res := ok(t, post(t, p, srv, "batch", map[string]any{"halt": 0, "cmd": map[string]any{
		"a": "crm.lead.add?fields[TITLE]=x",
		"b": "crm.activity.todo.add?ownerTypeId=1&ownerId=$result[a]&deadline=2026-05-14T13:00:00%2B03:00",
	}})).(map[string]any)
	if errs, _ := res["result_error"].(map[string]any); errs["b"] == nil || !strings.Contains(mustJSON(t, errs["b"]), "ACCESS_DENIED") {
		t.Fatalf("batch errors %v", res["result_error"])
	}
	if p.LeadCount() != 1 || len(p.Todos()) != 0 {
		t.Fatalf("leads %d, to-dos %d: want the lead added and the to-do refused", p.LeadCount(), len(p.Todos()))
	}
}
