package sim

import (
	"strings"
)

// itemAliases are crm.item names that do not follow the camelCase rule.
func itemAliases() map[string]string {
	return map[string]string{
		"createdTime": "DATE_CREATE", "updatedTime": "DATE_MODIFY", "createdBy": "CREATED_BY_ID",
		"updatedBy": "MODIFY_BY_ID", "movedBy": "MOVED_BY_ID", "movedTime": "MOVED_TIME", "stageId": "STATUS_ID",
		"closedate": "DATE_CLOSED",
	}
}

// itemLead finds the lead of a crm.item.* call (entityTypeId 1 only).
func (p *Portal) itemLead(c *call) (*lead, *apiError) {
	et, _ := c.params.num("entityTypeId", "ENTITYTYPEID")
	if et != 1 {
		return nil, errf(400, "NOT_FOUND", "Smart process not found")
	}
	if e := p.leadsEnabled(); e != nil {
		return nil, e
	}
	id, ok := c.params.num("id", "ID")
	if !ok || id <= 0 {
		return nil, errf(400, "NOT_FOUND", "Element not found")
	}
	l := p.st.leads[id]
	if l == nil {
		return nil, errf(400, "NOT_FOUND", "Element not found")
	}
	return l, nil
}

// itemUpdate is crm.item.update for leads: camelCase fields; a multiple
// file field is rewritten (file IDs not re-sent are deleted).
func (p *Portal) itemUpdate(c *call) (outcome, *apiError) {
	l, e := p.itemLead(c)
	if e != nil {
		return outcome{}, e
	}
	aliases := itemAliases()
	fields := params{}
	for k, v := range c.params.obj("fields", "FIELDS") {
		name, ok := aliases[k]
		if !ok {
			name = camelToUpper(k)
		}
		if b, isBool := v.(bool); isBool && !strings.HasPrefix(name, "UF_") {
			v = yn(b)
		}
		fields[name] = v
	}
	p.applyLeadFields(l, fields, c.user, true)
	p.afterLeadWrite(l, false)
	return plain(map[string]any{"item": p.itemRow(l)}), nil
}

func (p *Portal) itemGet(c *call) (outcome, *apiError) {
	l, e := p.itemLead(c)
	if e != nil {
		return outcome{}, e
	}
	return plain(map[string]any{"item": p.itemRow(l)}), nil
}

// itemRow is a lead in crm.item form: camelCase keys, numeric IDs.
func (p *Portal) itemRow(l *lead) map[string]any {
	back := map[string]string{}
	for k, v := range itemAliases() {
		back[v] = k
	}
	out := map[string]any{}
	for k, v := range p.renderLead(l, selectAll()) {
		if isMultifield(k) {
			continue
		}
		name, ok := back[k]
		if !ok {
			name = upperToCamel(k)
		}
		if n, isNum := toInt(v); isNum && (k == "ID" || strings.HasSuffix(k, "_BY_ID") || strings.HasSuffix(k, "_ID") && k != "SOURCE_ID" && k != "STATUS_ID" && k != "ORIGIN_ID" && k != "ORIGINATOR_ID" && k != "CURRENCY_ID" && k != "STATUS_SEMANTIC_ID") {
			v = n
		}
		out[name] = v
	}
	out["entityTypeId"] = 1
	return out
}
