package sim

import (
	"strings"
	"unicode"
)

// selection is a parsed select parameter.
type selection struct {
	standard bool            // "*" or no select: every standard field
	allUF    bool            // "UF_*"
	names    map[string]bool // explicitly named fields
	all      bool            // everything (crm.lead.get)
}

func selectAll() selection { return selection{all: true} }

func parseSelect(prm params) selection {
	v, _ := prm.get("select", "SELECT")
	list := asList(v)
	s := selection{names: map[string]bool{}}
	if len(list) == 0 {
		s.standard = true
		return s
	}
	for _, e := range list {
		name := strings.ToUpper(strings.TrimSpace(str(e)))
		switch name {
		case "*":
			s.standard = true
		case "UF_*":
			s.allUF = true
		case "":
		default:
			s.names[name] = true
		}
	}
	return s
}

func (s selection) has(name string, uf, multi bool) bool {
	switch {
	case s.all, s.names[name], name == "ID":
		return true
	case uf:
		return s.allUF
	case multi:
		return false
	}
	return s.standard
}

// renderLead returns a lead as the portal's JSON row: IDs as strings,
// missing values as null.
func (p *Portal) renderLead(l *lead, sel selection) map[string]any {
	row := make(map[string]any, len(p.defs)+len(p.st.userFields))
	for _, d := range p.defs {
		if d.multiple {
			if len(l.multi[d.name]) == 0 || !sel.has(d.name, false, true) {
				continue
			}
			rows := make([]any, 0, len(l.multi[d.name]))
			for _, m := range l.multi[d.name] {
				rows = append(rows, map[string]any{
					"ID": idStr(m.id), "VALUE_TYPE": m.valueType, "VALUE": m.value, "TYPE_ID": d.name,
				})
			}
			row[d.name] = rows
			continue
		}
		if !sel.has(d.name, false, false) {
			continue
		}
		if d.name == "ID" {
			row["ID"] = idStr(l.id)
			continue
		}
		if v, ok := l.f[d.name]; ok && v != "" {
			row[d.name] = v
		} else {
			row[d.name] = nil
		}
	}
	for _, uf := range p.st.userFields {
		if sel.has(uf.name, true, false) {
			row[uf.name] = p.renderUF(uf, l.uf[uf.name], l.id)
		}
	}
	return row
}

// camelToUpper maps crm.item field names to crm.lead ones:
// sourceId → SOURCE_ID, ufCrmB24dFiles → UF_CRM_B24D_FILES.
func camelToUpper(s string) string {
	if strings.ToUpper(s) == s {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// upperToCamel is the inverse of camelToUpper: UF_CRM_B24D_FILES → ufCrmB24dFiles.
func upperToCamel(s string) string {
	parts := strings.Split(strings.ToLower(s), "_")
	var b strings.Builder
	for i, part := range parts {
		if part == "" {
			continue
		}
		if i == 0 {
			b.WriteString(part)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
