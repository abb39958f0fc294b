package schema

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Version is the schema layout this binary writes; Load refuses another.
const Version = 1

// Kinds of the state's schema map (store.PutSchemaValue).
const (
	kindField    = "field"    // field name → "1"
	kindStage    = "stage"    // lead STATUS_ID → "1"
	kindSource   = "source"   // SOURCE code → "1"
	kindWorkflow = "workflow" // template ID → AUTO_EXECUTE
	enumPrefix   = "enum:"    // enum:<FIELD>: item XML_ID → item ID
	// SettingVersion is the state setting holding the schema Version.
	SettingVersion = "schema_version"
)

// ErrMissing is wrapped by Present when the portal schema was never set up or
// is incomplete.
var ErrMissing = errors.New("portal schema missing: run `b24desk setup`")

// Reader is what Load needs from the state (connector/store.Store has it).
type Reader interface {
	SchemaMap(ctx context.Context, kind string) (map[string]string, error)
	Setting(ctx context.Context, key string) (value string, found bool, err error)
}

// Writer is what Map.Save needs (connector/store.Store and store.Tx have it).
type Writer interface {
	PutSchemaValue(ctx context.Context, kind, key, value string) error
	PutSetting(ctx context.Context, key, value string) error
}

// Map is the portal schema as setup found or made it: which fields, stages,
// sources and workflow templates exist and the IDs of enumeration items.
// It is immutable once built and safe for concurrent reads.
type Map struct {
	version   int
	fields    map[string]bool
	stages    map[string]bool
	sources   map[string]bool
	workflows map[int]int                  // template ID → AUTO_EXECUTE
	enums     map[string]map[string]string // field → XML_ID → item ID
	reverse   map[string]map[string]string // field → item ID → XML_ID
}

func newMap() *Map {
	return &Map{version: Version, fields: map[string]bool{}, stages: map[string]bool{},
		sources: map[string]bool{}, workflows: map[int]int{},
		enums: map[string]map[string]string{}, reverse: map[string]map[string]string{}}
}

func (m *Map) setEnum(field, key, id string) {
	if m.enums[field] == nil {
		m.enums[field] = map[string]string{}
		m.reverse[field] = map[string]string{}
	}
	m.enums[field][key] = id
	m.reverse[field][id] = key
}

// Load reads the map recorded by the last setup. A state where setup never
// ran gives an empty map whose Present reports ErrMissing.
func Load(ctx context.Context, st Reader) (*Map, error) {
	m := newMap()
	v, found, err := st.Setting(ctx, SettingVersion)
	if err != nil {
		return nil, fmt.Errorf("load portal schema: %w", err)
	}
	m.version = 0
	if found {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("load portal schema: bad %s %q", SettingVersion, v)
		}
		m.version = n
	}
	for kind, set := range map[string]map[string]bool{kindField: m.fields, kindStage: m.stages, kindSource: m.sources} {
		rows, err := st.SchemaMap(ctx, kind)
		if err != nil {
			return nil, fmt.Errorf("load portal schema: %w", err)
		}
		for k, v := range rows {
			if v != "" {
				set[k] = true
			}
		}
	}
	rows, err := st.SchemaMap(ctx, kindWorkflow)
	if err != nil {
		return nil, fmt.Errorf("load portal schema: %w", err)
	}
	for k, v := range rows {
		id, err1 := strconv.Atoi(k)
		auto, err2 := strconv.Atoi(v)
		if err1 == nil && err2 == nil && v != "" {
			m.workflows[id] = auto
		}
	}
	// FieldRating exists only when the rules turn ratings on.
	for _, f := range append(Fields(nil), Field{Name: FieldRating, Type: TypeEnumeration}) {
		if f.Type != TypeEnumeration {
			continue
		}
		rows, err := st.SchemaMap(ctx, enumPrefix+f.Name)
		if err != nil {
			return nil, fmt.Errorf("load portal schema: %w", err)
		}
		for k, v := range rows {
			if v != "" {
				m.setEnum(f.Name, k, v)
			}
		}
	}
	return m, nil
}

