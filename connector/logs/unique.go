// Package logs keeps b24desk's log lines well formed: every key once.
//
// zerolog appends the fields of each With() to the line, so a part built
// from its parent's logger repeats the parent's keys
// ("component":"mail",…,"component":"imapbox"). The writer here rewrites
// such a line before it is printed: the components nest in order
// ("mail.imapbox", a repeated name once), and for any other key the
// innermost value (the last one) wins, at the key's first place.
package logs

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

// ComponentKey is the field that names the part of b24desk a line is from.
const ComponentKey = "component"

// UniqueKeys returns a writer that passes each log line (one JSON object
// per Write, as zerolog writes them) to w with every key once. A line that
// is not a JSON object is passed as it is.
func UniqueKeys(w io.Writer) io.Writer {
	return &uniqueKeys{w: w}
}

type uniqueKeys struct {
	mu sync.Mutex
	w  io.Writer
}

func (u *uniqueKeys) Write(p []byte) (int, error) {
	line, ok := dedupe(p)
	if !ok {
		line = p
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, err := u.w.Write(line); err != nil {
		return 0, err
	}
	return len(p), nil
}

// field is one key of a line with its raw JSON value.
type field struct {
	key   string
	value json.RawMessage
}

// dedupe rewrites one JSON object line; ok is false when p is not one or
// has no repeated key (the caller then writes p unchanged).
func dedupe(p []byte) (out []byte, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var fields []field
	at := map[string]int{}
	var components []string
	repeated := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, isKey := t.(string)
		if !isKey {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if key == ComponentKey {
			var name string
			if json.Unmarshal(v, &name) == nil && (len(components) == 0 || components[len(components)-1] != name) {
				components = append(components, name)
			}
		}
		if i, seen := at[key]; seen {
			repeated = true
			fields[i].value = v
			continue
		}
		at[key] = len(fields)
		fields = append(fields, field{key: key, value: v})
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') || len(bytes.TrimSpace(p[dec.InputOffset():])) > 0 {
		return nil, false // not one whole JSON object
	}
	if !repeated {
		return nil, false
	}
	if i, found := at[ComponentKey]; found && len(components) > 0 {
		fields[i].value, _ = json.Marshal(strings.Join(components, "."))
	}
	var b bytes.Buffer
	b.Grow(len(p))
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.value)
	}
	b.WriteString("}\n")
	return b.Bytes(), true
}

// Repeated lists the keys a JSON object line has more than once (nil when
// none, or when the line is not a JSON object): for tests of what b24desk
// prints.
func Repeated(line []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return out
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		if seen[key] {
			out = append(out, key)
		}
		seen[key] = true
	}
	return out
}
