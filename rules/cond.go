package rules

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Cond is a compiled condition of a `when:` block. Regular expressions are
// compiled once, when the file is loaded.
type Cond struct {
	kind     condKind
	children []*Cond // all, any
	leaf     leaf
	text     string // how the trail describes this condition
}

type condKind int

const (
	condAll condKind = iota
	condAny
	condNot
	condField
)

// Match reports whether the condition holds for the input. A nil condition
// matches everything.
func (c *Cond) Match(in *Input, bodyLimit int) bool {
	if c == nil {
		return true
	}
	ev := newEval(in, bodyLimit)
	return c.eval(ev)
}

// String describes the condition as written.
func (c *Cond) String() string {
	if c == nil {
		return "always"
	}
	return c.text
}

func (c *Cond) eval(ev *eval) bool {
	switch c.kind {
	case condAll:
		for _, ch := range c.children {
			if !ch.eval(ev) {
				return false
			}
		}
		return true
	case condAny:
		for _, ch := range c.children {
			if ch.eval(ev) {
				return true
			}
		}
		return false
	case condNot:
		return !c.children[0].eval(ev)
	}
	return c.leaf.eval(ev)
}

// explain returns why a matching condition matched: the leaves that held.
func (c *Cond) explain(ev *eval) string {
	if c == nil {
		return "no condition (matches everything)"
	}
	switch c.kind {
	case condAll:
		parts := make([]string, 0, len(c.children))
		for _, ch := range c.children {
			parts = append(parts, ch.explain(ev))
		}
		return strings.Join(parts, " and ")
	case condAny:
		for _, ch := range c.children {
			if ch.eval(ev) {
				return ch.explain(ev)
			}
		}
	case condField:
		if v, ok := c.leaf.matched(ev); ok {
			return fmt.Sprintf("%s (%q)", c.text, clip(v, 60))
		}
	}
	return c.text
}

// eval is one evaluation: the input plus values computed once per input.
type eval struct {
	in   *Input
	body string
	// folded body and subject, computed on first use.
	bodyFold, subjectFold string
	bodyDone, subjectDone bool
}

// Which values foldOf caches.
const (
	cacheNone = iota
	cacheBody
	cacheSubject
)

func newEval(in *Input, bodyLimit int) *eval {
	if bodyLimit <= 0 {
		bodyLimit = DefaultBodyLimit
	}
	return &eval{in: in, body: truncateUTF8(in.Body, bodyLimit)}
}

// foldOf returns s case-folded, cached for the body and the subject.
func (ev *eval) foldOf(s string, cache int) string {
	switch cache {
	case cacheBody:
		if !ev.bodyDone {
			ev.bodyFold, ev.bodyDone = foldString(s), true
		}
		return ev.bodyFold
	case cacheSubject:
		if !ev.subjectDone {
			ev.subjectFold, ev.subjectDone = foldString(s), true
		}
		return ev.subjectFold
	}
	return foldString(s)
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Operators of a field matcher.
const (
	opRegex    = "regex"
	opContains = "contains"
	opEquals   = "equals"
	opIn       = "in"
	opDomain   = "domain"
)

// matcher tests string values with one operator; a list of operands matches
// when any of them does.
type matcher struct {
	op  string
	res []compiledRegex
	vs  []string // operands: folded for contains, lower-case for equals, in, domain
}

func (m *matcher) match(v string, ev *eval, cache int) bool {
	switch m.op {
	case opRegex:
		folded := func() string { return ev.foldOf(v, cache) }
		for i := range m.res {
			if m.res[i].match(v, folded) {
				return true
			}
		}
		return false
	case opContains:
		fv := ev.foldOf(v, cache)
		for _, x := range m.vs {
			if strings.Contains(fv, x) {
				return true
			}
		}
		return false
	case opDomain:
		d := strings.ToLower(domainOf(v))
		for _, x := range m.vs {
			if d == x || strings.HasSuffix(d, "."+x) {
				return true
			}
		}
		return false
	}
	for _, x := range m.vs { // equals, in
		if strings.EqualFold(v, x) {
			return true
		}
	}
	return false
}

// domainOf returns the domain of an address (or of "Name <addr>"); a value
// without @ is taken as a domain.
func domainOf(v string) string {
	if a, err := mail.ParseAddress(v); err == nil {
		v = a.Address
	}
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		return strings.TrimSuffix(v[i+1:], ">")
	}
	return v
}

// leaf is one field test.
type leaf struct {
	field string // from, subject, header, UF_CRM_X, ...
	key   string // header name or lead field name
	m     matcher
	// size and has_attachment
	sizeOp string
	size   int64
	want   bool
}

// values returns the field's values for the input and which cache their
// folded form uses.
func (l *leaf) values(ev *eval) ([]string, int) {
	in := ev.in
	switch l.field {
	case "from":
		return []string{in.From}, cacheNone
	case "from_name":
		return []string{in.FromName}, cacheNone
	case "from_domain":
		return []string{in.From}, cacheNone
	case "to":
		return in.To, cacheNone
	case "cc":
		return in.Cc, cacheNone
	case "subject":
		return []string{in.Subject}, cacheSubject
	case "body":
		return []string{ev.body}, cacheBody
	case "mailbox":
		return []string{in.Mailbox}, cacheNone
	case "header":
		return in.Headers[l.key], cacheNone
	case "type":
		return []string{in.Ticket.Type}, cacheNone
	case "priority":
		return []string{in.Ticket.Priority}, cacheNone
	case "tier":
		return []string{in.Ticket.Tier}, cacheNone
	case "status":
		return []string{in.Ticket.Status}, cacheNone
	case "assignee":
		return []string{in.Ticket.Assignee}, cacheNone
	case "lead":
		return []string{in.Lead[l.key]}, cacheNone
	}
	return nil, cacheNone
}

func (l *leaf) eval(ev *eval) bool {
	_, ok := l.matched(ev)
	return ok
}

// matched returns the value that made the leaf hold.
func (l *leaf) matched(ev *eval) (string, bool) {
	switch l.field {
	case "has_attachment":
		has := len(ev.in.Attachments) > 0
		return fmt.Sprint(has), has == l.want
	case "size":
		s := ev.in.Size
		var ok bool
		switch l.sizeOp {
		case ">":
			ok = s > l.size
		case ">=":
			ok = s >= l.size
		case "<":
			ok = s < l.size
		case "<=":
			ok = s <= l.size
		}
		return fmt.Sprint(s), ok
	}
	vals, cache := l.values(ev)
	for _, v := range vals {
		if l.m.match(v, ev, cache) {
			return v, true
		}
	}
	return "", false
}
