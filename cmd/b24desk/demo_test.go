package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDemo runs the whole demo in this process and checks its closing
// table: every type, the escalations, the answered, waiting, reclassified
// and closed tickets, and the counts.
func TestDemo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := cmdDemo(context.Background(), nil, &stdout, &stderr)
	out := stdout.String()
	if code != exitOK {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	table := out[strings.Index(out, "\nTickets at"):]
	row := func(typ string, also ...string) string {
		for _, l := range strings.Split(table, "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[1] == typ && (len(also) == 0 || strings.Contains(l, also[0])) {
				return l
			}
		}
		t.Fatalf("no %s row in the table:\n%s", typ, table)
		return ""
	}
	checks := []struct {
		typ  string
		want []string
	}{
		{"B24D_MAP", []string{"met 10:15", "L1", "active licence"}},
		{"B24D_PROFANITY", []string{"closed (JUNK)"}},
		{"B24D_OFFTOPIC", []string{"prospect", "(NEW)"}},
		{"B24D_TECH", []string{"limited licence  met 10:30", "(IN_PROCESS)"}},
		{"B24D_INCIDENT", []string{"L2", "Дмитрий Волков", "breached", "2: first_response 80%, first_response 100%"}},
		{"B24D_TECH", []string{"enterprise", "breached", "2: first_response 80%, first_response 100%"}},
	}
	for _, c := range checks {
		l := row(c.typ, c.want[0])
		for _, w := range c.want {
			if !strings.Contains(l, w) {
				t.Errorf("%s row lacks %q:\n%s", c.typ, w, l)
			}
		}
	}
	// The canned answer «resolved» left through the reply field: the staff
	// line first, then the rendered template, received by the SMTP server.
	for _, w := range []string{"no ticket (auto-reply", "customer replied", "reclassifies", "portal calls: ", "notifications: 5",
		`mail sent to p.sidorov@small-client.ru: "Re: [#2] Не загружаются фотографии в объявление"`,
		"| Ограничение — 10 МБ на файл", "| Здравствуйте, Пётр Сидоров!", "| Считаем обращение 2 решённым.",
		"mails sent: 1 (the answer to #2)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(table, "B24D_OUTAGE") {
		t.Errorf("the outage was not reclassified:\n%s", table)
	}
}

func TestDemoHelp(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		code       int
		wantStdout bool // the usage on stdout (else on stderr)
		wantErr    string
	}{
		{"help", []string{"--help"}, exitOK, true, ""},
		{"short help", []string{"-h"}, exitOK, true, ""},
		{"bad flag", []string{"--nope"}, exitUsage, false, "flag provided but not defined: -nope"},
		{"argument", []string{"extra"}, exitUsage, false, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cmdDemo(context.Background(), c.args, &stdout, &stderr)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout.String(), stderr.String())
			}
			with, without := stdout.String(), stderr.String()
			if !c.wantStdout {
				with, without = without, with
			}
			if n := strings.Count(with, "Usage: b24desk demo"); n != 1 {
				t.Errorf("usage printed %d times, want once:\n%s", n, with)
			}
			if !strings.Contains(with, "Example") {
				t.Errorf("usage lacks its example:\n%s", with)
			}
			if without != "" {
				t.Errorf("unexpected output on the other stream:\n%s", without)
			}
			if !strings.Contains(stderr.String(), c.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", c.wantErr, stderr.String())
			}
		})
	}
}
