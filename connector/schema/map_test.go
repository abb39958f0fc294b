package schema

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// memState is an in-memory Reader and Writer.
type memState struct {
	kinds    map[string]map[string]string
	settings map[string]string
}

func newMemState() *memState {
	return &memState{kinds: map[string]map[string]string{}, settings: map[string]string{}}
}

func (s *memState) SchemaMap(_ context.Context, kind string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range s.kinds[kind] {
		out[k] = v
	}
	return out, nil
}

func (s *memState) Setting(_ context.Context, key string) (string, bool, error) {
	v, ok := s.settings[key]
	return v, ok, nil
}

func (s *memState) PutSchemaValue(_ context.Context, kind, key, value string) error {
	if s.kinds[kind] == nil {
		s.kinds[kind] = map[string]string{}
	}
	s.kinds[kind][key] = value
	return nil
}

func (s *memState) PutSetting(_ context.Context, key, value string) error {
	s.settings[key] = value
	return nil
}

// fullMap has every fixed field and item, with IDs from 1.
func fullMap() *Map {
	m := newMap()
	n := 0
	for _, f := range Fields(nil) {
		m.fields[f.Name] = true
		for _, it := range f.Items {
			n++
			m.setEnum(f.Name, it.Key, strconv.Itoa(n))
		}
	}
	return m
}

func TestMapSaveLoadAndStaleEntries(t *testing.T) {
	ctx := context.Background()
	st := newMemState()
	first := fullMap()
	first.setEnum(FieldCanned, "greeting", "900")
	first.workflows[7] = 1
	first.stages["B24D_WAIT"] = true
	if err := first.Save(ctx, nil, st); err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Present(); err != nil {
		t.Fatalf("Present: %v", err)
	}
	if id, ok := got.EnumID(FieldCanned, "greeting"); !ok || id != "900" {
		t.Errorf("canned = %q, %v", id, ok)
	}
	if a, ok := got.Template(7); !ok || a != 1 {
		t.Errorf("Template(7) = %d, %v", a, ok)
	}

	// The portal lost the canned item, the template and the stage.
	second := fullMap()
	if err := second.Save(ctx, got, st); err != nil {
		t.Fatal(err)
	}
	got, err = Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.EnumID(FieldCanned, "greeting"); ok {
		t.Error("stale canned item still loaded")
	}
	if _, ok := got.EnumValue(FieldCanned, "900"); ok {
		t.Error("stale canned item still reversed")
	}
	if _, ok := got.Template(7); ok || got.HasStage("B24D_WAIT") {
		t.Error("stale template or stage still loaded")
	}
}

func TestPresentNamesWhatIsMissing(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *Map)
		want string
	}{
		{"never set up", func(m *Map) { m.version = 0 }, "setup never ran"},
		{"other version", func(m *Map) { m.version = Version + 1 }, "schema version"},
		{"field missing", func(m *Map) { delete(m.fields, FieldReply) }, FieldReply},
		{"item missing", func(m *Map) { delete(m.enums[FieldSLAState], StatePaused) }, FieldSLAState + "=" + StatePaused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := fullMap()
			tc.edit(m)
			err := m.Present()
			if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "b24desk setup") {
				t.Errorf("Present = %v, want ErrMissing naming %q", err, tc.want)
			}
		})
	}
	if err := fullMap().Present(); err != nil {
		t.Errorf("full map: %v", err)
	}
}
