package replay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/rules"
)

// TestKeepCutsToWhatRulesRead keeps only what conditions read: the body
// cut to limits.body_bytes without splitting a character, the classification
// headers and not the others; the round trip gives the same decisions.
func TestKeepCutsToWhatRulesRead(t *testing.T) {
	r, _, err := rules.Parse("rules.yaml", []byte(`version: 1
limits: {body_bytes: 10}
types: [{code: TECH, name: Tech, level: L1}, {code: OUT, name: Outage, level: L2}]
classify:
  - {name: urgent, when: {header: {X-Priority: '^1'}}, set: {priority: high}, continue: true}
  - {name: outage, when: {body: 'упал'}, set: {type: OUT}}
  - {name: default, set: {type: TECH, priority: normal}}
`), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	in := rules.Input{From: "ann@example.ru", Subject: "Портал", Body: "сайт упал совсем, помогите",
		Headers:     map[string][]string{"X-Priority": {"1 (Highest)"}, "Received": {"from mx by mx"}, "Dkim-Signature": {"v=1"}},
		Attachments: []rules.Attachment{{Name: "a.png", ContentType: "image/png", Size: 3}}, Size: 900}
	b, back := keepAndDecode(t, r, in)
	if back.Body != "сайт " || strings.Contains(string(b), "помогите") {
		t.Errorf("body kept %q, want the first 10 bytes whole (%s)", back.Body, b)
	}
	if strings.Contains(string(b), "Received") || strings.Contains(string(b), "Dkim") || back.Headers["X-Priority"][0] != "1 (Highest)" {
		t.Errorf("headers kept: %v", back.Headers)
	}
	if back.From != in.From || back.Subject != in.Subject || back.Size != 900 || len(back.Attachments) != 1 {
		t.Errorf("kept %+v", back)
	}
	if a, b := r.Classify(&in), r.Classify(&back); a.Type != b.Type || a.Priority != b.Priority || a.Type != "TECH" || a.Priority != "high" {
		t.Errorf("classified %s/%s from the mail, %s/%s from what was kept", a.Type, a.Priority, b.Type, b.Priority)
	}
	if _, err := replay.Decode([]byte(`{"v":9}`)); err == nil {
		t.Error("unknown version decoded")
	}
	if ins, bad := replay.DecodeAll(map[int64][]byte{1: b, 2: []byte("{")}); bad != 1 || len(ins) != 1 {
		t.Errorf("DecodeAll: %d inputs, %d bad", len(ins), bad)
	}
}

// TestKeepAdoptedLead keeps of a lead adopted from an intake source what
// it was classified by besides title, comments and e-mail: its other
// fields (lead conditions) and the ticket fields it came with, but not its
// contact fields; the round trip gives the same decision.
func TestKeepAdoptedLead(t *testing.T) {
	r, _, err := rules.Parse("rules.yaml", []byte(`version: 1
types: [{code: TECH, name: Tech, level: L1}, {code: SITE, name: Site, level: L1}]
classify:
  - {name: site form, when: {lead: {UF_CRM_FORM: site}}, set: {type: SITE}}
  - {name: default, set: {type: TECH, priority: normal}}
`), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	in := rules.Input{From: "ann@example.ru", Subject: "Форма", Body: "Не работает",
		Lead: map[string]string{"SOURCE_ID": "WEBFORM", "UF_CRM_FORM": "site", "TITLE": "Форма", "COMMENTS": "Не работает",
			"PHONE": `[{"VALUE":"+7 900 000-00-00"}]`, "EMAIL": `[{"VALUE":"ann@example.ru"}]`, "NAME": ""},
		Ticket: rules.Ticket{Priority: "high", Assignee: "7"}}
	b, back := keepAndDecode(t, r, in)
	for _, gone := range []string{"+7 900", "TITLE", "COMMENTS", "EMAIL", "NAME"} {
		if strings.Contains(string(b), gone) {
			t.Errorf("kept %q: %s", gone, b)
		}
	}
	if back.Lead["UF_CRM_FORM"] != "site" || back.Lead["SOURCE_ID"] != "WEBFORM" || back.Ticket != in.Ticket {
		t.Errorf("kept lead %v ticket %+v", back.Lead, back.Ticket)
	}
	if a, b := r.Classify(&in), r.Classify(&back); a.Type != b.Type || a.Priority != b.Priority || a.Type != "SITE" || a.Priority != "high" {
		t.Errorf("classified %+v from the lead, %+v from what was kept", a, b)
	}
}

// keepAndDecode keeps in and decodes what was kept.
func keepAndDecode(t *testing.T, r *rules.Rules, in rules.Input) ([]byte, rules.Input) {
	t.Helper()
	b, err := replay.Keep(r, in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := replay.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, back
}
