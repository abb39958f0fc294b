package schema_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

func TestEnsureTwiceChangesNothing(t *testing.T) {
	p, _, c := newPortal(t)
	r := exampleRules(t, nil)
	opts := schema.Options{EventsMode: schema.EventsWebhook, EventsURL: "https://desk.example/bitrix/events"}

	first := mustEnsure(t, c, r, opts)
	if len(first.Problems()) > 0 {
		t.Fatalf("problems: %v", first.Problems())
	}
	// 9 sources, 13 fields, the ratings' and the intake channel's fields,
	// 1 stage (B24D_WAIT).
	if got, want := first.Changes(), len(r.Types)+15+1; got != want {
		t.Errorf("first run: %d changes, want %d:\n%v", got, want, first.Lines)
	}
	if !hasLine(first, schema.VerbCreated, "field UF_CRM_B24D_RATING (enumeration) «Оценка ответа»: Ответ устраивает=«Ответ устраивает»") ||
		!hasLine(first, schema.VerbCreated, "SOURCE B24D_TECH «Технический вопрос»") ||
		!hasLine(first, schema.VerbCreated, "lead stage B24D_WAIT «Ждёт ответа клиента»") ||
		!hasLine(first, schema.VerbManual, "outgoing webhook") {
		t.Errorf("missing report lines:\n%v", first.Lines)
	}
	if w := writes(p); len(w) != first.Changes() {
		t.Errorf("first run wrote %d times, report says %d: %v", len(w), first.Changes(), w)
	}

	p.ResetCalls()
	second := mustEnsure(t, c, r, opts)
	if second.Changes() != 0 {
		t.Errorf("second run changes: %v", second.Lines)
	}
	if w := writes(p); len(w) != 0 {
		t.Errorf("second run wrote: %v", w)
	}
	var out strings.Builder
	if err := second.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no changes") {
		t.Errorf("second report does not say no changes:\n%s", out.String())
	}
}

func TestEnsureDryRunWritesNothing(t *testing.T) {
	p, _, c := newPortal(t)
	r := exampleRules(t, nil)
	rep := mustEnsure(t, c, r, schema.Options{DryRun: true, EventsMode: schema.EventsPoll, Canned: []string{"greeting"}})
	if w := writes(p); len(w) != 0 {
		t.Fatalf("dry run wrote: %v", w)
	}
	if got, want := rep.Changes(), len(r.Types)+15+1; got != want {
		t.Errorf("dry run: %d changes, want %d", got, want)
	}
	if !hasLine(rep, schema.VerbWouldCreate, "SOURCE B24D_OUTAGE «Авария»") ||
		!hasLine(rep, schema.VerbWouldCreate, "field UF_CRM_B24D_CANNED (enumeration) «Шаблон ответа»: greeting=«greeting»") {
		t.Errorf("missing would-create lines:\n%v", rep.Lines)
	}
	if err := rep.Map.Present(); err == nil {
		t.Error("dry-run map says the schema is present")
	}
	// The real run after a dry run still has everything to do.
	real := mustEnsure(t, c, r, schema.Options{EventsMode: schema.EventsPoll, Canned: []string{"greeting"}})
	if real.Changes() != rep.Changes() {
		t.Errorf("real run %d changes, dry run announced %d", real.Changes(), rep.Changes())
	}
}

