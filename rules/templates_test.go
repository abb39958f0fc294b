package rules

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTemplatesParseAndRender(t *testing.T) {
	r := parseOK(t, minimal+`templates:
  - name: faq-password
    subject: "Сброс пароля {{ tag }}"
    text: |
      Здравствуйте, {{customer}}!
      По обращению {{ticket}} ({{type}}) ответим {{due}}.
      {{staff}}, {{team}}
  - name: ack
    text: Получили ваше письмо «{{subject}}».
`)
	if got := r.TemplateNames(); strings.Join(got, ",") != "faq-password,ack" {
		t.Fatalf("names = %v", got)
	}
	tpl, ok := r.TemplateByName("faq-password")
	if !ok {
		t.Fatal("template not found")
	}
	subject, text := tpl.Render(map[string]string{
		VarTag: "[#7]", VarCustomer: "Анна", VarTicket: "7", VarType: "Вопрос",
		VarDue: "до 15:00 вторника, 10 марта", VarStaff: "Иван", VarTeam: "Поддержка",
	})
	if subject != "Сброс пароля [#7]" {
		t.Errorf("subject = %q", subject)
	}
	want := "Здравствуйте, Анна!\nПо обращению 7 (Вопрос) ответим до 15:00 вторника, 10 марта.\nИван, Поддержка\n"
	if text != want {
		t.Errorf("text = %q, want %q", text, want)
	}
	if _, ok := r.TemplateByName("missing"); ok {
		t.Error("a missing template was found")
	}
}

func TestTemplateProblems(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // "line:col: message part"
	}{
		{"unknown variable in plain text", `templates:
  - name: a
    text: Hello {{nme}}
`, []string{"6:17: templates[0].text: unknown variable {{nme}}"}},
		{"unknown variable in a block", `templates:
  - name: a
    text: |
      Line one
      Dear {{ client }},
`, []string{"8:12: templates[0].text: unknown variable {{client}}"}},
		{"unknown variable in a quoted subject", `templates:
  - name: a
    subject: "Re: {{tiket}}"
    text: x
`, []string{"6:19: templates[0].subject: unknown variable {{tiket}}"}},
		{"unclosed", `templates:
  - name: a
    text: "Hi {{customer"
`, []string{`6:15: templates[0].text: "{{" is not closed`}},
		{"the issue's broken subject", `templates:
  - name: a
    subject: "{{tag …"
    text: x
`, []string{`6:15: templates[0].subject: "{{" is not closed`}},
		{"stray closing braces", `templates:
  - name: a
    subject: "{{tag}}}} ok"
    text: |
      Hi }} there {{customer}}
`, []string{`6:22: templates[0].subject: "}}" without an opening "{{"`, `8:10: templates[0].text: "}}" without an opening "{{"`}},
		{"duplicate and spaced names, missing text", `templates:
  - name: a
    text: x
  - name: a
    text: y
  - name: "b c"
`, []string{"7:11: templates[1].name: duplicate template name", "9:11: templates[2].name: name \"b c\" must not contain spaces", "9:5: templates[2]: missing key \"text\""}},
		{"unknown key", `templates:
  - name: a
    text: x
    body: y
`, []string{"7:5: templates[0].body: unknown key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse("t.yaml", []byte(minimal+tc.src), time.Time{})
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("want problems, got %v", err)
			}
			all := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(all, "t.yaml:"+w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
			if len(probs) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(probs), len(tc.want), all)
			}
		})
	}
}

// FuzzTemplateText checks that any template text either loads or is
// reported with a position inside the file, and never panics.
func FuzzTemplateText(f *testing.F) {
	for _, s := range []string{"Hi {{customer}}", "{{", "}}{{", "{{ due }} {{x", "Привет, {{staff}}!\n{{team}}", "{{{{tag}}}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		src := minimal + "templates:\n  - name: a\n    text: " + strconv.Quote(text) + "\n"
		r, _, err := Parse("f.yaml", []byte(src), time.Time{})
		var probs Problems
		if err != nil {
			if !errors.As(err, &probs) {
				t.Fatalf("not Problems: %v", err)
			}
			lines := strings.Count(src, "\n") + 1
			for _, p := range probs {
				if p.Line < 1 || p.Line > lines || p.Col < 1 {
					t.Fatalf("position %d:%d outside the file: %v", p.Line, p.Col, p)
				}
			}
			return
		}
		if tpl, ok := r.TemplateByName("a"); ok {
			_, _ = tpl.Render(map[string]string{VarCustomer: "x"})
		}
	})
}
