package rules

import (
	"strings"
	"testing"
)

// condRules parses a file with one classify rule using the condition.
func condRules(t *testing.T, when string) *Rules {
	t.Helper()
	src := minimal + "tiers: [{name: gold}, {name: silver}]\nroute: []\n" +
		"calendars: {}\n" // keep sections present
	src = strings.Replace(src, "classify: [{set: {type: T}}]", "classify:\n  - name: x\n    when: "+when+"\n    set: {type: U}\n  - set: {type: T}", 1)
	return parseOK(t, src)
}

func sampleInput() *Input {
	return &Input{
		Mailbox:     "support",
		From:        "Ivan.Petrov@Sub.BigClient.ru",
		FromName:    "Иван Петров",
		To:          []string{"support@portal.ru", "help@portal.ru"},
		Cc:          []string{"boss@bigclient.ru"},
		Subject:     "Не работает КАРТА на сайте",
		Body:        "Здравствуйте! Метка на карте стоит не там.\nС уважением",
		Headers:     map[string][]string{"X-Priority": {"1 (Highest)"}, "X-Mailer": {"Outlook"}},
		Attachments: []Attachment{{Name: "скрин.png", ContentType: "image/png", Size: 2048}},
		Size:        150 << 10,
		Lead:        map[string]string{"UF_CRM_B24D_CATEGORY": "billing", "STATUS_ID": "NEW"},
		Ticket:      Ticket{Type: "", Priority: "high", Tier: "gold", Status: "NEW", Assignee: "11"},
	}
}

func TestConditions(t *testing.T) {
	tests := []struct {
		name string
		when string
		want bool
	}{
		{"subject regex", `{subject: '(?i)карт'}`, true},
		{"subject regex case-sensitive miss", `{subject: 'карт'}`, false},
		{"subject regex list any", `{subject: ['^Re:', 'сайте$']}`, true},
		{"subject contains folds case", `{subject: {contains: 'карта'}}`, true},
		{"subject contains miss", `{subject: {contains: 'оплата'}}`, false},
		{"subject equals", `{subject: {equals: 'не работает карта на сайте'}}`, true},
		{"body regex", `{body: 'на карте'}`, true},
		{"body contains", `{body: {contains: 'МЕТКА'}}`, true},
		{"from equals folds case", `{from: ivan.petrov@sub.bigclient.ru}`, true},
		{"from in list", `{from: [a@b.ru, ivan.petrov@sub.bigclient.ru]}`, true},
		{"from regex", `{from: {regex: '(?i)@sub\.'}}`, true},
		{"from_name", `{from_name: 'Иван'}`, true},
		{"from_domain exact parent", `{from_domain: bigclient.ru}`, true},
		{"from_domain with @", `{from_domain: '@bigclient.ru'}`, true},
		{"from_domain no partial label", `{from_domain: client.ru}`, false},
		{"from_domain list", `{from_domain: [other.ru, sub.bigclient.ru]}`, true},
		{"to any recipient", `{to: help@portal.ru}`, true},
		{"to miss", `{to: boss@bigclient.ru}`, false},
		{"cc", `{cc: {domain: bigclient.ru}}`, true},
		{"header regex", `{header: {x-priority: '^1'}}`, true},
		{"header missing", `{header: {X-Spam-Flag: 'YES'}}`, false},
		{"two headers all", `{header: {X-Priority: '^1', X-Mailer: 'Thunderbird'}}`, false},
		{"has attachment", `{has_attachment: true}`, true},
		{"has no attachment", `{has_attachment: false}`, false},
		{"size over", `{size: '>100KB'}`, true},
		{"size under", `{size: '<= 100KB'}`, false},
		{"mailbox", `{mailbox: SUPPORT}`, true},
		{"priority", `{priority: [high, critical]}`, true},
		{"tier", `{tier: silver}`, false},
		{"status", `{status: NEW}`, true},
		{"assignee", `{assignee: ['11', '12']}`, true},
		{"UF_CRM field", `{UF_CRM_B24D_CATEGORY: billing}`, true},
		{"lead field", `{lead: {STATUS_ID: {in: [NEW, IN_PROCESS]}}}`, true},
		{"type empty", `{type: T}`, false},
		{"not", `{not: {subject: 'оплат'}}`, true},
		{"not negates", `{not: {subject: '(?i)карт'}}`, false},
		{"keys are all: one fails", `{subject: '(?i)карт', from_domain: other.ru}`, false},
		{"keys are all: both hold", `{subject: '(?i)карт', from_domain: bigclient.ru}`, true},
		{"any", `{any: [{subject: 'оплат'}, {body: 'Метка'}]}`, true},
		{"any none", `{any: [{subject: 'оплат'}, {body: 'счёт'}]}`, false},
		{"all", `{all: [{subject: '(?i)карт'}, {has_attachment: true}]}`, true},
		{"nested", `{any: [{all: [{tier: gold}, {not: {priority: low}}]}, {subject: x}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := condRules(t, tt.when)
			c := r.Classify(sampleInput())
			got := c.Type == "U"
			if got != tt.want {
				t.Fatalf("when %s: matched=%v, want %v (rules %v)", tt.when, got, tt.want, c.Rules)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	src := strings.Replace(minimal, "classify: [{set: {type: T}}]",
		"limits: {body_bytes: 16}\nclassify:\n  - {when: {body: 'хвост'}, set: {type: U}}\n  - set: {type: T}", 1)
	r := parseOK(t, src)
	in := &Input{Body: "ааааааааааааааааааа хвост"}
	if got := r.Classify(in).Type; got != "T" {
		t.Fatalf("body beyond the limit was read: type %s", got)
	}
	in.Body = "хвост ааааааааааааааааааа"
	if got := r.Classify(in).Type; got != "U" {
		t.Fatalf("body within the limit not read: type %s", got)
	}
	if s := truncateUTF8("яяя", 3); s != "я" {
		t.Fatalf("truncate split a rune: %q", s)
	}
}
