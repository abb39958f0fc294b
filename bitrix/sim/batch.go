package sim

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
)

// maxBatch is the most commands one batch runs: the commands past it end
// with ERROR_BATCH_LENGTH_EXCEEDED each, the first maxBatch run as usual
// (settings/how-to-call-rest-api/batch.md: "subqueries beyond the limit
// will end with an error ERROR_BATCH_LENGTH_EXCEEDED").
const maxBatch = 50

// errBatchLength is the error of a command past maxBatch.
var errBatchLength = errf(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")

// cmdOrderKey carries the command keys in request order (Go maps lose it).
const cmdOrderKey = "\x00cmd-order"

// ref matches $result[key][path]... (and $result_total, $result_next).
var ref = regexp.MustCompile(`\$(result|result_total|result_next)\[([^\]]*)\]((?:\[[^\]]*\])*)`)

// batchRun holds the answer sections of one batch.
type batchRun struct {
	keys    []string
	isList  bool
	result  map[string]any
	errs    map[string]any
	total   map[string]any
	next    map[string]any
	timings map[string]any
}

func (p *Portal) batch(c *call) (outcome, *apiError) {
	raw, _ := c.params.get("cmd", "CMD")
	keys, cmds, isList := batchCommands(raw, c.params[cmdOrderKey])
	for _, k := range keys {
		if name, _ := splitCommand(cmds[k]); name == "batch" {
			return outcome{}, errf(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
		}
	}
	halt := truthy(c.params["halt"])
	run := &batchRun{keys: keys, isList: isList, result: map[string]any{}, errs: map[string]any{},
		total: map[string]any{}, next: map[string]any{}, timings: map[string]any{}}
	for i, k := range keys {
		if i >= maxBatch {
			run.errs[k] = errBatchLength.body()
			if halt {
				break
			}
			continue
		}
		start := p.clk.Now()
		res, e := p.batchOne(c, cmds[k], run)
		run.timings[k] = p.timeSection(timing{start: start, finish: p.clk.Now()})
		if e != nil {
			run.errs[k] = e.body()
			if halt {
				break
			}
			continue
		}
		run.result[k] = res.result
		if res.list {
			run.total[k] = res.total
			if res.next >= 0 {
				run.next[k] = res.next
			}
		}
	}
	// limits.md: "An external call to batch is not accounted for in
	// operating. Nested calls are executed as separate methods, so the
	// execution time of each is accounted for and checked against its own
	// limit" (batchOne).
	return plain(map[string]any{
		"result": run.section(run.result), "result_error": run.section(run.errs),
		"result_total": run.section(run.total), "result_next": run.section(run.next),
		"result_time": run.section(run.timings),
	}), nil
}

// batchOne runs one command of a batch.
func (p *Portal) batchOne(c *call, cmd string, run *batchRun) (outcome, *apiError) {
	name, query := splitCommand(cmd)
	prm, err := bitrix.DecodeQuery(query)
	if err != nil {
		return outcome{}, errf(400, "INVALID_REQUEST", "Invalid command query string")
	}
	inner := &call{ctx: c.ctx, method: name, params: run.substitute(prm).(map[string]any), app: c.app,
		user: c.user, inBatch: true}
	delete(inner.params, "auth")
	m, e := p.lookup(inner)
	if e != nil {
		return outcome{}, e
	}
	if e := p.checkOperating(name); e != nil {
		return outcome{}, e
	}
	res, e := m.fn(inner)
	p.chargeOperating(name, callCost(inner.params, res))
	return res, e
}

// splitCommand splits "crm.lead.get?id=1" into the method and the query.
func splitCommand(cmd string) (string, string) {
	name, query, _ := strings.Cut(strings.TrimSpace(cmd), "?")
	return strings.ToLower(strings.TrimSuffix(strings.Trim(name, "/"), ".json")), query
}

// batchCommands returns the command keys in order and the commands.
func batchCommands(raw, order any) ([]string, map[string]string, bool) {
	cmds := map[string]string{}
	if list, ok := raw.([]any); ok {
		keys := make([]string, len(list))
		for i, v := range list {
			keys[i] = strconv.Itoa(i)
			cmds[keys[i]] = str(v)
		}
		return keys, cmds, true
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, cmds, false
	}
	for k, v := range obj {
		cmds[k] = str(v)
	}
	var keys []string
	if o, ok := order.([]string); ok && len(o) == len(obj) {
		for _, k := range o {
			if _, found := obj[k]; found {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) != len(obj) {
		keys = keys[:0]
		for k := range obj {
			keys = append(keys, k)
		}
		sortKeys(keys)
	}
	return keys, cmds, false
}

// section renders an answer section as PHP's json_encode does: [] when
// empty, a list when the commands were a list and the section holds
// exactly their first len(m) keys (0, 1, ... in order), else an object.
func (r *batchRun) section(m map[string]any) any {
	if len(m) == 0 {
		return []any{}
	}
	if !r.isList || len(m) > len(r.keys) {
		return m
	}
	out := make([]any, len(m))
	for i, k := range r.keys[:len(m)] {
		v, ok := m[k]
		if !ok {
			return m
		}
		out[i] = v
	}
	return out
}

// substitute replaces $result[...] references inside decoded values; a
// reference that cannot be resolved stays as literal text.
func (r *batchRun) substitute(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.substitute(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.substitute(e)
		}
		return out
	case string:
		if !strings.Contains(x, "$result") {
			return x
		}
		if m := ref.FindStringSubmatchIndex(x); m != nil && m[0] == 0 && m[1] == len(x) {
			if val, ok := r.resolve(x); ok {
				return val
			}
			return x
		}
		return ref.ReplaceAllStringFunc(x, func(s string) string {
			val, ok := r.resolve(s)
			if !ok || isContainerValue(val) {
				return s
			}
			return str(val)
		})
	}
	return v
}

func isContainerValue(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// resolve looks one reference up in the earlier results.
func (r *batchRun) resolve(s string) (any, bool) {
	m := ref.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	src := r.result
	switch m[1] {
	case "result_total":
		src = r.total
	case "result_next":
		src = r.next
	}
	v, ok := src[m[2]]
	if !ok {
		return nil, false
	}
	for _, seg := range splitPath(m[3]) {
		switch x := v.(type) {
		case map[string]any:
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	if v == nil {
		return nil, false
	}
	return v, true
}

// splitPath turns "[49][ID]" into ["49", "ID"].
func splitPath(s string) []string {
	var out []string
	for len(s) > 1 && s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			break
		}
		out = append(out, s[1:end])
		s = s[end+1:]
	}
	return out
}

// orderedJSONKeys returns the keys of the top-level object field, in order.
func orderedJSONKeys(body []byte, field string) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		if k, _ := t.(string); k != field {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil, false
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return nil, false
		}
		var keys []string
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return nil, false
			}
			k, _ := t.(string)
			keys = append(keys, k)
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil, false
			}
		}
		return keys, true
	}
	return nil, false
}

// orderedFormKeys returns the first-level keys under field in a form body.
func orderedFormKeys(body, field string) []string {
	var keys []string
	seen := map[string]bool{}
	for part := range strings.SplitSeq(body, "&") {
		k, _, _ := strings.Cut(part, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || !strings.HasPrefix(k, field+"[") {
			continue
		}
		end := strings.IndexByte(k, ']')
		if end < 0 {
			continue
		}
		name := k[len(field)+1 : end]
		if !seen[name] {
			seen[name] = true
			keys = append(keys, name)
		}
	}
	return keys
}
