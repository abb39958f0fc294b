package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

func TestEnvelopeSuccess(t *testing.T) {
	p, srv := testPortal(t, Options{})
	a := post(t, p, srv, "crm.lead.add.json", map[string]any{"fields": map[string]any{"TITLE": "x"}})
	if got := ok(t, a); got != json.Number("1") {
		t.Fatalf("result = %v", got)
	}
	if !strings.HasPrefix(a.ctype, "application/json") {
		t.Fatalf("content type %q", a.ctype)
	}
	tm, _ := a.body["time"].(map[string]any)
	for _, k := range []string{"start", "finish", "duration", "processing", "date_start", "date_finish"} {
		if _, found := tm[k]; !found {
			t.Errorf("time.%s missing: %s", k, a.raw)
		}
	}
	if _, found := tm["operating"]; found {
		t.Errorf("operating present while the limit is off")
	}
	if tm["date_start"] != "2026-05-14T13:26:32+03:00" {
		t.Errorf("date_start = %v", tm["date_start"])
	}
	for _, k := range []string{"next", "total"} {
		if _, found := a.body[k]; found {
			t.Errorf("%s on a non-list answer", k)
		}
	}
}

func TestErrorsAndStatuses(t *testing.T) {
	p, srv := testPortal(t, Options{})
	cases := []struct {
		name, url, body string
		status          int
		code, desc      string
	}{
		{"bad secret", srv.URL + "/rest/1/wrong/crm.lead.get", `{"id":1}`, 401, "NO_AUTH_FOUND", ""},
		{"bad user", srv.URL + "/rest/2/" + DefaultWebhookSecret + "/crm.lead.get", `{"id":1}`, 401, "NO_AUTH_FOUND", ""},
		{"no token", srv.URL + "/rest/crm.lead.get", `{"id":1}`, 401, "NO_AUTH_FOUND", ""},
		{"bad token", srv.URL + "/rest/crm.lead.get", `{"id":1,"auth":"nope"}`, 401, "invalid_token", ""},
		{"unknown method", p.WebhookURL(srv.URL) + "crm.nothing", `{}`, 404, "ERROR_METHOD_NOT_FOUND", ""},
		{"not found", p.WebhookURL(srv.URL) + "crm.lead.get", `{"id":99}`, 400, "", "Not found"},
		{"bad id", p.WebhookURL(srv.URL) + "crm.lead.get", `{"id":"x"}`, 400, "", "ID is not defined or invalid."},
		{"event.bind by webhook", p.WebhookURL(srv.URL) + "event.bind", `{"event":"ONCRMLEADADD","handler":"http://x"}`, 401, "WRONG_AUTH_TYPE", ""},
		{"wrong template", p.WebhookURL(srv.URL) + "bizproc.workflow.start", `{"TEMPLATE_ID":9,"DOCUMENT_ID":["crm","CCrmDocumentLead","LEAD_1"]}`, 400, "ERROR_WRONG_WORKFLOW_ID", ""},
		{"comment owner", p.WebhookURL(srv.URL) + "crm.timeline.comment.add", `{"fields":{"ENTITY_ID":5,"ENTITY_TYPE":"lead","COMMENT":"x"}}`, 400, "OWNER_NOT_FOUND", ""},
		{"notify no user", p.WebhookURL(srv.URL) + "im.notify.system.add", `{"MESSAGE":"x"}`, 400, "USER_ID_EMPTY", ""},
		{"notify no message", p.WebhookURL(srv.URL) + "im.notify.system.add", `{"USER_ID":1}`, 400, "MESSAGE_EMPTY", ""},
		{"duplicate status", p.WebhookURL(srv.URL) + "crm.status.add", `{"fields":{"ENTITY_ID":"SOURCE","STATUS_ID":"EMAIL","NAME":"x"}}`, 400, "ERROR_CORE", ""},
		{"truncated json", p.WebhookURL(srv.URL) + "crm.lead.get", `{"id":`, 400, "INVALID_REQUEST", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := rawPost(t, tc.url, "application/json", tc.body)
			mustErr(t, a, tc.status, tc.code, tc.desc)
			if _, has := a.body["error_description"]; !has {
				t.Fatalf("no error_description: %s", a.raw)
			}
		})
	}
}

