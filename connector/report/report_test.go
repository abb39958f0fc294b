package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	deskticket "github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// fixtureRules: one policy on a Moscow calendar with a weekend, the
// 2026-11-04 holiday and the shortened 2026-11-03 (10:00-18:00).
const fixtureRules = `version: 1
types:
  - {code: TECH, name: Технический вопрос, level: L1}
  - {code: INCIDENT, name: Инцидент, level: L2}
classify: [{set: {type: TECH}}]
statuses:
  new: [NEW]
  answered: [IN_PROCESS]
  waiting: [WAIT]
  closed: [CONVERTED]
calendars:
  msk:
    timezone: Europe/Moscow
    week: {mon-fri: "10:00-19:00"}
    holidays: [2026-11-04]
    shortened: {2026-11-03: "10:00-18:00"}
sla:
  - name: std
    calendar: msk
    first_response: 4h
    resolution: 12h
`

var msk = func() *time.Location {
	l, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	return l
}()

// at is a Moscow wall-clock time in November 2026 (month 10 = October).
func at(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, msk)
}

// fixture drives tickets through the store the way the daemon does: every
// save recomputes the deadlines from the policy and the pauses, so the
// history holds what the SLA clock would have written.
type fixture struct {
	t  *testing.T
	st *store.Store
	p  *rules.Policy
}

type life struct {
	f  *fixture
	tk deskticket.Ticket
	tl rules.Timeline
}

func (f *fixture) open(id int64, typ string, assignee int64, created time.Time) *life {
	l := &life{f: f, tk: deskticket.Ticket{LeadID: id, Type: typ, Assignee: assignee, Tier: "partner", Policy: "std",
		Status: "NEW", Requester: "c@client.ru", CreatedAt: created}, tl: rules.Timeline{Created: created}}
	l.save(created)
	return l
}

func (l *life) save(now time.Time) {
	l.f.t.Helper()
	s := l.f.p.Schedule(l.tl)
	for _, ts := range s.Targets {
		switch ts.Target {
		case rules.FirstResponse:
			l.tk.FirstResponseDue = ts.Due
		case rules.Resolution:
			l.tk.ResolutionDue = ts.Due
		}
	}
	if err := l.f.st.WithTx(context.Background(), func(tx *store.Tx) error {
		return tx.UpsertTicket(context.Background(), l.tk, now)
	}); err != nil {
		l.f.t.Fatal(err)
	}
}

func (l *life) answer(t time.Time) {
	l.tk.Status, l.tk.FirstResponseMet = "IN_PROCESS", t
	l.save(t)
}

func (l *life) pause(t time.Time) {
	l.tk.Status, l.tk.PausedSince = "WAIT", t
	l.tl.Paused = append(l.tl.Paused, rules.Interval{Start: t})
	l.save(t)
}

func (l *life) resume(t time.Time) {
	l.tk.Status, l.tk.PausedTotal = "IN_PROCESS", l.tk.PausedTotal+t.Sub(l.tk.PausedSince)
	l.tk.PausedSince = time.Time{}
	l.tl.Paused[len(l.tl.Paused)-1].End = t
	l.save(t)
}

func (l *life) close(t time.Time) {
	l.tk.Status, l.tk.ClosedAt, l.tk.ResolutionMet, l.tk.SLAState = "CONVERTED", t, t, "met"
	l.save(t)
}

func (l *life) reopen(t time.Time) {
	if err := l.f.st.CustomerReplyHistory(context.Background(), l.tk.LeadID, t); err != nil {
		l.f.t.Fatal(err)
	}
	l.tk.Status, l.tk.ClosedAt, l.tk.ResolutionMet, l.tk.SLAState = "NEW", time.Time{}, time.Time{}, "ok"
	l.save(t)
}

func (l *life) state(s string, t time.Time) {
	l.tk.SLAState = s
	l.save(t)
}

