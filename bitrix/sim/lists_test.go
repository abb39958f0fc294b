package sim

import (
	"encoding/json"
	"strconv"
	"testing"
)

// TestListsPagedBy50: crm.lead.userfield.list and crm.status.list answer
// one page of at most 50 rows with next/total, and start reads the next
// page (api-reference/crm/leads/userfield/crm-lead-userfield-list.md and
// api-reference/crm/status/crm-status-list.md: "returns a single page (max
// 50 records)").
func TestListsPagedBy50(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	for i := range 60 {
		ok(t, post(t, p, srv, "crm.lead.userfield.add", map[string]any{"fields": map[string]any{
			"FIELD_NAME": "F" + strconv.Itoa(i), "USER_TYPE_ID": "string"}}))
		ok(t, post(t, p, srv, "crm.status.add", map[string]any{"fields": map[string]any{
			"ENTITY_ID": "SOURCE", "STATUS_ID": "S" + strconv.Itoa(i), "NAME": "s"}}))
	}
	for _, tt := range []struct {
		method string
		params map[string]any
	}{
		{"crm.lead.userfield.list", map[string]any{"order": map[string]any{"ID": "ASC"}}},
		{"crm.status.list", map[string]any{"filter": map[string]any{"ENTITY_ID": "SOURCE"}}},
	} {
		t.Run(tt.method, func(t *testing.T) {
			first := post(t, p, srv, tt.method, tt.params)
			rows := ok(t, first).([]any)
			total, _ := first.body["total"].(json.Number).Int64()
			if len(rows) != 50 || first.body["next"] != json.Number("50") || total <= 50 {
				t.Fatalf("page 1: %d rows, next %v, total %v", len(rows), first.body["next"], first.body["total"])
			}
			tt.params["start"] = 50
			second := post(t, p, srv, tt.method, tt.params)
			rest := ok(t, second).([]any)
			if int64(len(rest)) != total-50 || second.body["next"] != nil {
				t.Fatalf("page 2: %d rows of %d, next %v", len(rest), total, second.body["next"])
			}
		})
	}
}

// TestTemplateListAsDocs: bizproc.workflow.template.list as
// api-reference/bizproc/template/bizproc-workflow-template-list.md shows
// it: FILTER on MODULE_ID, ENTITY and DOCUMENT_TYPE as plain values,
// DOCUMENT_TYPE back as a string ("LEAD"), SELECT choosing the fields,
// pages of 50 with start. The docs do not say what an array filter value
// means for these fields: the simulator takes the stricter reading, it
// matches no template.
func TestTemplateListAsDocs(t *testing.T) {
	p, srv := testPortal(t, Options{})
	p.SetAdmin(true)
	for i := range 55 {
		p.AddTemplate(Template{Name: "lead " + strconv.Itoa(i), AutoExecute: i % 4})
	}
	p.AddTemplate(Template{Name: "deal", Entity: "CCrmDocumentDeal", Type: "DEAL"})
	lead := map[string]any{"MODULE_ID": "crm", "ENTITY": "CCrmDocumentLead", "DOCUMENT_TYPE": "LEAD"}
	a := post(t, p, srv, "bizproc.workflow.template.list", map[string]any{
		"SELECT": []string{"ID", "NAME", "AUTO_EXECUTE", "DOCUMENT_TYPE"}, "FILTER": lead})
	rows := ok(t, a).([]any)
	if len(rows) != 50 || a.body["next"] != json.Number("50") || a.body["total"] != json.Number("55") {
		t.Fatalf("page 1: %d rows, next %v, total %v", len(rows), a.body["next"], a.body["total"])
	}
	r := rows[1].(map[string]any)
	if r["DOCUMENT_TYPE"] != "LEAD" || r["AUTO_EXECUTE"] != "1" || r["NAME"] != "lead 1" || r["ENTITY"] != nil {
		t.Fatalf("row %v: want DOCUMENT_TYPE as a string and only the selected fields", r)
	}
	a = post(t, p, srv, "bizproc.workflow.template.list", map[string]any{"FILTER": lead, "start": 50})
	if rows := ok(t, a).([]any); len(rows) != 5 || a.body["next"] != nil {
		t.Fatalf("page 2: %d rows, next %v", len(rows), a.body["next"])
	} else if r := rows[0].(map[string]any); len(r) != 1 || r["ID"] == nil {
		t.Fatalf("without SELECT only ID: %v", r)
	}
	a = post(t, p, srv, "bizproc.workflow.template.list", map[string]any{
		"FILTER": map[string]any{"DOCUMENT_TYPE": []string{"crm", "CCrmDocumentLead", "LEAD"}}})
	if rows := ok(t, a).([]any); len(rows) != 0 {
		t.Fatalf("array DOCUMENT_TYPE filter matched %d templates", len(rows))
	}
	a = post(t, p, srv, "bizproc.workflow.template.list", map[string]any{"FILTER": map[string]any{"DOCUMENT_TYPE": "DEAL"}})
	if rows := ok(t, a).([]any); len(rows) != 1 {
		t.Fatalf("DEAL templates: %v", rows)
	}
}
