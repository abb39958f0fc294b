package sim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// params is a decoded request or command: JSON values (with json.Number),
// or the strings, maps and lists of the PHP-style query codec.
type params map[string]any

// get returns the value of the first key present, trying them in order
// (the portal accepts several spellings for some parameters).
func (p params) get(keys ...string) (any, bool) {
	for _, k := range keys {
		if v, ok := p[k]; ok {
			return v, true
		}
	}
	return nil, false
}

func (p params) str(keys ...string) string {
	v, _ := p.get(keys...)
	return str(v)
}

func (p params) num(keys ...string) (int, bool) {
	v, ok := p.get(keys...)
	if !ok {
		return 0, false
	}
	return toInt(v)
}

func (p params) obj(keys ...string) params {
	v, _ := p.get(keys...)
	return asObj(v)
}

// str renders a scalar as the portal would read it from a query string.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

// toInt reads an integer from a number or a numeric string.
func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		if x != float64(int(x)) {
			return 0, false
		}
		return int(x), true
	}
	s := strings.TrimSpace(str(v))
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int(f)) {
			return 0, false
		}
		return int(f), true
	}
	return n, true
}

// truthy reads the portal's loose booleans: Y/N, 1/0, true/false.
func truthy(v any) bool {
	if b, ok := v.(bool); ok {
		return b
	}
	switch strings.ToUpper(strings.TrimSpace(str(v))) {
	case "Y", "1", "TRUE", "YES":
		return true
	}
	return false
}

// asObj returns v as an object; a list becomes an object keyed by index and
// anything else an empty object.
func asObj(v any) params {
	switch x := v.(type) {
	case map[string]any:
		return params(x)
	case params:
		return x
	case []any:
		m := make(params, len(x))
		for i, e := range x {
			m[strconv.Itoa(i)] = e
		}
		return m
	}
	return params{}
}

// asList returns v as a list: an object keyed by indexes ("0", "1", ...)
// from a PHP-style query becomes a list in key order, a scalar a one-item
// list, nil an empty list.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case map[string]any:
		return objValues(x)
	case params:
		return objValues(x)
	}
	return []any{v}
}

func objValues(m map[string]any) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortKeys(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// sortKeys orders keys numerically where both are numbers, else as strings.
func sortKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		a, aerr := strconv.Atoi(keys[i])
		b, berr := strconv.Atoi(keys[j])
		if aerr == nil && berr == nil {
			return a < b
		}
		if (aerr == nil) != (berr == nil) {
			return aerr == nil
		}
		return keys[i] < keys[j]
	})
}

// upperKeys returns a copy of an object with upper-case keys (the portal
// treats most parameter names case-insensitively).
func upperKeys(p params) params {
	out := make(params, len(p))
	for k, v := range p {
		out[strings.ToUpper(k)] = v
	}
	return out
}

// idStr renders an ID the way rows carry it: a string.
func idStr(id int) string { return strconv.Itoa(id) }
