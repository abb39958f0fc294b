package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestDemo runs the whole demo in this process and checks its closing
// table: every type, the escalations, the answered, waiting, reclassified
// and closed tickets, and the counts.
func TestDemo(t *testing.T) {
	var stdout bytes.Buffer
	err := Run(context.Background(), Options{Out: &stdout, Log: zerolog.Nop()})
	out := stdout.String()
	if err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s", err, out)
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
	for _, w := range []string{"no ticket (auto-reply", "straight in JUNK: spam filter 15.0 / 5.0 (a stand-in filter",
		"customer replied", "marks the to-do of #1 done",
		"a new to-do for Борис Кузнецов due 17:30 on #1", "reclassifies", "portal calls: ", "notifications: 6",
		"customer rates the answer to #2 «Недостаточно полно»", "notification to Борис Кузнецов: Низкая оценка ответа по обращению #2",
		"| 2. Недостаточно полно: http://", "SLA report, tickets opened [2026-03-10, 2026-03-12) by type",
		"Недостаточно полно         1  100%", "Backlog now: 5 open", "SLA report page: http://",
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
