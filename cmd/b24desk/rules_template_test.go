package main

import (
	"strings"
	"testing"
)

func TestRulesTestTemplate(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"samples", []string{"test", "../../config/rules.example.yaml", "--template", "need-details"}, exitOK,
			[]string{"subject: Re: [#12345] Не открывается карта", "Здравствуйте, Анна Петрова!", "обращением 12345"}},
		{"from a mail with its due time", []string{"test", "../../config/rules.example.yaml", "--template", "ack",
			"--mail", "testdata/rules/outage.eml", "--at", "2026-03-10T11:00:00+03:00"}, exitOK,
			[]string{"subject: [#12345] Обращение зарегистрировано:", "Мы ответим до "}},
		{"unknown template", []string{"test", "../../config/rules.example.yaml", "--template", "nope"}, exitUsage, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runRules(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			if strings.Contains(out, "{{") {
				t.Errorf("unfilled variable:\n%s", out)
			}
		})
	}
}