func (l *life) escalate(step string, t time.Time) {
	if _, err := l.f.st.MarkStepDone(context.Background(), store.StepDone{LeadID: l.tk.LeadID, Target: "resolution", Step: step, DoneAt: t}); err != nil {
		l.f.t.Fatal(err)
	}
}

func (l *life) rate(answer, label string, score int, t time.Time) {
	if _, err := l.f.st.RecordRating(context.Background(), l.tk.LeadID, store.HistoryRating{Answer: answer, Label: label, Score: score, RatedAt: t}); err != nil {
		l.f.t.Fatal(err)
	}
}

var labels = []string{"Ответ устраивает", "Недостаточно полно", "Не устраивает"}

// buildFixture writes five tickets (times in Moscow, hours = working hours
// on the calendar above; hand-computed):
//
//	#5 TECH  user 11  Mon 10-26 12:00, answered 12:45 (0.75h), closed 15:00, reopened Tue 11:00, closed 12:00:
//	         resolution 7h + 2h = 9h (due 12h: met), rated 5
//	#1 TECH  user 11  Fri 10-30 17:00 (over the weekend), answered Mon 11-02 11:30: 2h + 1.5h = 3.5h (due Mon 12:00, met);
//	         closed Tue 11-03 17:00: 2 + 9 + 7 = 18h (due Tue 11:00: breached); one escalation
//	#3 INCIDENT user 21  Mon 11-02 10:00, never answered: first response due Mon 14:00, resolution Tue 13:00,
//	         both breached at now; two escalations; open 9 + 8 (shortened) + 0 (holiday) + 2 = 19h
//	#2 TECH  user 12  Tue 11-03 16:00 (shortened day), answered 16:30 (0.5h), waiting Tue 17:00 .. Thu 11-05 11:00
//	         (paused 1h + holiday + 1h = 2h), closed Thu 15:00: 2h + 5h - 2h = 5h (met), rated 3
//	#4 TECH  user 11  Thu 11-05 10:30, open, at risk: 1.5h old at now
//
// now = Thu 11-05 12:00.
func buildFixture(t *testing.T) (*store.Store, *rules.Rules, time.Time) {
	r, _, err := rules.Parse("rules.yaml", []byte(fixtureRules), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{t: t, st: st, p: r.PolicyByName("std")}

	t5 := f.open(5, "TECH", 11, at(10, 26, 12, 0))
	t5.answer(at(10, 26, 12, 45))
	t5.close(at(10, 26, 15, 0))
	t5.reopen(at(10, 27, 11, 0))
	t5.close(at(10, 27, 12, 0))
	t5.rate("a5", labels[0], 5, at(10, 27, 13, 0))

	t1 := f.open(1, "TECH", 11, at(10, 30, 17, 0))
	t1.answer(at(11, 2, 11, 30))
	t1.escalate("std/resolution/0", at(11, 3, 11, 0))
	t1.close(at(11, 3, 17, 0))

	t3 := f.open(3, "INCIDENT", 21, at(11, 2, 10, 0))
	t3.escalate("std/first_response/0", at(11, 2, 14, 0))
	t3.escalate("std/resolution/0", at(11, 3, 13, 0))
	t3.state("breached", at(11, 3, 13, 0))

	t2 := f.open(2, "TECH", 12, at(11, 3, 16, 0))
	t2.answer(at(11, 3, 16, 30))
	t2.rate("a2", labels[1], 3, at(11, 3, 16, 40))
	t2.pause(at(11, 3, 17, 0))
	t2.resume(at(11, 5, 11, 0))
	t2.close(at(11, 5, 15, 0))

	t4 := f.open(4, "TECH", 11, at(11, 5, 10, 30))
	t4.state("warning", at(11, 5, 11, 50))
	return st, r, at(11, 5, 12, 0)
}

func compute(t *testing.T, st *store.Store, r *rules.Rules, now time.Time, by string) *Report {
	t.Helper()
	from, to := at(10, 26, 0, 0), at(11, 9, 0, 0)
	list, err := st.History(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Compute(list, Options{From: from, To: to, By: by, Now: now, Rules: r, Location: msk, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestReportFixture(t *testing.T) {
	st, r, now := buildFixture(t)
	rep := compute(t, st, r, now, ByType)

	if len(rep.Groups) != 2 || rep.Groups[0].Key != "INCIDENT" || rep.Groups[1].Key != "TECH" {
		t.Fatalf("groups = %+v", rep.Groups)
	}
	inc, tech, tot := rep.Groups[0], rep.Groups[1], rep.Total
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("TECH opened", tech.Opened, 4)
	check("TECH closed", tech.Closed, 3)
	check("TECH fr", [3]int{tech.FirstResponse.Met, tech.FirstResponse.Breached, tech.FirstResponse.Pending}, [3]int{3, 0, 1})
	check("TECH fr median", tech.FirstResponse.Median, 0.75)
	check("TECH fr p90", tech.FirstResponse.P90, 3.5)
	check("TECH res", [3]int{tech.Resolution.Met, tech.Resolution.Breached, tech.Resolution.Pending}, [3]int{2, 1, 1})
	check("TECH res rate", tech.Resolution.BreachRate, 0.33)
	check("TECH res median", tech.Resolution.Median, 9.0)
	check("TECH res p90", tech.Resolution.P90, 18.0)
	check("TECH paused", tech.PausedHours, 2.0)
	check("TECH reopened", tech.Reopened, 1)
	check("TECH reopen rate", tech.ReopenRate, 0.33)
	check("TECH escalations", tech.Escalations, 1)
	check("TECH ratings", [2]float64{float64(tech.Ratings.Count), tech.Ratings.Mean}, [2]float64{2, 4})
	check("TECH label shares", [3]float64{tech.Ratings.Labels[0].Share, tech.Ratings.Labels[1].Share, tech.Ratings.Labels[2].Share},
		[3]float64{0.5, 0.5, 0})
	check("TECH now", [3]int{tech.Open, tech.AtRisk, tech.BreachedNow}, [3]int{1, 1, 0})

	check("INCIDENT fr", [3]int{inc.FirstResponse.Met, inc.FirstResponse.Breached, inc.FirstResponse.Pending}, [3]int{0, 1, 0})
	check("INCIDENT res rate", inc.Resolution.BreachRate, 1.0)
	check("INCIDENT escalations", inc.Escalations, 2)
	check("INCIDENT now", [3]int{inc.Open, inc.AtRisk, inc.BreachedNow}, [3]int{1, 0, 1})
	check("INCIDENT name", inc.Name, "Инцидент")

	check("total opened", tot.Opened, 5)
	check("total fr rate", tot.FirstResponse.BreachRate, 0.25)
	check("total res rate", tot.Resolution.BreachRate, 0.5)
	check("total escalations", tot.Escalations, 3)

	b := rep.Backlog
	check("backlog", [3]int{b.Open, b.AtRisk, b.Breached}, [3]int{2, 1, 1})
	check("backlog < 4h", ids(b.Buckets[0].Tickets), "#4")
	check("backlog 8-24h", ids(b.Buckets[2].Tickets), "#3")
	check("response < 1h", ids(rep.Response[0].Tickets), "#2 #5")
	check("response 2-4h", ids(rep.Response[2].Tickets), "#1")

	check("weeks", strings.Join(rep.Weeks, ","), "2026-W44,2026-W45")
	check("breach series", len(rep.Breaches), 2)
	check("INCIDENT weekly", [2]float64{rep.Breaches[0].Rates[0], rep.Breaches[0].Rates[1]}, [2]float64{-1, 1})
	check("TECH weekly", [2]float64{rep.Breaches[1].Rates[0], rep.Breaches[1].Rates[1]}, [2]float64{0.25, 0})
	check("rated assignees", len(rep.Assignee), 2)
	check("user 11 mean", rep.Assignee[0].Ratings.Mean, 5.0)
	check("user 12 label", rep.Assignee[1].Ratings.Labels[1].Count, 1)
}

// TestReportAgreesWithTickets: the report's "now" figures are the ones the
// tickets command shows from the same state (open tickets and their SLA
// state), and each ticket's met/breached matches its row's due and met.
func TestReportAgreesWithTickets(t *testing.T) {
	st, r, now := buildFixture(t)
	rep := compute(t, st, r, now, ByAssignee)
	open, err := st.OpenTickets(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var warning, breached int
	for _, tk := range open {
		switch tk.SLAState {
		case "warning":
			warning++
		case "breached":
			breached++
		}
	}
	if rep.Backlog.Open != len(open) || rep.Backlog.AtRisk != warning || rep.Backlog.Breached != breached {
		t.Errorf("backlog %+v; tickets: %d open, %d warning, %d breached", rep.Backlog, len(open), warning, breached)
	}
	all, err := st.Tickets(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var frMet, frBreached int
	for _, tk := range all {
		switch {
		case !tk.FirstResponseMet.IsZero() && !tk.FirstResponseMet.After(tk.FirstResponseDue):
			frMet++
		case !tk.FirstResponseMet.IsZero() || !tk.FirstResponseDue.After(now):
			frBreached++
		}
	}
	if rep.Total.FirstResponse.Met != frMet || rep.Total.FirstResponse.Breached != frBreached {
		t.Errorf("first response %+v; ticket rows: %d met, %d breached", rep.Total.FirstResponse, frMet, frBreached)
	}
	sum := 0
	for _, g := range rep.Groups {
		sum += g.Opened
	}
	if sum != rep.Total.Opened || rep.Total.Opened != len(all) {
		t.Errorf("groups opened %d, total %d, tickets %d", sum, rep.Total.Opened, len(all))
	}
}

func TestReportFormats(t *testing.T) {
	st, r, now := buildFixture(t)
	rep := compute(t, st, r, now, ByLevel)
	var buf bytes.Buffer
	if err := Write(&buf, rep, FormatCSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "level" || recs[1][0] != "L1" || recs[2][0] != "L2" || recs[3][0] != "total" {
		t.Fatalf("csv = %v", recs)
	}
	if recs[1][1] != "4" || recs[3][len(recs[3])-2] != "0.50" || recs[3][5] != "0.25" || recs[3][6] != "0.75" {
		t.Errorf("csv rows = %v", recs)
	}
	buf.Reset()
	if err := Write(&buf, rep, FormatTable); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[2026-10-26, 2026-11-09)", "Недостаточно полно", "Backlog now: 2 open, 1 at risk, 1 breached", "#3"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	if _, err := Compute(nil, Options{By: "colour"}); err == nil {
		t.Error("bad grouping accepted")
	}
}

// TestSpamFilteredNotCounted: a ticket the spam filter created closed in
// the junk stage is not desk work and is left out; one staff closed as
// junk after reading it is counted.
func TestSpamFilteredNotCounted(t *testing.T) {
	created := at(11, 2, 10, 0)
	list := []store.HistoryTicket{
		{LeadID: 1, CreatedAt: created, Type: "B24D_TECH", ClosedAt: created, CloseStage: "JUNK"},
		{LeadID: 2, CreatedAt: created, Type: "B24D_TECH", Policy: "prospect",
			ClosedAt: created.Add(time.Hour), CloseStage: "JUNK"},
	}
	rep, err := Compute(list, Options{From: at(10, 26, 0, 0), To: at(11, 9, 0, 0), Now: at(11, 3, 0, 0), Location: msk})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Opened != 1 || rep.Total.Closed != 1 || len(rep.Total.Tickets) != 1 || rep.Total.Tickets[0] != 2 {
		t.Errorf("opened %d, closed %d, tickets %v; want only #2", rep.Total.Opened, rep.Total.Closed, rep.Total.Tickets)
	}
}
