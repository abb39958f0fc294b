package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// holidayHorizon is how far ahead holiday data must reach before Parse warns.
const holidayHorizon = 60 * 24 * time.Hour

// Load reads and checks a rules file. now is used only for warnings (holiday
// data that ends soon). An invalid file returns Problems.
func Load(path string, now time.Time) (*Rules, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read rules: %w", err)
	}
	return Parse(path, data, now)
}

// Parse checks a rules file's content; name is used in positions, and the
// production calendar files its calendars import are read beside it on
// disk. It returns the rules and warnings, or nil and Problems listing every
// problem found.
func Parse(name string, data []byte, now time.Time) (*Rules, []Warning, error) {
	return parse(name, data, now, diskReader(name))
}

// ParseFS is Load for a rules file inside fsys (the embedded default rules
// and the files they import).
func ParseFS(fsys fs.FS, name string, now time.Time) (*Rules, []Warning, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, nil, fmt.Errorf("read rules: %w", err)
	}
	return parse(name, data, now, fsReader(fsys, name))
}

func parse(name string, data []byte, now time.Time, read fileReader) (*Rules, []Warning, error) {
	p := &parser{file: name, read: read, r: &Rules{
		Pools:     map[string]*Pool{},
		Calendars: map[string]*Calendar{},
		BodyLimit: DefaultBodyLimit,
		Spam:      defaultSpam(),
	}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlError(err)
		return nil, nil, Problems(p.probs)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.add(1, 1, "", "the file is empty")
		return nil, nil, Problems(p.probs)
	}
	p.top(doc.Content[0])
	for _, f := range p.later {
		f()
	}
	p.warnings(now)
	sortProblems(p.probs)
	sortProblems(p.warns)
	if len(p.probs) > 0 {
		return nil, p.warns, Problems(p.probs)
	}
	return p.r, p.warns, nil
}

// parser walks the YAML node tree, collecting problems instead of stopping.
type parser struct {
	file  string
	read  fileReader        // reads the files calendars import
	hand  map[int]handEntry // the calendar being read: days the file lists by hand
	r     *Rules
	probs []Problem
	warns []Problem
	later []func() // cross-reference checks run after the whole file is read
	// nodes remembers where some things were defined, for later messages.
	classifyNodes []*yaml.Node
	routeNodes    []*yaml.Node
	tierNodes     []*yaml.Node
	slaNodes      []*yaml.Node
	calNodes      map[string]*yaml.Node
	// intakeNodes are the nodes of r.IntakeSources, for later checks.
	intakeNodes  []*yaml.Node
	classifyNode *yaml.Node
}

var (
	yamlLine       = regexp.MustCompile(`line (\d+)`)
	yamlLinePrefix = regexp.MustCompile(`^line \d+: `)
)

func (p *parser) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil {
			line = n
		}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = yamlLinePrefix.ReplaceAllString(msg, "")
	p.add(line, 1, "", "invalid YAML: "+msg)
}

func (p *parser) add(line, col int, path, msg string) {
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Col: col, Path: path, Msg: msg})
}

func (p *parser) errf(n *yaml.Node, path, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	p.add(line, col, path, fmt.Sprintf(format, args...))
}

func (p *parser) warnf(n *yaml.Node, path, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	p.warns = append(p.warns, Problem{File: p.file, Line: line, Col: col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return "a single value"
}

// noAlias reports an alias as a problem: the file format has none.
func (p *parser) noAlias(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode {
		p.errf(n, path, "anchors and aliases are not supported")
		return false
	}
	return true
}

// handler reads one key's value.
type handler func(v *yaml.Node, path string)

// fields reads a mapping with known keys; unknown and repeated keys are
// problems. It returns the keys present, or nil when n is no mapping.
func (p *parser) fields(n *yaml.Node, path string, hs map[string]handler) map[string]*yaml.Node {
	if !p.noAlias(n, path) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, path, "must be a mapping, not %s", kindName(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if _, dup := seen[key]; dup {
			p.errf(k, join(path, key), "repeated key")
			continue
		}
		seen[key] = v
		h, ok := hs[key]
		if !ok {
			p.errf(k, join(path, key), "unknown key (known: %s)", knownKeys(hs))
			continue
		}
		h(v, join(path, key))
	}
	return seen
}

func knownKeys(hs map[string]handler) string {
	keys := make([]string, 0, len(hs))
	for k := range hs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// require reports required keys that are missing from a mapping.
func (p *parser) require(n *yaml.Node, path string, seen map[string]*yaml.Node, keys ...string) {
	if seen == nil {
		return
	}
	for _, k := range keys {
		if _, ok := seen[k]; !ok {
			p.errf(n, path, "missing key %q", k)
		}
	}
}

// mapItems calls f for each key and value of a mapping of user-chosen keys.
func (p *parser) mapItems(n *yaml.Node, path string, f func(k, v *yaml.Node, path string)) {
	if !p.noAlias(n, path) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, path, "must be a mapping, not %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.errf(k, join(path, k.Value), "repeated key")
			continue
		}
		seen[k.Value] = true
		f(k, v, join(path, k.Value))
	}
}

// items calls f for each entry of a list.
func (p *parser) items(n *yaml.Node, path string, f func(i int, v *yaml.Node, path string)) {
	if !p.noAlias(n, path) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(n, path, "must be a list, not %s", kindName(n))
		return
	}
	for i, v := range n.Content {
		f(i, v, index(path, i))
	}
}

// str reads a non-empty single value.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	if !p.noAlias(n, path) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n, path, "must be a single value, not %s", kindName(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		p.errf(n, path, "must not be empty")
		return "", false
	}
	return n.Value, true
}

func (p *parser) integer(n *yaml.Node, path string) (int, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.errf(n, path, "must be a whole number, not %q", s)
		return 0, false
	}
	return v, true
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return false, false
	}
	switch s {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	p.errf(n, path, "must be true or false, not %q", s)
	return false, false
}

// strs reads a single value or a list of single values.
func (p *parser) strs(n *yaml.Node, path string) ([]*yaml.Node, []string) {
	if !p.noAlias(n, path) {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		if s, ok := p.str(n, path); ok {
			return []*yaml.Node{n}, []string{s}
		}
		return nil, nil
	}
	var nodes []*yaml.Node
	var out []string
	p.items(n, path, func(_ int, v *yaml.Node, ip string) {
		if s, ok := p.str(v, ip); ok {
			nodes = append(nodes, v)
			out = append(out, s)
		}
	})
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.errf(n, path, "must not be an empty list")
	}
	return nodes, out
}

// users reads a list of user IDs (positive whole numbers).
func (p *parser) users(n *yaml.Node, path string) []int {
	var out []int
	p.items(n, path, func(_ int, v *yaml.Node, ip string) {
		if id, ok := p.userID(v, ip); ok {
			out = append(out, id)
		}
	})
	return out
}

func (p *parser) userID(n *yaml.Node, path string) (int, bool) {
	id, ok := p.integer(n, path)
	if ok && id <= 0 {
		p.errf(n, path, "a user ID must be a positive number, not %d", id)
		return 0, false
	}
	return id, ok
}
