package replay_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/rules"
)

var msk = time.FixedZone("MSK", 3*3600)

// at is a time in Moscow in November 2026: 3 November is a shortened day
// (10:00-18:00), 4 November a holiday.
func at(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, msk) }

var (
	periodFrom = at(2, 0, 0)
	periodTo   = at(14, 0, 0)
	replayNow  = at(20, 12, 0)
)

// fixture is two weeks of tickets around the 4 November holiday: every
// tier, most types, answers on both sides of their deadlines, a wait for
// the customer, customers' replies, a reopening, a staff reassignment, a
// ticket still open and one that did not come by mail.
func fixture(l *life) {
	ent, par, act, lim := "ann@enterprise-client.ru", "bob@partner-integrator.ru", "cat@client.ru", "dan@small-client.ru"
	// enterprise: first response 2h, resolution 3wd
	l.mail(101, at(2, 10, 15), ent, "Вопрос по API", "Как получить токен?")
	l.answer(101, at(2, 11, 0))
	l.close(101, at(2, 16, 0))
	l.mail(102, at(2, 17, 30), ent, "Импорт объявлений", "Не понимаю формат")
	l.answer(102, at(3, 10, 20)) // due Tue 10:30
	l.close(102, at(3, 15, 0))
	l.mail(103, at(3, 17, 0), ent, "Выгрузка отчёта", "Отчёт пустой")
	l.answer(103, at(5, 10, 40)) // 1h on the shortened Tuesday, the holiday, 1h Thursday: due Thu 11:00
	l.close(103, at(5, 16, 0))
	l.mail(104, at(5, 10, 0), ent, "Права доступа", "Сотрудник не видит раздел")
	l.answer(104, at(5, 12, 30)) // late: due 12:00, steps at 11:36 and 12:00
	l.close(104, at(6, 12, 0))
	l.mail(105, at(6, 11, 0), ent, "Настройка фильтра", "Фильтр не сохраняется")
	l.answer(105, at(6, 11, 50))
	l.wait(105, at(6, 12, 0))
	l.reply(105, at(9, 10, 0)) // next response due 14:00
	l.answer(105, at(9, 10, 30))
	l.close(105, at(9, 15, 0))
	l.mail(106, at(9, 14, 0), ent, "Срочно: портал недоступен", "Ошибка 502")
	l.answer(106, at(9, 15, 30)) // outage, incident managers; due 16:00
	l.close(106, at(10, 12, 0))
	l.mail(107, at(10, 18, 30), ent, "Интеграция с 1С", "Не проходит обмен")
	l.answer(107, at(11, 10, 20)) // due Wed 11:30; still open
	// partner: first response 5h, resolution 5wd
	l.mail(111, at(2, 15, 0), par, "Доступ для клиента", "Нужна учётная запись")
	l.answer(111, at(3, 10, 30)) // due Tue 11:00
	l.close(111, at(3, 17, 0))
	l.mail(112, at(3, 14, 0), par, "Вопрос по тарифу", "Какой лимит?")
	l.answer(112, at(5, 10, 45)) // 4h on the shortened day, 1h Thursday: due Thu 11:00
	l.close(112, at(5, 12, 0))
	l.mail(113, at(5, 10, 0), par, "Документация", "Где описание полей?")
	l.answer(113, at(5, 14, 0))
	l.reply(113, at(5, 16, 0))
	l.answer(113, at(6, 11, 0))
	l.close(113, at(9, 11, 0))
	l.mail(114, at(6, 12, 0), par, "Обновление модуля", "После обновления ошибка")
	l.answer(114, at(6, 18, 0)) // late: due 17:00
	l.close(114, at(9, 12, 0))
	// active licence: first response 6h, resolution 5wd
	l.mail(121, at(2, 10, 0), act, "Поиск по сайту", "Поиск ничего не находит")
	l.answer(121, at(2, 15, 0))
	l.close(121, at(2, 18, 0))
	l.mail(122, at(3, 13, 0), act, "Вопрос про счёт", "Где скачать счёт?")
	l.answer(122, at(5, 10, 0)) // due Thu 11:00
	l.close(122, at(5, 11, 0))
	l.mail(123, at(5, 13, 0), act, "Загрузка фото", "Фото не загружаются")
	l.answer(123, at(6, 10, 30)) // late: due Thu 19:00
	l.close(123, at(6, 14, 0))
	l.mail(124, at(9, 10, 0), act, "Запрос на изменение: новый фильтр", "Добавьте фильтр по цене")
	l.answer(124, at(9, 11, 0))
	l.close(124, at(12, 11, 0))
	// limited licence: first response 24h, resolution 10wd
	l.mail(131, at(2, 11, 0), lim, "Смена e-mail", "Как сменить адрес?")
	l.answer(131, at(3, 12, 0)) // due Thu 18:00
	l.close(131, at(3, 13, 0))
	l.mail(132, at(5, 10, 0), lim, "Удаление аккаунта", "Удалите мой аккаунт")
	l.answer(132, at(5, 15, 0))
	l.close(132, at(6, 12, 0))
	l.mail(133, at(9, 10, 0), lim, "Экспорт данных", "Нужен экспорт в Excel")
	l.answer(133, at(10, 18, 30)) // due Wed 16:00
	l.close(133, at(11, 12, 0))
	// prospects: first response 24h, resolution 10wd
	l.mail(141, at(7, 2, 0), "eve@gmail.com", "Купон не применяется", "Код не работает") // special 24/7: 1h
	l.answer(141, at(7, 2, 40))
	l.close(141, at(7, 3, 0))
	l.mail(142, at(4, 3, 0), "alert@monitoring.portal.example", "Disk usage 91%", "host db1")
	l.answer(142, at(5, 10, 5))
	l.close(142, at(5, 12, 0))
	l.mail(143, at(2, 12, 0), "fay@mail.ru", "Как подать объявление", "Не нахожу кнопку")
	l.answer(143, at(2, 13, 0))
	l.close(143, at(2, 14, 0))
	l.reopen(143, at(3, 11, 0))
	l.close(143, at(3, 16, 0))
	l.mail(144, at(3, 10, 0), "gus@yandex.ru", "Метка на карте стоит не там", "Координаты неверные")
	l.reassign(144, at(3, 10, 30), 13)
	l.answer(144, at(3, 11, 0))
	l.close(144, at(3, 12, 0))
	l.mail(145, at(5, 16, 0), "hal@mail.ru", "Реклама на вашем сайте", "Предлагаем сотрудничество")
	l.close(145, at(5, 17, 0))
	l.mail(146, at(6, 9, 0), "ivy@gmail.com", "Забыл пароль", "Не могу войти")
	l.answer(146, at(6, 10, 10))
	l.close(146, at(6, 10, 30))
	l.mail(147, at(9, 10, 0), "jon@gmail.com", "Личный кабинет", "Не открывается раздел")
	l.answer(147, at(12, 12, 0)) // late: due Wed 16:00
	l.close(147, at(12, 13, 0))
	l.mail(148, at(10, 12, 0), "kim@gmail.com", "Вопрос", "Сколько стоит размещение?")
	l.answer(148, at(10, 17, 0))
	l.close(148, at(11, 10, 0))
	l.mail(149, at(11, 11, 0), "lea@mail.ru", "Жалоба на модератора", "Удалили объявление")
	l.answer(149, at(11, 14, 0))
	l.close(149, at(12, 10, 0))
	l.mail(150, at(13, 18, 0), "max@gmail.com", "Не приходит письмо", "Письмо подтверждения")
	// never answered: breached by now
	l.mail(151, at(12, 10, 0), "ned@mail.ru", "Ошибка при оплате", "Списали дважды")
	l.answer(151, at(12, 12, 0))
	l.close(151, at(13, 12, 0))
	// a hand-made portal lead: no kept inputs
	l.lead(170, at(9, 12, 0), "B24D_TECH", "active", "active licence", 12)
	l.answer(170, at(9, 13, 0))
	l.close(170, at(9, 14, 0))
}

