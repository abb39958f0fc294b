package schema_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

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
	// 9 sources, 12 fields, 1 stage (B24D_WAIT).
	if got, want := first.Changes(), len(r.Types)+12+1; got != want {
		t.Errorf("first run: %d changes, want %d:\n%v", got, want, first.Lines)
	}
	if !hasLine(first, schema.VerbCreated, "SOURCE B24D_TECH «Технический вопрос»") ||
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
	if got, want := rep.Changes(), len(r.Types)+12+1; got != want {
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

func TestEnsureWorkflowTemplates(t *testing.T) {
	p, _, c := newPortal(t)
	plain := p.AddTemplate(sim.Template{Name: "Авария", AutoExecute: 0})
	restarts := p.AddTemplate(sim.Template{Name: "Инцидент", AutoExecute: 3})
	onCreate := p.AddTemplate(sim.Template{Name: "RFC", AutoExecute: 1})
	r := exampleRules(t, func(s string) string {
		s = withWorkflow("B24D_OUTAGE", plain)(s)
		s = withWorkflow("B24D_INCIDENT", restarts)(s)
		s = withWorkflow("B24D_RFC", onCreate)(s)
		return withWorkflow("B24D_TECH", 999)(s)
	})
	rep := mustEnsure(t, c, r, schema.Options{EventsMode: schema.EventsPoll})
	if !hasLine(rep, schema.VerbWarning, "AUTO_EXECUTE 3") || !hasLine(rep, schema.VerbWarning, "type B24D_INCIDENT") {
		t.Errorf("no AUTO_EXECUTE warning:\n%v", rep.Lines)
	}
	if !hasLine(rep, schema.VerbProblem, "workflow template 999 (type B24D_TECH)") {
		t.Errorf("missing template not reported:\n%v", rep.Lines)
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