// Save records the map in the state, replacing what an earlier setup
// recorded (entries that disappeared are blanked). Run it in one
// transaction (store.WithTx) so a crash leaves the old or the new map.
func (m *Map) Save(ctx context.Context, old *Map, w Writer) error {
	put := func(kind, key, value string) error {
		if err := w.PutSchemaValue(ctx, kind, key, value); err != nil {
			return fmt.Errorf("save portal schema: %w", err)
		}
		return nil
	}
	if old == nil {
		old = newMap()
	}
	for kind, pair := range map[string][2]map[string]bool{
		kindField: {old.fields, m.fields}, kindStage: {old.stages, m.stages}, kindSource: {old.sources, m.sources},
	} {
		for k := range pair[0] {
			if !pair[1][k] {
				if err := put(kind, k, ""); err != nil {
					return err
				}
			}
		}
		for k := range pair[1] {
			if err := put(kind, k, "1"); err != nil {
				return err
			}
		}
	}
	for id := range old.workflows {
		if _, ok := m.workflows[id]; !ok {
			if err := put(kindWorkflow, strconv.Itoa(id), ""); err != nil {
				return err
			}
		}
	}
	for id, auto := range m.workflows {
		if err := put(kindWorkflow, strconv.Itoa(id), strconv.Itoa(auto)); err != nil {
			return err
		}
	}
	for field, items := range old.enums {
		for k := range items {
			if _, ok := m.enums[field][k]; !ok {
				if err := put(enumPrefix+field, k, ""); err != nil {
					return err
				}
			}
		}
	}
	for field, items := range m.enums {
		for k, id := range items {
			if err := put(enumPrefix+field, k, id); err != nil {
				return err
			}
		}
	}
	if err := w.PutSetting(ctx, SettingVersion, strconv.Itoa(Version)); err != nil {
		return fmt.Errorf("save portal schema: %w", err)
	}
	return nil
}

// EnumID returns the portal item ID of enumeration field's value (the
// item's XML_ID, e.g. FieldPriority, PriorityHigh): what crm.lead.update
// takes.
func (m *Map) EnumID(field, value string) (id string, ok bool) {
	id, ok = m.enums[field][value]
	return id, ok
}

// EnumValue returns the XML_ID of enumeration field's item id, as read from
// a lead (the reverse of EnumID).
func (m *Map) EnumValue(field, id string) (value string, ok bool) {
	value, ok = m.reverse[field][id]
	return value, ok
}

// HasField reports whether the lead user field exists in the portal.
func (m *Map) HasField(name string) bool { return m.fields[name] }

// HasStage reports whether the lead stage (STATUS_ID) exists in the portal.
func (m *Map) HasStage(code string) bool { return m.stages[code] }

// HasSource reports whether the SOURCE entry (ticket type code) exists.
func (m *Map) HasSource(code string) bool { return m.sources[code] }

// Template returns the AUTO_EXECUTE of workflow template id (0 none, 1 on
// create, 2 on update, 3 both); ok is false when setup did not find it.
// A template with AUTO_EXECUTE 1 or 3 already starts on creation: do not
// start it again.
func (m *Map) Template(id int) (autoExecute int, ok bool) {
	autoExecute, ok = m.workflows[id]
	return autoExecute, ok
}

// StartsByItself reports whether the portal starts template id by itself
// (AUTO_EXECUTE 1, 2 or 3, as setup found it): b24desk never starts such a
// template, which would run it a second time on the same lead. A nil map
// or an unknown template: false.
func (m *Map) StartsByItself(id int) bool {
	if m == nil {
		return false
	}
	auto, ok := m.workflows[id]
	return ok && auto != 0
}

// Present returns nil when the recorded schema is complete: the version
// matches, every fixed field exists and every fixed enumeration item has an
// ID. Otherwise the error wraps ErrMissing and names what is missing.
func (m *Map) Present() error {
	if m.version == 0 {
		return fmt.Errorf("%w (setup never ran on this state)", ErrMissing)
	}
	if m.version != Version {
		return fmt.Errorf("%w (state has schema version %d, this binary needs %d)", ErrMissing, m.version, Version)
	}
	var missing []string
	for _, f := range Fields(nil) {
		if !m.fields[f.Name] {
			missing = append(missing, f.Name)
		}
	}
	for _, f := range fixedEnums() {
		for _, it := range f.Items {
			if _, ok := m.EnumID(f.Name, it.Key); !ok {
				missing = append(missing, f.Name+"="+it.Key)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%w (missing: %s)", ErrMissing, strings.Join(missing, ", "))
	}
	return nil
}