// run plays the fixture under the default rules and replays it through r.
func run(t *testing.T, r *rules.Rules) (*replay.Result, *rules.Rules) {
	t.Helper()
	return runWith(t, nil, r)
}

// runWith is run with the rules taken as in force (nil: the default ones
// the history was made under).
func runWith(t *testing.T, current, r *rules.Rules) (*replay.Result, *rules.Rules) {
	t.Helper()
	def, _, err := config.ExampleRules(periodFrom)
	if err != nil {
		t.Fatal(err)
	}
	l := newLife(t, def, periodFrom)
	fixture(l)
	l.play(replayNow)
	list, inputs := l.history(periodFrom, periodTo)
	if r == nil {
		r = def
	}
	if current == nil {
		current = def
	}
	res, err := replay.Run(list, replay.Options{From: periodFrom, To: periodTo, Now: replayNow, Location: msk,
		Current: current, New: r, Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	return res, def
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReplayDefaultRulesReproduces replays the history through the very
// rules it was made under: every figure, count and outcome must come out as
// it really happened.
func TestReplayDefaultRulesReproduces(t *testing.T) {
	res, _ := run(t, nil)
	if res.Tickets != 30 || res.Classified != 29 || res.AsRecorded != 1 {
		t.Errorf("tickets %d classified %d as recorded %d", res.Tickets, res.Classified, res.AsRecorded)
	}
	replayed := res.Replay
	replayed.Pools = nil // the history keeps no pool
	if a, b := jsonOf(t, res.Actual), jsonOf(t, replayed); a != b {
		t.Errorf("replay under the same rules differs:\n%s", lineDiff(a, b))
	}
	if len(res.Changes) != 0 {
		t.Errorf("changes under the same rules: %+v", res.Changes)
	}
	// The fixture is not trivial: breaches, escalations and notifications
	// happened (so a replay that lost them would differ).
	tot := res.Actual.Report.Total
	if tot.FirstResponse.Breached < 5 || tot.FirstResponse.Met < 20 || tot.Escalations < 8 || res.Actual.Notifications < 8 {
		t.Errorf("fixture too thin: %s escalations %d notifications %d", jsonOf(t, tot), tot.Escalations, res.Actual.Notifications)
	}
}

// changedRules are the default rules with four edits a manager might try.
func changedRules(t testing.TB) *rules.Rules {
	t.Helper()
	return editedRules(t, []edit{
		// a tighter enterprise first response: new target
		{"    first_response: 2h\n", "    first_response: 1h\n"},
		// partners served around the clock: new calendar
		{"  - name: partner\n    when: {tier: partner}\n    calendar: msk\n", "  - name: partner\n    when: {tier: partner}\n    calendar: always\n"},
		// small-client.ru becomes an active licence: new policy
		{"    when: {from_domain: [client.ru]}\n", "    when: {from_domain: [client.ru, small-client.ru]}\n"},
		// one operator fewer on the first line
		{"{users: [11, 12, 13], strategy: round_robin", "{users: [11, 12], strategy: round_robin"},
	})
}

type edit struct{ old, new string }

// editedRules are the default rules (written out with the calendars they
// import) with the edits made.
func editedRules(t testing.TB, edits []edit) *rules.Rules {
	t.Helper()
	dir := t.TempDir()
	path, err := config.WriteRulesExample(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, e := range edits {
		if !strings.Contains(s, e.old) {
			t.Fatalf("example rules changed: %q not found", e.old)
		}
		s = strings.Replace(s, e.old, e.new, 1)
	}
	out := filepath.Join(dir, "new.yaml")
	if err := os.WriteFile(out, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _, err := rules.Load(out, periodFrom)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReplayChangedRules replays the fixture through changed rules; the
// differences below were worked out by hand from the fixture's times.
func TestReplayChangedRules(t *testing.T) {
	res, _ := run(t, changedRules(t))
	var got []string
	for _, c := range res.Changes {
		got = append(got, fmt.Sprintf("#%d %s %s→%s %s: %s", c.LeadID, c.Target, c.Before, c.After, c.Reason, c.Detail))
	}
	sort.Strings(got)
	want := []string{
		// enterprise 1h: #102 answered Tue 10:20, due Mon 18:30 now
		"#102 first_response met→breached new target: policy enterprise first_response 2h → 1h",
		// #103 arrived Tue 17:00 on the shortened day: due Tue 18:00 now, answered Thu 10:40
		"#103 first_response met→breached new target: policy enterprise first_response 2h → 1h",
		// #106 answered 15:30, due 15:00 now
		"#106 first_response met→breached new target: policy enterprise first_response 2h → 1h",
		// partner 5h around the clock: #111 due Mon 20:00 (answered Tue 10:30)
		"#111 first_response met→breached new calendar: policy partner calendar msk → always",
		// #112 due Tue 19:00 instead of Thu 11:00 after the holiday (answered Thu 10:45)
		"#112 first_response met→breached new calendar: policy partner calendar msk → always",
		// small-client.ru on 6h: #131 due Mon 17:00 (answered Tue 12:00)
		"#131 first_response met→breached new policy: policy limited licence → active licence (tier limited → active)",
		// #133 due Mon 16:00 (answered Tue 18:30)
		"#133 first_response met→breached new policy: policy limited licence → active licence (tier limited → active)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	was, now := res.Actual.Report.Total, res.Replay.Report.Total
	if now.FirstResponse.Breached != was.FirstResponse.Breached+7 || now.FirstResponse.Met != was.FirstResponse.Met-7 {
		t.Errorf("first response was %d met %d breached, now %d met %d breached", was.FirstResponse.Met,
			was.FirstResponse.Breached, now.FirstResponse.Met, now.FirstResponse.Breached)
	}
	if res.Actual.Types["B24D_TECH"] != res.Replay.Types["B24D_TECH"] || res.Actual.Levels["L2"] != res.Replay.Levels["L2"] {
		t.Errorf("types or levels changed though classification did not: %v %v", res.Actual.Levels, res.Replay.Levels)
	}
	// First line without user 13: the 26 mail tickets of l1-operators go
	// 11, 12, 11, ... from 11 (who really got the first); #144 (the 7th,
	// 11's) was reassigned to 13 by staff and stays there; #170 did not come
	// by mail and keeps user 12.
	wantWho := map[string]int{"user 11": 12, "user 12": 14, "user 13": 1, "user 21": 3}
	wasWho := map[string]int{"user 11": 8, "user 12": 10, "user 13": 9, "user 21": 3}
	if fmt.Sprint(res.Replay.Assignees) != fmt.Sprint(wantWho) || fmt.Sprint(res.Actual.Assignees) != fmt.Sprint(wasWho) {
		t.Errorf("assignees was %v now %v, want %v → %v", res.Actual.Assignees, res.Replay.Assignees, wasWho, wantWho)
	}
	var buf bytes.Buffer
	if err := replay.WriteTable(&buf, res, "new.yaml", msk); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{replay.StaffNote, "Outcomes that change (7):", "#103 first_response met → breached: new target",
		"due 2026-11-05 11:00 → 2026-11-03 18:00, met 2026-11-05 10:40", "Tickets per pool"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	t.Log(out)
}

// lineDiff shows the lines where a and b differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d: was %q now %q", i+1, x, y))
		}
	}
	return strings.Join(out, "\n")
}

// changeLines shows the changes as "#ID target before→after reason: detail".
func changeLines(res *replay.Result) string {
	var got []string
	for _, c := range res.Changes {
		got = append(got, fmt.Sprintf("#%d %s %s→%s %s: %s", c.LeadID, c.Target, c.Before, c.After, c.Reason, c.Detail))
	}
	return strings.Join(got, "\n")
}

// TestReplayCalendarReasons drops the production calendar from msk (4
// November a working day, 3 November a full day): the tickets that waited
// over the holiday breach, by hand: #103 (enterprise 2h from Tue 17:00: due
// Tue 19:00, answered Thu 10:40), #112 (partner 5h from Tue 14:00: due Tue
// 19:00, answered Thu 10:45), #122 (active 6h from Tue 13:00: due Tue 19:00,
// answered Thu 10:00). Taken as the rules in force too, the same changes
// are put down to the rules having changed during the period.
func TestReplayCalendarReasons(t *testing.T) {
	noHolidays := editedRules(t, []edit{{"    import: [ru-2026.xml, ru-2027.xml]\n", ""}})
	res, _ := run(t, noHolidays)
	detail := func(p string) string { return "policy " + p + " calendar msk: working hours or holidays differ" }
	want := strings.Join([]string{
		"#103 first_response met→breached new calendar: " + detail("enterprise"),
		"#112 first_response met→breached new calendar: " + detail("partner"),
		"#122 first_response met→breached new calendar: " + detail("active licence"),
	}, "\n")
	if got := changeLines(res); got != want {
		t.Errorf("changes:\n%s\nwant:\n%s", got, want)
	}
	res, _ = runWith(t, noHolidays, noHolidays)
	want = strings.Join([]string{
		"#103 first_response met→breached rules changed during the period: the recorded deadline was computed under rules in force earlier",
		"#112 first_response met→breached rules changed during the period: the recorded deadline was computed under rules in force earlier",
		"#122 first_response met→breached rules changed during the period: the recorded deadline was computed under rules in force earlier",
	}, "\n")
	if got := changeLines(res); got != want {
		t.Errorf("with the new rules in force:\n%s\nwant:\n%s", got, want)
	}
}
