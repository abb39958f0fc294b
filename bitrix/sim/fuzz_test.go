package sim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/clock"
)

// FuzzServe sends garbage requests: the portal must answer every one with
// JSON (or the documented HTML fault pages, which are off here) and never panic.
func FuzzServe(f *testing.F) {
	seeds := []struct{ path, ctype, body string }{
		{"crm.lead.add", "application/json", `{"fields":{"TITLE":"x","EMAIL":[{"VALUE":"a@b.c"}]}}`},
		{"crm.lead.list", "application/json", `{"filter":{">ID":"5","@ID":[1,2]},"order":{"ID":"DESC"},"select":["*","UF_*"],"start":-1}`},
		{"batch", "application/json", `{"halt":1,"cmd":{"a":"crm.lead.add?fields[TITLE]=x","b":"crm.lead.get?id=$result[a]"}}`},
		{"batch", "application/x-www-form-urlencoded", `cmd[a]=crm.lead.list%3Ffilter%5B%3EID%5D%3D0&cmd[b]=crm.lead.get%3Fid%3D%24result%5Ba%5D%5B0%5D%5BID%5D`},
		{"crm.lead.update", "application/json", `{"id":"1","fields":{"EMAIL":{"ID":"1","DELETE":"Y"},"UF_CRM_X":{"fileData":["a","=="]}}}`},
		{"crm.item.update", "application/json", `{"entityTypeId":1,"id":1,"fields":{"ufCrmB24dFiles":[{"id":1},["n","YQ=="]]}}`},
		{"crm.lead.get", "application/json", `{"id":`},
		{"crm.lead.get", "text/html", `<html>`},
		{"crm.status.add", "application/json", `{"fields":[1,2,3]}`},
		{"crm.lead.userfield.add", "application/json", `{"fields":{"FIELD_NAME":"E","USER_TYPE_ID":"enumeration","LIST":[{"VALUE":"a"}]}}`},
		{"bizproc.workflow.start", "application/json", `{"TEMPLATE_ID":"1","DOCUMENT_ID":"LEAD_1"}`},
		{"crm.timeline.comment.add", "application/json", `{"fields":{"ENTITY_ID":1,"ENTITY_TYPE":"lead","COMMENT":"x","FILES":[["a","YQ=="]]}}`},
		{"crm.activity.todo.add", "application/json", `{"ownerTypeId":1,"ownerId":1,"deadline":"2026-01-01T00:00:00+03:00"}`},
		{"im.notify", "application/x-www-form-urlencoded", `to=1&message=x&tag=t`},
		{"user.get", "application/json", `{"FILTER":{"ACTIVE":true,"UF_DEPARTMENT":[1]}}`},
		{"crm.duplicate.findbycomm", "application/json", `{"type":"EMAIL","values":["a@b.c"]}`},
		{"../x/y/z", "application/json", `null`},
	}
	for _, s := range seeds {
		f.Add(s.path, s.ctype, s.body)
	}
	f.Fuzz(func(t *testing.T, path, ctype, body string) {
		p := New(Options{Clock: clock.NewManual(time.Unix(1778747192, 0)), NoLimits: true})
		defer p.Close()
		p.SeedLeads(2, func(i int) map[string]any {
			return map[string]any{"TITLE": "t", "EMAIL": []any{map[string]any{"VALUE": "a@b.c"}}}
		})
		p.AddTemplate(Template{Name: "t", AutoExecute: 3})
		for _, prefix := range []string{"/rest/1/" + DefaultWebhookSecret + "/", "/rest/"} {
			req := httptest.NewRequest(http.MethodPost, "http://sim"+prefix, strings.NewReader(body))
			req.URL.Path = prefix + path
			req.Header.Set("Content-Type", ctype)
			w := httptest.NewRecorder()
			p.ServeHTTP(w, req)
			if ct := w.Header().Get("Content-Type"); w.Code != http.StatusNotFound && !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("%s: status %d content type %q", path, w.Code, ct)
			}
		}
	})
}
