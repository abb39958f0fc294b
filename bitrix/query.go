package bitrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxQueryDepth bounds the bracket nesting DecodeQuery accepts (PHP's
// max_input_nesting_level is 64).
const maxQueryDepth = 32

// ErrQuery is wrapped by every DecodeQuery error.
var ErrQuery = errors.New("bad query string")

// EncodeQuery writes params as a PHP-style query string, the form Bitrix24
// expects for batch commands: nested maps become bracketed keys
// (fields[TITLE]=x, filter[>ID]=5), lists of scalars become key[]=v, lists
// holding maps or lists use explicit indices (fields[EMAIL][0][VALUE]=a@b.c).
// Map keys are sorted so the output is deterministic; keys and values are
// URL-encoded once, exactly as url.Values.Encode does (so brackets appear as
// %5B and %5D).
//
// Scalars: strings as is, integers and floats in decimal, booleans as 1/0
// (as PHP's http_build_query), time.Time as RFC 3339 with offset, nil as an
// empty value (key=). Empty maps and lists produce nothing, as in PHP. Any
// other type (a struct, a typed map) is first converted through its JSON
// form.
func EncodeQuery(params map[string]any) string {
	var b strings.Builder
	keys := sortedKeys(params)
	for _, k := range keys {
		encodeValue(&b, k, params[k])
	}
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func writePair(b *strings.Builder, key, value string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(url.QueryEscape(key))
	b.WriteByte('=')
	b.WriteString(url.QueryEscape(value))
}

func encodeValue(b *strings.Builder, key string, v any) {
	switch x := v.(type) {
	case nil:
		writePair(b, key, "")
	case string:
		writePair(b, key, x)
	case json.Number:
		writePair(b, key, x.String())
	case bool:
		if x {
			writePair(b, key, "1")
		} else {
			writePair(b, key, "0")
		}
	case int:
		writePair(b, key, strconv.Itoa(x))
	case int64:
		writePair(b, key, strconv.FormatInt(x, 10))
	case int32:
		writePair(b, key, strconv.FormatInt(int64(x), 10))
	case uint:
		writePair(b, key, strconv.FormatUint(uint64(x), 10))
	case uint64:
		writePair(b, key, strconv.FormatUint(x, 10))
	case uint32:
		writePair(b, key, strconv.FormatUint(uint64(x), 10))
	case float64:
		writePair(b, key, strconv.FormatFloat(x, 'f', -1, 64))
	case float32:
		writePair(b, key, strconv.FormatFloat(float64(x), 'f', -1, 32))
	case time.Time:
		writePair(b, key, x.Format(time.RFC3339))
	case FlexInt:
		writePair(b, key, strconv.FormatInt(int64(x), 10))
	case map[string]any:
		for _, k := range sortedKeys(x) {
			encodeValue(b, key+"["+k+"]", x[k])
		}
	case []any:
		encodeList(b, key, x)
	case []string:
		for _, s := range x {
			writePair(b, key+"[]", s)
		}
	case []int:
		for _, n := range x {
			writePair(b, key+"[]", strconv.Itoa(n))
		}
	default:
		encodeOther(b, key, v)
	}
}

func encodeList(b *strings.Builder, key string, list []any) {
	indexed := false
	for _, e := range list {
		if isContainer(e) {
			indexed = true
			break
		}
	}
	for i, e := range list {
		if indexed {
			encodeValue(b, key+"["+strconv.Itoa(i)+"]", e)
		} else {
			encodeValue(b, key+"[]", e)
		}
	}
}

func isContainer(v any) bool {
	switch v.(type) {
	case nil, string, json.Number, bool, int, int64, int32, uint, uint64, uint32,
		float64, float32, time.Time, FlexInt:
		return false
	}
	return true
}

// encodeOther handles every type the switch does not know: other integer
// kinds directly, everything else through its JSON form.
func encodeOther(b *strings.Builder, key string, v any) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int8, reflect.Int16:
		writePair(b, key, strconv.FormatInt(rv.Int(), 10))
		return
	case reflect.Uint8, reflect.Uint16:
		writePair(b, key, strconv.FormatUint(rv.Uint(), 10))
		return
	case reflect.String:
		writePair(b, key, rv.String())
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		writePair(b, key, fmt.Sprint(v))
		return
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		writePair(b, key, string(data))
		return
	}
	if s, ok := generic.(string); ok {
		writePair(b, key, s)
		return
	}
	encodeValue(b, key, generic)
}