func TestExpiredToken(t *testing.T) {
	p, srv := testPortal(t, Options{})
	access, refresh := p.IssueTokens(1)
	a := rawPost(t, srv.URL+"/rest/crm.lead.list.json", "application/json", `{"auth":"`+access+`"}`)
	ok(t, a)
	p.ExpireAccessTokens()
	a = rawPost(t, srv.URL+"/rest/crm.lead.list.json", "application/json", `{"auth":"`+access+`"}`)
	mustErr(t, a, 401, "expired_token", "")
	q := url.Values{"grant_type": {"refresh_token"}, "client_id": {p.ClientID()}, "client_secret": {p.ClientSecret()}, "refresh_token": {refresh}}
	resp, err := http.Get(p.OAuthURL(srv.URL) + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok["access_token"] == "" || tok["refresh_token"] == refresh {
		t.Fatalf("refresh: %d %v", resp.StatusCode, tok)
	}
	a = rawPost(t, srv.URL+"/rest/crm.lead.list.json", "application/json", `{"auth":"`+tok["access_token"].(string)+`"}`)
	ok(t, a)
	// the old refresh token is dead
	resp, err = http.Get(p.OAuthURL(srv.URL) + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("reused refresh token: %d", resp.StatusCode)
	}
}

func TestMultifieldReadBack(t *testing.T) {
	p, srv := testPortal(t, Options{})
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{
		"TITLE": "x", "EMAIL": []any{map[string]any{"VALUE": "a@b.c", "VALUE_TYPE": "WORK"}, map[string]any{"VALUE": "d@e.f"}}}}))
	lead := ok(t, post(t, p, srv, "crm.lead.get", map[string]any{"id": 1})).(map[string]any)
	emails := lead["EMAIL"].([]any)
	if len(emails) != 2 {
		t.Fatalf("emails %v", emails)
	}
	first := emails[0].(map[string]any)
	if first["VALUE"] != "a@b.c" || first["VALUE_TYPE"] != "WORK" || first["TYPE_ID"] != "EMAIL" {
		t.Fatalf("row %v", first)
	}
	id1, ok1 := first["ID"].(string)
	id2 := emails[1].(map[string]any)["ID"].(string)
	if !ok1 || id1 == "" || id1 == id2 {
		t.Fatalf("ids %v %v", first["ID"], id2)
	}
	if lead["ID"] != "1" || lead["HAS_EMAIL"] != "Y" || lead["ASSIGNED_BY_ID"] != "1" || lead["STATUS_SEMANTIC_ID"] != "P" {
		t.Fatalf("lead %v", lead)
	}
	// update one, delete the other, add a third by a row without ID
	ok(t, post(t, p, srv, "crm.lead.update", map[string]any{"id": 1, "fields": map[string]any{"EMAIL": []any{
		map[string]any{"ID": id1, "VALUE": "new@b.c"}, map[string]any{"ID": id2, "DELETE": "Y"}, map[string]any{"VALUE": "third@x.y"}}}}))
	lead = ok(t, post(t, p, srv, "crm.lead.get", map[string]any{"id": 1})).(map[string]any)
	var got []string
	for _, e := range lead["EMAIL"].([]any) {
		m := e.(map[string]any)
		got = append(got, m["ID"].(string)+"="+m["VALUE"].(string))
	}
	if len(got) != 2 || got[0] != id1+"=new@b.c" || !strings.HasSuffix(got[1], "=third@x.y") {
		t.Fatalf("after update: %v", got)
	}
}

func TestFormBodyAndPHPKeys(t *testing.T) {
	p, srv := testPortal(t, Options{})
	body := bitrix.EncodeQuery(map[string]any{"fields": map[string]any{"TITLE": "form", "EMAIL": []any{map[string]any{"VALUE": "f@x.y"}}}})
	ok(t, rawPost(t, p.WebhookURL(srv.URL)+"crm.lead.add", "application/x-www-form-urlencoded", body))
	l, _ := p.Lead(1)
	if l["TITLE"] != "form" || len(l["EMAIL"].([]any)) != 1 {
		t.Fatalf("lead %v", l)
	}
}

