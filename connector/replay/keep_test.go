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
	b, err := replay.Keep(r, in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := replay.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
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
