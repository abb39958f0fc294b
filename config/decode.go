package config

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	sizeType     = reflect.TypeFor[Size]()
	secretType   = reflect.TypeFor[Secret]()
	timeType     = reflect.TypeFor[time.Time]()
)

// maxAliasDepth stops alias chains (and alias cycles) in hostile files.
const maxAliasDepth = 16

func reflectValue(cfg *Config) reflect.Value { return reflect.ValueOf(cfg).Elem() }

// field is one configurable field of a struct.
type field struct {
	key   string
	index int
	path  bool // a filesystem path, resolved against the config directory
}

// fields lists the configurable fields of a struct type, in order.
func fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("yaml")
		if key == "" || key == "-" {
			continue
		}
		out = append(out, field{key: key, index: i, path: f.Tag.Get("b24") == "path"})
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// deref follows aliases, refusing long chains.
func (l *loader) deref(n *yaml.Node, path string, depth int) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		depth++
		if depth > maxAliasDepth || n.Alias == nil {
			l.addAt(origin{line: n.Line, col: n.Column}, path, "alias nested too deeply")
			return nil
		}
		n = n.Alias
	}
	return n
}

func nodeOrigin(n *yaml.Node) origin { return origin{line: n.Line, col: n.Column} }

// decode sets v from the YAML node n; path names v in messages.
func (l *loader) decode(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n = l.deref(n, path, depth); n == nil {
		return
	}
	at := nodeOrigin(n)
	if path != "" {
		l.origins[path] = at
	}
	isNull := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	switch {
	case v.Type() == timeType || v.Kind() != reflect.Struct && v.Kind() != reflect.Slice:
		if n.Kind != yaml.ScalarNode {
			l.addAt(at, path, "must be a single value, not a %s", kindName(n))
			l.failed[path] = true
			return
		}
		if isNull && v.Kind() != reflect.String {
			l.addAt(at, path, "needs a value")
			l.failed[path] = true
			return
		}
		if isNull {
			v.SetString("")
			l.secretValue(path, v, at)
			return
		}
		if msg := setScalar(v, n.Value, n.Tag); msg != "" {
			l.addAt(at, path, "%s", msg)
			l.failed[path] = true
			return
		}
		l.secretValue(path, v, at)
	case v.Kind() == reflect.Struct:
		if isNull {
			return
		}
		if n.Kind != yaml.MappingNode {
			l.addAt(at, path, "must be a mapping of keys, not a %s", kindName(n))
			return
		}
		l.decodeStruct(n, v, path, depth)
	case v.Kind() == reflect.Slice:
		if isNull {
			return
		}
		if n.Kind != yaml.SequenceNode {
			l.addAt(at, path, "must be a list, not a %s", kindName(n))
			return
		}
		l.decodeSlice(n, v, path, depth)
	}
}

func (l *loader) decodeStruct(n *yaml.Node, v reflect.Value, path string, depth int) {
	fs := fields(v.Type())
	byKey := make(map[string]field, len(fs))
	keys := make([]string, 0, len(fs))
	for _, f := range fs {
		byKey[f.key] = f
		keys = append(keys, f.key)
		if v.Field(f.index).Type() == secretType {
			keys = append(keys, f.key+"_file")
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			l.addAt(nodeOrigin(k), path, "a key must be a plain name")
			continue
		}
		p := joinPath(path, k.Value)
		if seen[k.Value] {
			l.addAt(nodeOrigin(k), p, "duplicate key")
			continue
		}
		seen[k.Value] = true
		if f, ok := byKey[k.Value]; ok {
			l.decode(val, v.Field(f.index), p, depth)
			continue
		}
		if base, ok := strings.CutSuffix(k.Value, "_file"); ok {
			if f, ok := byKey[base]; ok && v.Field(f.index).Type() == secretType {
				l.decodeSecretFile(val, joinPath(path, base), p, depth)
				continue
			}
		}
		l.addAt(nodeOrigin(k), p, "unknown key (known keys here: %s)", strings.Join(keys, ", "))
	}
}

func (l *loader) decodeSlice(n *yaml.Node, v reflect.Value, path string, depth int) {
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		elem := out.Index(i)
		if d, ok := elem.Addr().Interface().(interface{ setDefaults() }); ok {
			d.setDefaults()
		}
		l.decode(item, elem, path+"["+strconv.Itoa(i)+"]", depth)
	}
	v.Set(out)
}

// decodeSecretFile records a KEY_file entry; the file is read in finish.
func (l *loader) decodeSecretFile(n *yaml.Node, secretPath, path string, depth int) {
	if n = l.deref(n, path, depth); n == nil {
		return
	}
	at := nodeOrigin(n)
	l.origins[path] = at
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		l.addAt(at, path, "must be a file name")
		return
	}
	src := l.secret(secretPath)
	src.file, src.fileAt = n.Value, at
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "single value"
	}
}

// setScalar parses text into v. tag is the YAML tag, or "" for text from
// the environment (then no tag check is made). It returns a message, never
// containing the text of a secret.
func setScalar(v reflect.Value, text, tag string) string {
	fromEnv := tag == ""
	switch v.Type() {
	case durationType:
		d, err := parseDuration(text)
		if err != nil {
			return err.Error()
		}
		v.SetInt(int64(d))
		return ""
	case sizeType:
		s, err := ParseSize(text)
		if err != nil {
			return err.Error()
		}
		v.SetInt(int64(s))
		return ""
	case timeType:
		t, err := time.Parse(dateLayout, text)
		if err != nil {
			return "not a date (use YYYY-MM-DD)"
		}
		v.Set(reflect.ValueOf(t))
		return ""
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		if !fromEnv && tag != "!!bool" {
			return "must be true or false"
		}
		b, err := strconv.ParseBool(text)
		if err != nil {
			return "must be true or false"
		}
		v.SetBool(b)
	case reflect.Int:
		if !fromEnv && tag != "!!int" {
			return "must be a whole number"
		}
		n, err := strconv.ParseInt(text, 0, 32)
		if err != nil {
			return "must be a whole number"
		}
		v.SetInt(n)
	case reflect.Float64:
		if !fromEnv && tag != "!!int" && tag != "!!float" {
			return "must be a number"
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return "must be a number"
		}
		v.SetFloat(f)
	default:
		return "unsupported value"
	}
	return ""
}