func TestPagingAndStartMinusOne(t *testing.T) {
	p, srv := testPortal(t, Options{})
	p.SeedLeads(120, nil)
	a := post(t, p, srv, "crm.lead.list", map[string]any{"order": map[string]any{"ID": "ASC"}, "select": []any{"ID"}})
	rows := ok(t, a).([]any)
	if len(rows) != 50 || a.body["next"] != json.Number("50") || a.body["total"] != json.Number("120") {
		t.Fatalf("page 1: %d next=%v total=%v", len(rows), a.body["next"], a.body["total"])
	}
	a = post(t, p, srv, "crm.lead.list", map[string]any{"start": 100})
	if rows := ok(t, a).([]any); len(rows) != 20 {
		t.Fatalf("last page %d", len(rows))
	}
	if _, has := a.body["next"]; has {
		t.Fatalf("next on the last page: %v", a.body["next"])
	}
	a = post(t, p, srv, "crm.lead.list", map[string]any{"start": -1, "filter": map[string]any{">ID": 60}, "order": map[string]any{"ID": "ASC"}})
	rows = ok(t, a).([]any)
	if len(rows) != 50 || rows[0].(map[string]any)["ID"] != "61" || a.body["total"] != json.Number("0") {
		t.Fatalf("start=-1: %d first=%v total=%v", len(rows), rows[0], a.body["total"])
	}
	if _, has := a.body["next"]; has {
		t.Fatal("next with start=-1")
	}
	a = post(t, p, srv, "crm.lead.list", map[string]any{"filter": map[string]any{">ID": 1000}})
	if rows := ok(t, a); !strings.Contains(a.raw, `"result":[]`) || len(rows.([]any)) != 0 {
		t.Fatalf("empty page must be []: %s", a.raw)
	}
}

func TestFilters(t *testing.T) {
	p, srv := testPortal(t, Options{})
	p.SeedLeads(10, func(i int) map[string]any {
		src := "EMAIL"
		if i%2 == 1 {
			src = "CALL"
		}
		return map[string]any{"TITLE": fmt.Sprintf("Lead %d printer", i+1), "SOURCE_ID": src}
	})
	cases := []struct {
		filter map[string]any
		want   int
	}{
		{map[string]any{"SOURCE_ID": "EMAIL"}, 5},
		{map[string]any{"=SOURCE_ID": "CALL"}, 5},
		{map[string]any{"!SOURCE_ID": "CALL"}, 5},
		{map[string]any{"!=SOURCE_ID": "CALL", ">ID": 4}, 3},
		{map[string]any{">=ID": 4, "<=ID": 6}, 3},
		{map[string]any{"<ID": 3}, 2},
		{map[string]any{"@ID": []any{1, 3, 99}}, 2},
		{map[string]any{"!@ID": []any{1, 3}}, 8},
		{map[string]any{"%TITLE": "PRINTER"}, 10},
		{map[string]any{"%TITLE": "Lead 1 "}, 1},
		{map[string]any{"=%TITLE": "Lead 1%"}, 2},
		{map[string]any{"!%TITLE": "Lead 1"}, 8},
		{map[string]any{">DATE_MODIFY": "2026-05-14T13:00:00+03:00"}, 10},
		{map[string]any{">DATE_MODIFY": "2026-05-14T14:00:00+03:00"}, 0},
	}
	for _, tc := range cases {
		a := post(t, p, srv, "crm.lead.list", map[string]any{"filter": tc.filter})
		ok(t, a)
		if a.body["total"] != json.Number(fmt.Sprint(tc.want)) {
			t.Errorf("filter %v: total %v, want %d", tc.filter, a.body["total"], tc.want)
		}
	}
	a := post(t, p, srv, "crm.lead.list", map[string]any{"order": map[string]any{"ID": "DESC"}, "select": []any{"ID"}})
	if rows := ok(t, a).([]any); rows[0].(map[string]any)["ID"] != "10" {
		t.Fatalf("order desc: %v", rows[0])
	}
}

