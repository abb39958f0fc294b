package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxTemplateNameLen is the longest template name: it becomes the XML_ID
// of an item of the canned-answer field.
const MaxTemplateNameLen = 50

// Template is a canned answer or an acknowledgement: a subject and a text
// with {{variable}} placeholders from TemplateVars.
type Template struct {
	// Name identifies the template (the canned-answer item, ack.template).
	Name string
	// Subject replaces the answer's subject when not empty (the ticket tag
	// is added when the subject has none).
	Subject string
	// Text is the body.
	Text string
}

// The template variables.
const (
	VarTicket   = "ticket"   // ticket number (lead ID)
	VarTag      = "tag"      // the subject tag, e.g. [#123]
	VarCustomer = "customer" // the customer's name (else address)
	VarType     = "type"     // the ticket type's name
	VarSubject  = "subject"  // the ticket's subject
	VarDue      = "due"      // first-response due time in plain words
	VarStaff    = "staff"    // the staff member's name
	VarTeam     = "team"     // the support team's name (mailbox display name)
)

// TemplateVars lists the variables a template may use.
func TemplateVars() []string {
	return []string{VarTicket, VarTag, VarCustomer, VarType, VarSubject, VarDue, VarStaff, VarTeam}
}

// TemplateByName returns the template with the name.
func (r *Rules) TemplateByName(name string) (Template, bool) {
	for _, t := range r.Templates {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

// TemplateNames lists the template names in file order: the items of the
// canned-answer field.
func (r *Rules) TemplateNames() []string {
	out := make([]string, len(r.Templates))
	for i, t := range r.Templates {
		out[i] = t.Name
	}
	return out
}

// Render fills the variables (a missing one renders empty).
func (t Template) Render(vars map[string]string) (subject, text string) {
	return expand(t.Subject, vars), expand(t.Text, vars)
}

// expand replaces {{name}} placeholders; the text was checked by Parse.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(vars[strings.TrimSpace(s[i+2:i+j])])
		s = s[i+j+2:]
	}
}

// placeholder is one {{...}} found in a text, with its byte offset.
type placeholder struct {
	name   string
	offset int
	open   bool // "{{" without "}}"
	stray  bool // "}}" without "{{"
}

func placeholders(s string) []placeholder {
	var out []placeholder
	off := 0
	strays := func(text string, at int) {
		for k := 0; ; {
			i := strings.Index(text[k:], "}}")
			if i < 0 {
				return
			}
			out = append(out, placeholder{offset: at + k + i, stray: true})
			k += i + 2
		}
	}
	for {
		i := strings.Index(s[off:], "{{")
		if i < 0 {
			strays(s[off:], off)
			return out
		}
		start := off + i
		strays(s[off:start], off)
		j := strings.Index(s[start:], "}}")
		if j < 0 {
			return append(out, placeholder{offset: start, open: true})
		}
		out = append(out, placeholder{name: strings.TrimSpace(s[start+2 : start+j]), offset: start})
		off = start + j + 2
	}
}

// templates reads the templates: key.
func (p *parser) templates(n *yaml.Node, path string) {
	names := map[string]bool{}
	p.items(n, path, func(_ int, v *yaml.Node, ip string) {
		var t Template
		seen := p.fields(v, ip, map[string]handler{
			"name": func(v *yaml.Node, path string) {
				s, ok := p.str(v, path)
				if !ok {
					return
				}
				switch {
				case len(s) > MaxTemplateNameLen:
					p.errf(v, path, "name %q is %d characters; at most %d", s, len(s), MaxTemplateNameLen)
				case strings.ContainsAny(s, " \t\r\n"):
					p.errf(v, path, "name %q must not contain spaces", s)
				case names[s]:
					p.errf(v, path, "duplicate template name %q", s)
				}
				names[s] = true
				t.Name = s
			},
			"subject": func(v *yaml.Node, path string) {
				if s, ok := p.str(v, path); ok {
					if strings.ContainsAny(s, "\r\n") {
						p.errf(v, path, "a subject is one line")
					}
					p.checkVars(v, "subject", path, s)
					t.Subject = s
				}
			},
			"text": func(v *yaml.Node, path string) {
				if s, ok := p.str(v, path); ok {
					if strings.TrimSpace(s) == "" {
						p.errf(v, path, "the text is empty")
					}
					p.checkVars(v, "text", path, s)
					t.Text = s
				}
			},
		})
		p.require(v, ip, seen, "name", "text")
		p.r.Templates = append(p.r.Templates, t)
	})
}

// checkVars reports unknown or unclosed placeholders at their own line and
// column: exact for one-line scalars; for block scalars (| and >) the line
// is exact and the column assumes the usual indent of two under the key.
func (p *parser) checkVars(n *yaml.Node, key, path, s string) {
	known := map[string]bool{}
	for _, v := range TemplateVars() {
		known[v] = true
	}
	for _, ph := range placeholders(s) {
		line, col := position(n, len(key), s, ph.offset)
		switch {
		case ph.open:
			p.add(line, col, path, `"{{" is not closed by "}}"`)
		case ph.stray:
			p.add(line, col, path, `"}}" without an opening "{{"`)
		case !known[ph.name]:
			p.add(line, col, path, fmt.Sprintf("unknown variable {{%s}} (known: %s)", ph.name, strings.Join(TemplateVars(), ", ")))
		}
	}
}

// position maps a byte offset in a scalar's value to a file line and
// column; keyLen is the length of the key the scalar is the value of.
func position(n *yaml.Node, keyLen int, s string, offset int) (line, col int) {
	before := s[:offset]
	nl := strings.Count(before, "\n")
	inLine := len([]rune(before[strings.LastIndex(before, "\n")+1:]))
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// "key: |": the key starts keyLen+2 columns before the indicator.
		return n.Line + 1 + nl, max(n.Column-keyLen-2, 1) + 2 + inLine
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if nl == 0 {
			return n.Line, n.Column + 1 + inLine
		}
		// A line break in a quoted value is an escape ("\n") or a folded
		// blank line: which one the value cannot say, so the position is
		// the opening quote's, always inside the file.
		return n.Line, n.Column
	default:
		if nl == 0 {
			return n.Line, n.Column + inLine
		}
	}
	return n.Line + nl, 1 + inLine
}