// DecodeQuery parses a PHP-style query string into nested values, the
// inverse of EncodeQuery. Values are strings; bracketed keys build
// map[string]any levels; key[]=v appends. A level whose keys are exactly the
// decimal integers 0..n-1 (whether written as [] or [0], [1]...) becomes a
// []any in index order; any other level is a map[string]any (so a[0]=x&a[2]=y
// is a map with keys "0" and "2"). As in PHP, a later key wins over an
// earlier one (a=1&a[b]=2 gives a map), text after the last closing bracket
// is ignored, a key with an unclosed bracket or an empty name is taken
// literally, and the '+' sign means a space. Malformed percent-encoding or
// nesting deeper than 32 levels is an error wrapping ErrQuery.
func DecodeQuery(q string) (map[string]any, error) {
	root := newQNode()
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrQuery, truncate(rawKey, 40), err)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, fmt.Errorf("%w: value of %q: %w", ErrQuery, truncate(key, 40), err)
		}
		path, err := splitKey(key)
		if err != nil {
			return nil, err
		}
		root.set(path, value)
	}
	out := make(map[string]any, len(root.keys))
	for _, k := range root.keys {
		out[k] = root.children[k].finish()
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// splitKey turns "a[b][][c]" into ["a", "b", "", "c"], where "" means append.
func splitKey(key string) ([]string, error) {
	open := strings.IndexByte(key, '[')
	if open <= 0 || !strings.Contains(key[open:], "]") {
		return []string{key}, nil
	}
	path := []string{key[:open]}
	rest := key[open:]
	for len(rest) > 0 && rest[0] == '[' {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			break // PHP ignores an unclosed trailing bracket
		}
		path = append(path, rest[1:end])
		if len(path) > maxQueryDepth {
			return nil, fmt.Errorf("%w: key %q nested deeper than %d levels", ErrQuery, truncate(key, 40), maxQueryDepth)
		}
		rest = rest[end+1:]
	}
	return path, nil
}

// qNode is one level of a decoded query: a scalar or an ordered container.
type qNode struct {
	scalar   bool
	value    string
	keys     []string
	children map[string]*qNode
	next     int // next index for []
}

func newQNode() *qNode { return &qNode{children: map[string]*qNode{}} }

func (n *qNode) set(path []string, value string) {
	for i, seg := range path {
		if seg == "" && i > 0 {
			seg = strconv.Itoa(n.next)
		}
		if idx, ok := phpIndex(seg); ok && idx >= n.next {
			n.next = idx + 1
		}
		child, ok := n.children[seg]
		if !ok {
			child = newQNode()
			n.children[seg] = child
			n.keys = append(n.keys, seg)
		}
		if i == len(path)-1 {
			*child = qNode{scalar: true, value: value}
			return
		}
		if child.scalar {
			*child = *newQNode() // a later container key wins over an earlier scalar
		}
		n = child
	}
}

// phpIndex reports whether s is a canonical non-negative decimal integer.
func phpIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (n *qNode) finish() any {
	if n.scalar {
		return n.value
	}
	if n.isList() {
		list := make([]any, len(n.keys))
		for _, k := range n.keys {
			i, _ := phpIndex(k)
			list[i] = n.children[k].finish()
		}
		return list
	}
	m := make(map[string]any, len(n.keys))
	for _, k := range n.keys {
		m[k] = n.children[k].finish()
	}
	return m
}

func (n *qNode) isList() bool {
	if len(n.keys) == 0 {
		return false
	}
	for _, k := range n.keys {
		i, ok := phpIndex(k)
		if !ok || i >= len(n.keys) {
			return false
		}
	}
	return true // keys are distinct, so 0..n-1 each exactly once
}