func TestSelect(t *testing.T) {
	p, srv := testPortal(t, Options{})
	ok(t, post(t, p, srv, "crm.lead.userfield.add", map[string]any{"fields": map[string]any{"FIELD_NAME": "B24D_TIER", "USER_TYPE_ID": "string"}}))
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "x", "UF_CRM_B24D_TIER": "gold",
		"PHONE": []any{map[string]any{"VALUE": "+7 900"}}}}))
	row := func(sel ...any) map[string]any {
		return ok(t, post(t, p, srv, "crm.lead.list", map[string]any{"select": sel})).([]any)[0].(map[string]any)
	}
	r := row("*")
	if _, has := r["UF_CRM_B24D_TIER"]; has {
		t.Error("* selected a user field")
	}
	if _, has := r["PHONE"]; has {
		t.Error("* selected a multifield")
	}
	if r["TITLE"] != "x" {
		t.Errorf("* row %v", r)
	}
	r = row("ID", "UF_*", "PHONE")
	if r["UF_CRM_B24D_TIER"] != "gold" || r["PHONE"] == nil || r["TITLE"] != nil {
		t.Errorf("UF_* row %v", r)
	}
}

func TestBatchShape(t *testing.T) {
	p, srv := testPortal(t, Options{})
	a := post(t, p, srv, "batch", map[string]any{"halt": 0, "cmd": map[string]any{
		"a":  "crm.lead.add?" + bitrix.EncodeQuery(map[string]any{"fields": map[string]any{"TITLE": "first"}}),
		"b":  "crm.lead.get?id=%24result%5Ba%5D",
		"c":  "crm.lead.list?filter[>ID]=0&start=-1",
		"d":  "crm.lead.get?id=999",
		"e":  "crm.lead.get?id=$result[d][ID]",
		"l2": "crm.lead.list?filter[>ID]=0",
	}})
	res := ok(t, a).(map[string]any)
	results := res["result"].(map[string]any)
	if results["a"] != json.Number("1") || results["b"].(map[string]any)["TITLE"] != "first" {
		t.Fatalf("results %v", results)
	}
	errs := res["result_error"].(map[string]any)
	if errs["d"].(map[string]any)["error_description"] != "Not found" {
		t.Fatalf("errors %v", errs)
	}
	if e := errs["e"].(map[string]any); e["error_description"] != "ID is not defined or invalid." {
		t.Fatalf("unresolved reference must pass literally: %v", e)
	}
	if res["result_total"].(map[string]any)["l2"] != json.Number("1") {
		t.Fatalf("result_total %v", res["result_total"])
	}
	if !strings.Contains(a.raw, `"result_next":[]`) {
		t.Fatalf("empty result_next must be []: %s", a.raw)
	}
	if _, has := res["result_time"].(map[string]any)["a"]; !has {
		t.Fatal("result_time")
	}
	// an all-success batch: result_error is []
	a = post(t, p, srv, "batch", map[string]any{"cmd": []any{"crm.lead.get?id=1", "scope"}})
	if !strings.Contains(a.raw, `"result_error":[]`) {
		t.Fatalf("empty result_error must be []: %s", a.raw)
	}
	if _, isList := ok(t, a).(map[string]any)["result"].([]any); !isList {
		t.Fatalf("array cmd must give an array result: %s", a.raw)
	}
	// halt stops at the first error
	a = post(t, p, srv, "batch", map[string]any{"halt": 1, "cmd": map[string]any{"x": "crm.lead.get?id=77", "y": "crm.lead.get?id=1"}})
	if strings.Contains(a.raw, `"y"`) {
		t.Fatalf("halt ran y: %s", a.raw)
	}
}