func TestEnumIDsRecorded(t *testing.T) {
	_, _, c := newPortal(t)
	st := openStore(t)
	ctx := context.Background()

	before, err := schema.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := before.Present(); !errors.Is(err, schema.ErrMissing) || !strings.Contains(err.Error(), "b24desk setup") {
		t.Fatalf("Present before setup = %v", err)
	}

	rep := mustEnsure(t, c, exampleRules(t, nil), schema.Options{EventsMode: schema.EventsPoll, Canned: []string{"greeting", "faq-link"}})
	if err := st.WithTx(ctx, func(tx *store.Tx) error { return rep.Map.Save(ctx, before, tx) }); err != nil {
		t.Fatal(err)
	}
	m, err := schema.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Present(); err != nil {
		t.Fatalf("Present after setup: %v", err)
	}

	// Compare with what the portal itself says in crm.lead.fields.
	fields, err := c.LeadFields(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byLabel := func(field, label string) string {
		for _, it := range fields[field].Items {
			if string(it.Value) == label {
				return strconv.FormatInt(int64(it.ID), 10)
			}
		}
		t.Fatalf("%s has no item «%s»", field, label)
		return ""
	}
	tests := []struct{ field, key, label string }{
		{schema.FieldPriority, schema.PriorityHigh, "Высокий"},
		{schema.FieldPriority, schema.PriorityLow, "Низкий"},
		{schema.FieldSLAState, schema.StateBreached, "Нарушен"},
		{schema.FieldSLAState, schema.StatePaused, "Приостановлен"},
		{schema.FieldCriticality, schema.CriticalityMedium, "Средняя"},
		{schema.FieldComplexity, schema.ComplexityComplex, "Сложная"},
		{schema.FieldCanned, "faq-link", "faq-link"},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		id, ok := m.EnumID(tc.field, tc.key)
		if !ok || id != byLabel(tc.field, tc.label) {
			t.Errorf("EnumID(%s, %s) = %q, %v; portal says %s", tc.field, tc.key, id, ok, byLabel(tc.field, tc.label))
		}
		if seen[id] {
			t.Errorf("item ID %s recorded twice", id)
		}
		seen[id] = true
		if v, ok := m.EnumValue(tc.field, id); !ok || v != tc.key {
			t.Errorf("EnumValue(%s, %s) = %q, %v; want %s", tc.field, id, v, ok, tc.key)
		}
	}
	if _, ok := m.EnumID(schema.FieldPriority, "urgent"); ok {
		t.Error("EnumID found an unknown value")
	}
	if !m.HasStage("B24D_WAIT") || !m.HasSource("B24D_TECH") || !m.HasField(schema.FieldFiles) {
		t.Error("stage, source or field not recorded")
	}
}

func TestEnsureAddsNewCannedItems(t *testing.T) {
	p, _, c := newPortal(t)
	r := exampleRules(t, nil)
	mustEnsure(t, c, r, schema.Options{EventsMode: schema.EventsPoll})
	p.ResetCalls()
	rep := mustEnsure(t, c, r, schema.Options{EventsMode: schema.EventsPoll, Canned: []string{"greeting"}})
	if rep.Changes() != 1 || !hasLine(rep, schema.VerbUpdated, "field UF_CRM_B24D_CANNED items: greeting") {
		t.Fatalf("want one update of the canned items:\n%v", rep.Lines)
	}
	if w := writes(p); len(w) != 1 || w[0] != "crm.lead.userfield.update" {
		t.Errorf("writes = %v", w)
	}
	if _, ok := rep.Map.EnumID(schema.FieldCanned, "greeting"); !ok {
		t.Error("new canned item not recorded")
	}
	again := mustEnsure(t, c, r, schema.Options{EventsMode: schema.EventsPoll, Canned: []string{"greeting"}})
	if again.Changes() != 0 {
		t.Errorf("third run changes: %v", again.Lines)
	}
}

func TestEnsureRenamesSource(t *testing.T) {
	_, _, c := newPortal(t)
	ctx := context.Background()
	if _, err := c.StatusAdd(ctx, map[string]any{"ENTITY_ID": "SOURCE", "STATUS_ID": "B24D_TECH", "NAME": "Техвопрос"}); err != nil {
		t.Fatal(err)
	}
	rep := mustEnsure(t, c, exampleRules(t, nil), schema.Options{EventsMode: schema.EventsPoll})
	if !hasLine(rep, schema.VerbUpdated, "SOURCE B24D_TECH name «Техвопрос» → «Технический вопрос»") {
		t.Fatalf("no rename:\n%v", rep.Lines)
	}
	list, err := c.StatusList(ctx, "SOURCE")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range list {
		if s.StatusID == "B24D_TECH" {
			n++
			if s.Name != "Технический вопрос" {
				t.Errorf("name = %s", s.Name)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d B24D_TECH entries", n)
	}
}

// TestEnsureWorkflowTemplates: templates are listed with MODULE_ID, ENTITY
// and DOCUMENT_TYPE as three filter values and read over every page
// (api-reference/bizproc/template/bizproc-workflow-template-list.md); a
// template the portal starts by itself for every new lead (AUTO_EXECUTE 1
// or 3) is a problem with the fix, one that restarts on every update (2) a
// warning.
func TestEnsureWorkflowTemplates(t *testing.T) {
	p, _, c := newPortal(t)
	for i := range 55 { // the rules' templates are on page 2
		p.AddTemplate(sim.Template{Name: "Сделка " + strconv.Itoa(i), Entity: "CCrmDocumentDeal", Type: "DEAL"})
	}
	plain := p.AddTemplate(sim.Template{Name: "Авария", AutoExecute: 0})
	restarts := p.AddTemplate(sim.Template{Name: "Инцидент", AutoExecute: 3})
	onCreate := p.AddTemplate(sim.Template{Name: "RFC", AutoExecute: 1})
	onUpdate := p.AddTemplate(sim.Template{Name: "Карта", AutoExecute: 2})
	deal := p.AddTemplate(sim.Template{Name: "Сделка", Entity: "CCrmDocumentDeal", Type: "DEAL"})
	r := exampleRules(t, func(s string) string {
		s = withWorkflow("B24D_OUTAGE", plain)(s)
		s = withWorkflow("B24D_INCIDENT", restarts)(s)
		s = withWorkflow("B24D_RFC", onCreate)(s)
		s = withWorkflow("B24D_MAP", onUpdate)(s)
		s = withWorkflow("B24D_FAQ", deal)(s)
		return withWorkflow("B24D_TECH", 999)(s)
	})
	rep := mustEnsure(t, c, r, schema.Options{EventsMode: schema.EventsPoll})
	for _, want := range []struct{ verb, text string }{
		{schema.VerbExists, "workflow template " + strconv.Itoa(plain) + " «Авария» (type B24D_OUTAGE)"},
		{schema.VerbProblem, "(type B24D_INCIDENT) has AUTO_EXECUTE 3: the portal starts it by itself for every new lead"},
		{schema.VerbProblem, "(type B24D_RFC) has AUTO_EXECUTE 1"},
		{schema.VerbProblem, "set the template to start manually"},
		{schema.VerbWarning, "(type B24D_MAP) has AUTO_EXECUTE 2"},
		{schema.VerbProblem, "workflow template " + strconv.Itoa(deal) + " (type B24D_FAQ) is not a lead template"},
		{schema.VerbProblem, "workflow template 999 (type B24D_TECH)"},
	} {
		if !hasLine(rep, want.verb, want.text) {
			t.Errorf("no %s line %q:\n%v", want.verb, want.text, rep.Lines)
		}
	}
	for id, want := range map[int]int{plain: 0, restarts: 3, onCreate: 1} {
		if got, ok := rep.Map.Template(id); !ok || got != want {
			t.Errorf("Template(%d) = %d, %v; want %d", id, got, ok, want)
		}
	}
	if _, ok := rep.Map.Template(999); ok {
		t.Error("Template(999) found")
	}

	p.SetAdmin(false)
	rep = mustEnsure(t, c, r, schema.Options{DryRun: true, EventsMode: schema.EventsPoll})
	if !hasLine(rep, schema.VerbProblem, "administrator") {
		t.Errorf("no admin problem:\n%v", rep.Lines)
	}
}

func TestEnsureBindsOfflineEventsInAppMode(t *testing.T) {
	p, srv, _ := newPortal(t)
	c := appClient(t, p, srv)
	r := exampleRules(t, nil)
	opts := schema.Options{AppMode: true, EventsMode: schema.EventsOffline}

	dry := mustEnsure(t, c, r, schema.Options{DryRun: true, AppMode: true, EventsMode: schema.EventsOffline})
	if !hasLine(dry, schema.VerbWouldBind, "ONCRMLEADUPDATE (offline)") || len(writes(p)) != 0 {
		t.Fatalf("dry run: %v, writes %v", dry.Lines, writes(p))
	}
	rep := mustEnsure(t, c, r, opts)
	for _, ev := range []string{"ONCRMLEADADD", "ONCRMLEADUPDATE", "ONCRMLEADDELETE"} {
		if !hasLine(rep, schema.VerbBound, ev+" (offline)") {
			t.Errorf("%s not bound:\n%v", ev, rep.Lines)
		}
	}
	bound, err := c.EventGet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(bound) != 3 {
		t.Errorf("portal has %d bindings, want 3", len(bound))
	}
	p.ResetCalls()
	again := mustEnsure(t, c, r, opts)
	if again.Changes() != 0 || len(writes(p)) != 0 {
		t.Errorf("second app run: %v, writes %v", again.Lines, writes(p))
	}
}

func TestEnsureReportsFieldTypeClash(t *testing.T) {
	_, _, c := newPortal(t)
	if _, err := c.LeadUserFieldAdd(context.Background(), map[string]any{"FIELD_NAME": "B24D_TIER", "USER_TYPE_ID": "integer"}); err != nil {
		t.Fatal(err)
	}
	rep := mustEnsure(t, c, exampleRules(t, nil), schema.Options{EventsMode: schema.EventsPoll})
	if !hasLine(rep, schema.VerbProblem, "field UF_CRM_B24D_TIER exists with type integer, b24desk needs string") {
		t.Errorf("no type clash:\n%v", rep.Lines)
	}
	if rep.Map.Present() == nil {
		t.Error("Present with a clashing field")
	}
}

func TestCovers(t *testing.T) {
	_, _, c := newPortal(t)
	r := exampleRules(t, nil)
	dry := mustEnsure(t, c, r, schema.Options{DryRun: true, EventsMode: schema.EventsPoll})
	if err := dry.Map.Covers(r); !errors.Is(err, schema.ErrMissing) || !strings.Contains(err.Error(), "SOURCE B24D_TECH") ||
		!strings.Contains(err.Error(), "lead stage B24D_WAIT") {
		t.Errorf("Covers before setup = %v", err)
	}
	done := mustEnsure(t, c, r, schema.Options{EventsMode: schema.EventsPoll})
	if err := done.Map.Covers(r); err != nil {
		t.Errorf("Covers after setup = %v", err)
	}
}

// TestEnsureBeyondFirstPage: on a portal with more than 50 lead fields and
// more than 50 sources, b24desk's own fields and types are on page 2 of
// crm.lead.userfield.list and crm.status.list (50 a page:
// api-reference/crm/leads/userfield/crm-lead-userfield-list.md,
// api-reference/crm/status/crm-status-list.md); a second setup still finds
// them and changes nothing.
func TestEnsureBeyondFirstPage(t *testing.T) {
	p, srv, c := newPortal(t)
	ctx := context.Background()
	// The seeding is not what is tested: no client-side rate limit.
	seed, err := bitrix.New(bitrix.Config{WebhookURL: p.WebhookURL(srv.URL), Logger: zerolog.Nop(), Rate: 1000, Burst: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		if _, err := seed.LeadUserFieldAdd(ctx, map[string]any{"FIELD_NAME": "SALES_" + strconv.Itoa(i),
			"USER_TYPE_ID": "string", "LABEL": "Sales " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 55 {
		if _, err := seed.StatusAdd(ctx, map[string]any{"ENTITY_ID": "SOURCE", "STATUS_ID": "SALES_" + strconv.Itoa(i),
			"NAME": "Sales " + strconv.Itoa(i), "SORT": 1}); err != nil {
			t.Fatal(err)
		}
	}
	r := exampleRules(t, nil)
	opts := schema.Options{EventsMode: schema.EventsPoll}
	if first := mustEnsure(t, c, r, opts); first.Changes() == 0 || len(first.Problems()) > 0 {
		t.Fatalf("first run: %v", first.Lines)
	}
	p.ResetCalls()
	second := mustEnsure(t, c, r, opts)
	if second.Changes() != 0 || len(writes(p)) != 0 {
		t.Fatalf("second run changes %d, writes %v:\n%v", second.Changes(), writes(p), second.Lines)
	}
	if err := second.Map.Present(); err != nil {
		t.Fatalf("schema map after the second run: %v", err)
	}
}

// TestReportSummary: the summary never says "no changes" or "has
// everything" for a run that stopped or found problems.
func TestReportSummary(t *testing.T) {
	tests := []struct {
		name    string
		rep     schema.Report
		failed  error
		want    string
		notWant string
	}{
		{"clean", schema.Report{}, nil, "no changes: the portal already has everything", "problem"},
		{"problems", schema.Report{Lines: []schema.Line{{Verb: schema.VerbProblem, What: "x"}}}, nil, "1 problem(s) to fix", "has everything"},
		{"dry run problems", schema.Report{DryRun: true, Lines: []schema.Line{{Verb: schema.VerbProblem, What: "x"}}}, nil, "1 problem(s) to fix", "has everything"},
		{"stopped", schema.Report{Lines: []schema.Line{{Verb: schema.VerbCreated, What: "x"}}}, errors.New("boom"), "stopped: boom; 1 change(s) made", "no changes"},
	}
	for _, tt := range tests {
		var out strings.Builder
		var err error
		if tt.failed != nil {
			err = tt.rep.WriteFailed(&out, tt.failed)
		} else {
			err = tt.rep.Write(&out)
		}
		if err != nil || !strings.Contains(out.String(), tt.want) || strings.Contains(out.String(), tt.notWant) {
			t.Errorf("%s: %q, want %q and not %q", tt.name, out.String(), tt.want, tt.notWant)
		}
	}
}
