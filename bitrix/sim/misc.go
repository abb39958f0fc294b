package sim

import (
	"strings"
)

func (p *Portal) scope(c *call) (outcome, *apiError) {
	if truthy(c.params["full"]) {
		return plain([]any{"bizproc", "calendar", "crm", "department", "disk", "im", "imopenlines", "lists",
			"log", "mailservice", "placement", "sonet_group", "task", "telephony", "user", "entity"}), nil
	}
	out := make([]any, 0, len(p.st.scopes))
	for _, s := range p.st.scopes {
		out = append(out, s)
	}
	return plain(out), nil
}

func (p *Portal) crmMode(c *call) (outcome, *apiError) { return plain(p.st.crmMode), nil }

// duplicateFind is crm.duplicate.findbycomm: leads by e-mail or phone.
func (p *Portal) duplicateFind(c *call) (outcome, *apiError) {
	typ := strings.ToUpper(c.params.str("type", "TYPE"))
	if typ != "EMAIL" && typ != "PHONE" {
		return outcome{}, errf(400, "", "Communication type is not defined or invalid.")
	}
	v, _ := c.params.get("values", "VALUES")
	values := asList(v)
	if len(values) == 0 {
		return outcome{}, errf(400, "", "Communication values are not defined.")
	}
	if len(values) > 20 {
		return outcome{}, errf(400, "", "Too many communication values. Maximum is 20.")
	}
	entity := strings.ToUpper(c.params.str("entity_type", "ENTITY_TYPE"))
	if entity != "" && entity != "LEAD" {
		return plain([]any{}), nil
	}
	want := map[string]bool{}
	for _, x := range values {
		want[normComm(typ, str(x))] = true
	}
	var ids []any
	for _, id := range p.st.leadIDs {
		for _, m := range p.st.leads[id].multi[typ] {
			if want[normComm(typ, m.value)] {
				ids = append(ids, id)
				break
			}
		}
	}
	if len(ids) == 0 {
		return plain([]any{}), nil
	}
	return plain(map[string]any{"LEAD": ids}), nil
}

func normComm(typ, v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if typ != "PHONE" {
		return v
	}
	var b strings.Builder
	for _, r := range v {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
