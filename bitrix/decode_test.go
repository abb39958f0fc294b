package bitrix

import (
	"encoding/json"
	"testing"
	"time"
)

func TestFlexInt(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{`5`, 5, false}, {`"5"`, 5, false}, {`" 7 "`, 7, false}, {`""`, 0, false}, {`null`, 0, false},
		{`5.0`, 5, false}, {`"-3"`, -3, false}, {`5.5`, 0, true}, {`"abc"`, 0, true}, {`{}`, 0, true}, {`[]`, 0, true},
		{`1e400`, 0, true},
	}
	for _, tt := range tests {
		var f FlexInt
		err := json.Unmarshal([]byte(tt.in), &f)
		if (err != nil) != tt.wantErr || (!tt.wantErr && int64(f) != tt.want) {
			t.Errorf("FlexInt(%s) = %d, %v", tt.in, f, err)
		}
	}
}

func TestFlexBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{`"Y"`, true, false}, {`"N"`, false, false}, {`true`, true, false}, {`false`, false, false},
		{`"1"`, true, false}, {`0`, false, false}, {`1`, true, false}, {`""`, false, false}, {`null`, false, false},
		{`"y"`, true, false}, {`"maybe"`, false, true}, {`{}`, false, true},
	}
	for _, tt := range tests {
		var f FlexBool
		err := json.Unmarshal([]byte(tt.in), &f)
		if (err != nil) != tt.wantErr || bool(f) != tt.want {
			t.Errorf("FlexBool(%s) = %v, %v", tt.in, f, err)
		}
	}
}

func TestFlexTime(t *testing.T) {
	msk := time.FixedZone("", 3*3600)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{`"2026-05-14T10:26:32+03:00"`, time.Date(2026, 5, 14, 10, 26, 32, 0, msk), false},
		{`"2026-05-14T10:26:32+0300"`, time.Date(2026, 5, 14, 10, 26, 32, 0, msk), false},
		{`"2026-05-14"`, time.Date(2026, 5, 14, 0, 0, 0, 0, time.UTC), false},
		{`""`, time.Time{}, false}, {`null`, time.Time{}, false},
		{`"yesterday"`, time.Time{}, true}, {`5`, time.Time{}, true},
	}
	for _, tt := range tests {
		var f FlexTime
		err := json.Unmarshal([]byte(tt.in), &f)
		if (err != nil) != tt.wantErr || !f.Equal(tt.want) {
			t.Errorf("FlexTime(%s) = %v, %v", tt.in, f.Time, err)
		}
	}
	out, _ := json.Marshal(FlexTime{})
	if string(out) != `""` {
		t.Errorf("zero FlexTime marshals as %s", out)
	}
}

func TestFlexMap(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		wantErr bool
	}{
		{`[]`, 0, false}, {`{}`, 0, false}, {`{"a":1}`, 1, false}, {`[1,2]`, 2, false}, {`null`, 0, false},
		{`"x"`, 0, true}, {`5`, 0, true},
	}
	for _, tt := range tests {
		var f FlexMap
		err := json.Unmarshal([]byte(tt.in), &f)
		if (err != nil) != tt.wantErr || len(f) != tt.n {
			t.Errorf("FlexMap(%s) = %v, %v", tt.in, f, err)
		}
	}
}

func TestLeadDecodesLooseTypes(t *testing.T) {
	row := `{"ID":"5","TITLE":"Нет доступа","STATUS_ID":"NEW","SOURCE_ID":"B24D_TECH","ASSIGNED_BY_ID":7,
		"OPENED":"Y","ORIGINATOR_ID":"b24desk","ORIGIN_ID":"<m1@x>","DATE_CREATE":"2026-05-14T10:26:32+03:00",
		"DATE_MODIFY":"","UF_CRM_B24D_TIER":"enterprise","COMMENTS":null,
		"EMAIL":[{"ID":"11658","VALUE_TYPE":"WORK","VALUE":"a@b.c","TYPE_ID":"EMAIL"}]}`
	var l Lead
	if err := json.Unmarshal([]byte(row), &l); err != nil {
		t.Fatal(err)
	}
	if l.ID != 5 || l.AssignedByID != 7 || !l.Opened || l.SourceID != "B24D_TECH" || l.OriginID != "<m1@x>" ||
		l.DateCreate.IsZero() || !l.DateModify.IsZero() || len(l.Emails) != 1 || l.Emails[0].ID != 11658 ||
		string(l.Fields["UF_CRM_B24D_TIER"]) != `"enterprise"` {
		t.Errorf("lead = %+v", l)
	}
	// One odd field does not lose the others.
	var odd Lead
	if err := json.Unmarshal([]byte(`{"ID":"9","OPENED":"perhaps","TITLE":"t","EMAIL":[]}`), &odd); err != nil {
		t.Fatal(err)
	}
	if odd.ID != 9 || odd.Title != "t" || odd.Opened {
		t.Errorf("odd lead = %+v", odd)
	}
}

func FuzzDecoders(f *testing.F) {
	for _, s := range []string{`"5"`, `5`, `""`, `null`, `"Y"`, `[]`, `{"a":1}`, `"2026-05-14T10:26:32+03:00"`,
		`{"ID":"5","EMAIL":[{"ID":"1","VALUE":"a@b.c"}]}`, `{"result":1,"time":{"operating":"x"}}`, `<html>`, `{"result":`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var i FlexInt
		var s FlexString
		var b FlexBool
		var tm FlexTime
		var m FlexMap
		var l Lead
		var fi map[string]FieldInfo
		var sec batchSection
		_ = json.Unmarshal(data, &i)
		_ = json.Unmarshal(data, &s)
		_ = json.Unmarshal(data, &b)
		_ = json.Unmarshal(data, &tm)
		_ = json.Unmarshal(data, &m)
		_ = json.Unmarshal(data, &l)
		_ = json.Unmarshal(data, &fi)
		_ = json.Unmarshal(data, &sec)
		_ = parseTime(data)
		var env envelope
		if json.Unmarshal(data, &env) == nil {
			_ = env.response()
		}
		c := &Client{secrets: &redactor{}}
		_, _ = c.decode("x", 200, "application/json", data, 0)
		_ = batchError("x", data, c.secrets)
	})
}

// TestWorkflowTemplateDocumentType: DOCUMENT_TYPE is a string in the docs
// (api-reference/bizproc/template/bizproc-workflow-template-list.md) and
// a three-element array on some portals; both read as the type.
func TestWorkflowTemplateDocumentType(t *testing.T) {
	for _, raw := range []string{
		`{"ID":"3","AUTO_EXECUTE":"1","DOCUMENT_TYPE":"LEAD"}`,
		`{"ID":3,"AUTO_EXECUTE":1,"DOCUMENT_TYPE":["crm","CCrmDocumentLead","LEAD"]}`,
	} {
		var tpl WorkflowTemplate
		if err := json.Unmarshal([]byte(raw), &tpl); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if tpl.DocumentType != "LEAD" || tpl.ID != 3 || !tpl.StartsOnCreate() {
			t.Errorf("%s → %+v", raw, tpl)
		}
	}
	var tpl WorkflowTemplate
	if err := json.Unmarshal([]byte(`{"DOCUMENT_TYPE":{"a":1}}`), &tpl); err == nil {
		t.Error("an object DOCUMENT_TYPE decoded")
	}
}
