package rules

import (
	"fmt"
	"net/textproto"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fieldOps gives each condition field its default operator: the one a plain
// value or list uses.
func defaultOp(field string) (string, bool) {
	switch field {
	case "subject", "body", "from_name", "header":
		return opRegex, true
	case "from", "to", "cc", "mailbox", "type", "priority", "tier", "status", "assignee", "lead":
		return opEquals, true
	case "from_domain":
		return opDomain, true
	}
	return "", false
}

// when reads a rule's `when:`; an invalid one never matches (the file is
// refused anyway), so it does not count as a catch-all.
func (p *parser) when(n *yaml.Node, path string) *Cond {
	if c := p.cond(n, path); c != nil {
		return c
	}
	return &Cond{kind: condAny, text: "invalid condition"}
}

// cond reads a `when:` mapping. Several keys in one mapping must all hold.
func (p *parser) cond(n *yaml.Node, path string) *Cond {
	if !p.noAlias(n, path) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, path, "a condition must be a mapping, not %s", kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errf(n, path, "empty condition (leave `when` out to match everything)")
		return nil
	}
	var parts []*Cond
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, kp := k.Value, join(path, k.Value)
		if seen[key] {
			p.errf(k, kp, "repeated key")
			continue
		}
		seen[key] = true
		if c := p.condKey(k, v, key, kp); c != nil {
			parts = append(parts, c)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return &Cond{kind: condAll, children: parts, text: joinTexts(parts, " and ")}
}

func joinTexts(cs []*Cond, sep string) string {
	t := make([]string, len(cs))
	for i, c := range cs {
		t[i] = c.text
	}
	return strings.Join(t, sep)
}

func (p *parser) condKey(k, v *yaml.Node, key, path string) *Cond {
	switch key {
	case "all", "any":
		var kids []*Cond
		p.items(v, path, func(_ int, iv *yaml.Node, ip string) {
			if c := p.cond(iv, ip); c != nil {
				kids = append(kids, c)
			}
		})
		if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			p.errf(v, path, "must list at least one condition")
		}
		if len(kids) == 0 {
			return nil
		}
		if key == "all" {
			return &Cond{kind: condAll, children: kids, text: "(" + joinTexts(kids, " and ") + ")"}
		}
		return &Cond{kind: condAny, children: kids, text: "(" + joinTexts(kids, " or ") + ")"}
	case "not":
		c := p.cond(v, path)
		if c == nil {
			return nil
		}
		return &Cond{kind: condNot, children: []*Cond{c}, text: "not " + c.text}
	case "has_attachment":
		b, ok := p.boolean(v, path)
		if !ok {
			return nil
		}
		return &Cond{kind: condField, leaf: leaf{field: key, want: b}, text: fmt.Sprintf("has_attachment is %v", b)}
	case "size":
		return p.sizeCond(v, path)
	case "header", "lead":
		var kids []*Cond
		p.mapItems(v, path, func(hk, hv *yaml.Node, hp string) {
			name := hk.Value
			if key == "header" {
				name = textproto.CanonicalMIMEHeaderKey(name)
			}
			if c := p.fieldCond(hv, hp, key, name); c != nil {
				kids = append(kids, c)
			}
		})
		if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
			p.errf(v, path, "must name at least one field")
		}
		if len(kids) == 0 {
			return nil
		}
		if len(kids) == 1 {
			return kids[0]
		}
		return &Cond{kind: condAll, children: kids, text: joinTexts(kids, " and ")}
	}
	if strings.HasPrefix(key, "UF_CRM_") {
		return p.fieldCond(v, path, "lead", key)
	}
	if _, ok := defaultOp(key); !ok {
		p.errf(k, path, "unknown condition %q (known: all, any, not, from, from_name, from_domain, to, cc, subject, body, header, has_attachment, size, mailbox, type, priority, tier, status, assignee, lead, UF_CRM_*)", key)
		return nil
	}
	return p.fieldCond(v, path, key, "")
}

// fieldCond reads the matcher of one field: a value or a list (the field's
// default operator) or a mapping {operator: value or list}.
func (p *parser) fieldCond(v *yaml.Node, path, field, key string) *Cond {
	op, _ := defaultOp(field)
	operand := v
	opPath := path
	if v.Kind == yaml.MappingNode {
		if len(v.Content) != 2 {
			p.errf(v, path, "write exactly one operator (regex, contains, equals, in, domain)")
			return nil
		}
		op = v.Content[0].Value
		operand = v.Content[1]
		opPath = join(path, op)
		switch op {
		case opRegex, opContains, opEquals, opIn, opDomain:
		default:
			p.errf(v.Content[0], opPath, "unknown operator %q (known: regex, contains, equals, in, domain)", op)
			return nil
		}
	}
	nodes, vals := p.strs(operand, opPath)
	if len(vals) == 0 {
		return nil
	}
	m := matcher{op: op}
	if m.op == opIn {
		m.op = opEquals
	}
	for i, s := range vals {
		switch m.op {
		case opRegex:
			re, err := compileRegex(s)
			if err != nil {
				p.errf(nodes[i], opPath, "bad regex %q: %s", s, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
				continue
			}
			m.res = append(m.res, re)
		case opDomain:
			m.vs = append(m.vs, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@")))
		case opContains:
			m.vs = append(m.vs, foldString(s))
		default:
			m.vs = append(m.vs, strings.ToLower(s))
		}
		if m.op == opEquals {
			switch field {
			case "type":
				p.typeRef(nodes[i], opPath, s)
			case "tier":
				p.tierRef(nodes[i], opPath, s)
			case "priority":
				if !validPriority(s) {
					p.errf(nodes[i], opPath, "unknown priority %q (known: low, normal, high, critical)", s)
				}
			}
		}
	}
	name := field
	if key != "" {
		name = field + "." + key
		if field == "lead" && strings.HasPrefix(key, "UF_CRM_") {
			name = key
		}
	}
	text := fmt.Sprintf("%s %s %s", name, opText(op), quoteList(vals))
	return &Cond{kind: condField, leaf: leaf{field: field, key: key, m: m}, text: text}
}

func opText(op string) string {
	switch op {
	case opRegex:
		return "matches"
	case opIn:
		return "in"
	case opDomain:
		return "domain is"
	}
	return op
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// sizeCond reads `size: ">1MB"`.
func (p *parser) sizeCond(v *yaml.Node, path string) *Cond {
	s, ok := p.str(v, path)
	if !ok {
		return nil
	}
	t := strings.TrimSpace(s)
	op := ""
	for _, o := range []string{">=", "<=", ">", "<"} {
		if strings.HasPrefix(t, o) {
			op = o
			break
		}
	}
	if op == "" {
		p.errf(v, path, "size %q must start with >, >=, < or <= (e.g. \">2MB\")", s)
		return nil
	}
	n, err := parseBytes(strings.TrimSpace(t[len(op):]))
	if err != nil {
		p.errf(v, path, "size %q: %s", s, err)
		return nil
	}
	return &Cond{kind: condField, leaf: leaf{field: "size", sizeOp: op, size: n}, text: "size " + t}
}

// parseBytes reads 500, 20KB, 2MB, 1GB (powers of 1024).
func parseBytes(s string) (int64, error) {
	u := strings.ToUpper(s)
	mult := int64(1)
	for _, x := range []struct {
		suffix string
		m      int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(u, x.suffix) {
			mult = x.m
			u = strings.TrimSpace(strings.TrimSuffix(u, x.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("not a size (use a number with B, KB, MB or GB)")
	}
	return n * mult, nil
}
