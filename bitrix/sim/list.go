package sim

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// pageSize is the portal's fixed list page.
const pageSize = 50

// cond is one filter condition: field, operator and the values it compares
// against (several for @ and !@, or when a list was sent).
type cond struct {
	field  string
	op     string
	values []string
}

type orderKey struct {
	field string
	desc  bool
}

// listQuery is a parsed filter/order/start of a list method.
type listQuery struct {
	conds   []cond
	order   []orderKey
	start   int
	noCount bool // start=-1
}

// filterOps are the filter key prefixes, longest first.
var filterOps = []string{">=", "<=", "!=", "!@", "=%", "!%", ">", "<", "=", "!", "@", "%"}

// parseList reads filter, order and start (upper- or lower-case keys).
func parseList(prm params) listQuery {
	q := listQuery{}
	f, _ := prm.get("filter", "FILTER")
	q.conds = parseFilter(f)
	o, _ := prm.get("order", "ORDER", "sort", "SORT")
	q.order = parseOrder(o)
	if n, ok := prm.num("start", "START"); ok {
		if n < 0 {
			q.noCount = true
		} else {
			q.start = n
		}
	}
	return q
}

func parseFilter(v any) []cond {
	obj := asObj(v)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []cond
	for _, k := range keys {
		op, field := "=", k
		for _, candidate := range filterOps {
			if strings.HasPrefix(k, candidate) {
				op, field = candidate, k[len(candidate):]
				break
			}
		}
		var vals []string
		switch x := obj[k].(type) {
		case []any, map[string]any:
			for _, e := range asList(x) {
				vals = append(vals, str(e))
			}
			if op == "=" {
				op = "@"
			} else if op == "!" || op == "!=" {
				op = "!@"
			}
		default:
			vals = []string{filterScalar(x)}
		}
		out = append(out, cond{field: strings.ToUpper(field), op: op, values: vals})
	}
	return out
}

func filterScalar(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "Y"
		}
		return "N"
	}
	return str(v)
}

func parseOrder(v any) []orderKey {
	obj := asObj(v)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]orderKey, 0, len(keys))
	for _, k := range keys {
		out = append(out, orderKey{field: strings.ToUpper(k), desc: strings.EqualFold(str(obj[k]), "DESC")})
	}
	return out
}

// getter returns a row's values for a field (several for multifields).
type getter func(id int, field string) []string

// run filters, orders and pages ids (ascending) and returns the page's IDs
// with next (-1 for none) and total.
func (q listQuery) run(ids []int, get getter) (page []int, next, total int) {
	next = -1
	byID := len(q.order) == 0 || (len(q.order) == 1 && q.order[0].field == "ID" && !q.order[0].desc)
	if !byID {
		var all []int
		for _, id := range ids {
			if q.match(id, get) {
				all = append(all, id)
			}
		}
		q.sort(all, get)
		return q.slice(all, len(all))
	}
	from := sort.SearchInts(ids, q.minID())
	count := 0
	for _, id := range ids[from:] {
		if !q.match(id, get) {
			continue
		}
		if count >= q.start && len(page) < pageSize {
			page = append(page, id)
		}
		count++
		if q.noCount && len(page) == pageSize {
			break
		}
	}
	if q.noCount {
		return page, -1, 0
	}
	if q.start+pageSize < count {
		next = q.start + pageSize
	}
	return page, next, count
}

func (q listQuery) slice(all []int, total int) ([]int, int, int) {
	start := q.start
	if start > len(all) {
		start = len(all)
	}
	end := min(start+pageSize, len(all))
	next := -1
	if !q.noCount && end < len(all) {
		next = end
	}
	if q.noCount {
		total = 0
	}
	return all[start:end], next, total
}

// minID is the smallest ID the ID conditions allow (a fast path for scans).
func (q listQuery) minID() int {
	lo := 0
	for _, c := range q.conds {
		if c.field != "ID" || len(c.values) != 1 {
			continue
		}
		n, err := strconv.Atoi(c.values[0])
		if err != nil {
			continue
		}
		switch c.op {
		case ">":
			lo = max(lo, n+1)
		case ">=", "=":
			lo = max(lo, n)
		}
	}
	return lo
}

func (q listQuery) match(id int, get getter) bool {
	for _, c := range q.conds {
		if !c.match(get(id, c.field)) {
			return false
		}
	}
	return true
}

func (q listQuery) sort(ids []int, get getter) {
	sort.SliceStable(ids, func(i, j int) bool {
		for _, k := range q.order {
			a, b := first(get(ids[i], k.field)), first(get(ids[j], k.field))
			c := compare(a, b)
			if c == 0 {
				continue
			}
			if k.desc {
				return c > 0
			}
			return c < 0
		}
		return ids[i] < ids[j]
	})
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (c cond) match(vals []string) bool {
	if len(vals) == 0 {
		vals = []string{""}
	}
	switch c.op {
	case "=", "@":
		return anyPair(vals, c.values, func(a, b string) bool { return compare(a, b) == 0 })
	case "!", "!=", "!@":
		return !anyPair(vals, c.values, func(a, b string) bool { return compare(a, b) == 0 })
	case ">":
		return anyPair(vals, c.values, func(a, b string) bool { return a != "" && compare(a, b) > 0 })
	case ">=":
		return anyPair(vals, c.values, func(a, b string) bool { return a != "" && compare(a, b) >= 0 })
	case "<":
		return anyPair(vals, c.values, func(a, b string) bool { return a != "" && compare(a, b) < 0 })
	case "<=":
		return anyPair(vals, c.values, func(a, b string) bool { return a != "" && compare(a, b) <= 0 })
	case "%":
		return anyPair(vals, c.values, containsFold)
	case "!%":
		return !anyPair(vals, c.values, containsFold)
	case "=%":
		return anyPair(vals, c.values, like)
	}
	return false
}

func anyPair(vals, want []string, f func(a, b string) bool) bool {
	for _, a := range vals {
		for _, b := range want {
			if f(a, b) {
				return true
			}
		}
	}
	return false
}

func containsFold(a, b string) bool {
	return strings.Contains(strings.ToLower(a), strings.ToLower(b))
}

// like matches an SQL LIKE pattern (% any run, _ one character), ignoring case.
func like(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	parts := strings.Split(pattern, "%")
	if len(parts) == 1 {
		return likeExact(s, pattern)
	}
	if !likePrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := indexLike(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	last := parts[len(parts)-1]
	return len(s) >= len(last) && likeExact(s[len(s)-len(last):], last)
}

func likeExact(s, p string) bool { return len(s) == len(p) && likePrefix(s, p) }

func likePrefix(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '_' && p[i] != s[i] {
			return false
		}
	}
	return true
}

func indexLike(s, p string) int {
	for i := 0; i+len(p) <= len(s); i++ {
		if likePrefix(s[i:], p) {
			return i
		}
	}
	return -1
}

// compare orders two field values: as numbers when both are numbers, as
// times when both are dates, else as strings.
func compare(a, b string) int {
	if fa, err := strconv.ParseFloat(a, 64); err == nil {
		if fb, err := strconv.ParseFloat(b, 64); err == nil {
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		}
	}
	if ta, ok := parseDate(a, time.UTC); ok {
		if tb, ok := parseDate(b, time.UTC); ok {
			return ta.Compare(tb)
		}
	}
	return strings.Compare(a, b)
}

// dateLayouts are the date forms the portal accepts.
var dateLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02",
	"02.01.2006 15:04:05", "02.01.2006",
}

// parseDate reads a date or date-time; without an offset it is in loc.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 40 {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