func TestBatchLimitsAndNesting(t *testing.T) {
	p, srv := testPortal(t, Options{})
	// Past 50 commands, each further one ends with ERROR_BATCH_LENGTH_EXCEEDED
	// and the first 50 run (settings/how-to-call-rest-api/batch.md).
	cmd := []any{}
	for i := range 52 {
		cmd = append(cmd, "crm.lead.add?fields[TITLE]=b"+fmt.Sprint(i))
	}
	before := p.LeadCount()
	res := ok(t, post(t, p, srv, "batch", map[string]any{"cmd": cmd})).(map[string]any)
	if n := len(res["result"].([]any)); n != 50 || p.LeadCount() != before+50 {
		t.Fatalf("%d results, %d leads added; want the first 50 run", n, p.LeadCount()-before)
	}
	errs, _ := res["result_error"].(map[string]any)
	for _, k := range []string{"50", "51"} {
		if e, _ := errs[k].(map[string]any); e == nil || e["error"] != "ERROR_BATCH_LENGTH_EXCEEDED" {
			t.Fatalf("command %s: %v, want ERROR_BATCH_LENGTH_EXCEEDED", k, errs[k])
		}
	}
	mustErr(t, post(t, p, srv, "batch", map[string]any{"cmd": map[string]any{"a": "batch?cmd[x]=scope"}}), 405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "")
}

func TestBatchChainedScan(t *testing.T) {
	p, srv := testPortal(t, Options{})
	p.SeedLeads(130, nil)
	cmd := map[string]any{}
	for i := range 3 {
		last := "0"
		if i > 0 {
			last = fmt.Sprintf("$result[cmd_%d][49][ID]", i-1)
		}
		cmd[fmt.Sprint("cmd_", i)] = "crm.lead.list?" + bitrix.EncodeQuery(map[string]any{
			"order": map[string]any{"ID": "ASC"}, "filter": map[string]any{">ID": last}, "select": []any{"ID"}, "start": -1})
	}
	res := ok(t, post(t, p, srv, "batch", map[string]any{"cmd": cmd})).(map[string]any)["result"].(map[string]any)
	var n int
	for i := range 3 {
		rows := res[fmt.Sprint("cmd_", i)].([]any)
		if i < 2 && rows[0].(map[string]any)["ID"] != fmt.Sprint(i*50+1) {
			t.Fatalf("chain %d starts at %v", i, rows[0])
		}
		n += len(rows)
	}
	if n != 130 {
		t.Fatalf("scanned %d", n)
	}
}

func TestLeakyBucket(t *testing.T) {
	p, srv := testPortal(t, Options{Rate: 2, Burst: 5})
	var limited int
	for range 8 {
		a := post(t, p, srv, "scope", nil)
		if a.status == 503 {
			mustErr(t, a, 503, "QUERY_LIMIT_EXCEEDED", "")
			limited++
		}
	}
	if limited < 2 {
		t.Fatalf("limited %d of 8 with burst 5", limited)
	}
}

func TestEventPostBody(t *testing.T) {
	got := make(chan url.Values, 4)
	hook := http.NewServeMux()
	hook.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		v, _ := url.ParseQuery(string(b))
		got <- v
	})
	hs := httpServer(t, hook)
	p, srv := testPortal(t, Options{EventDelay: time.Millisecond, AppToken: "tok123"})
	p.AddOutgoingWebhook(hs+"/hook", "ONCRMLEADADD", "ONCRMLEADUPDATE")
	ok(t, post(t, p, srv, "crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "x"}}))
	select {
	case v := <-got:
		want := map[string]string{"event": "ONCRMLEADADD", "data[FIELDS][ID]": "1", "auth[application_token]": "tok123",
			"auth[domain]": "b24desk-sim.bitrix24.ru", "auth[client_endpoint]": "https://b24desk-sim.bitrix24.ru/rest/",
			"ts": fmt.Sprint(time.Date(2026, 5, 14, 10, 26, 32, 0, time.UTC).Unix())}
		for k, w := range want {
			if v.Get(k) != w {
				t.Errorf("%s = %q, want %q", k, v.Get(k), w)
			}
		}
		if v.Get("event_handler_id") == "" || v.Get("auth[member_id]") == "" {
			t.Errorf("missing keys: %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}
