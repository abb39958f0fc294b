package sim

import (
	"sort"
	"strings"
)

// lead is one stored lead.
type lead struct {
	id    int
	f     map[string]string       // standard scalar fields (ID excluded)
	uf    map[string]any          // user fields: string, []string or []int (files)
	multi map[string][]multiValue // EMAIL, PHONE, WEB, IM
}

// multiValue is one row of a communication multifield.
type multiValue struct {
	id        int
	valueType string
	value     string
}

// leadsEnabled answers lead methods with an error in the simple CRM mode.
func (p *Portal) leadsEnabled() *apiError {
	if p.st.crmMode != 1 {
		return errAccessDenied
	}
	return nil
}

func (p *Portal) leadAdd(c *call) (outcome, *apiError) {
	if e := p.leadsEnabled(); e != nil {
		return outcome{}, e
	}
	fields := c.params.obj("fields", "FIELDS")
	l := p.createLead(fields, c.user)
	p.afterLeadWrite(l, true)
	return plain(l.id), nil
}

// createLead stores a new lead; it fires no event.
func (p *Portal) createLead(fields params, user int) *lead {
	id := p.st.next("lead")
	now := p.fmtTime(p.clk.Now())
	l := &lead{id: id, f: make(map[string]string, 24), uf: map[string]any{}, multi: map[string][]multiValue{}}
	l.f["STATUS_ID"] = "NEW"
	l.f["OPENED"] = "Y"
	l.f["ASSIGNED_BY_ID"] = idStr(user)
	l.f["CREATED_BY_ID"] = idStr(user)
	l.f["DATE_CREATE"] = now
	l.f["MOVED_TIME"] = now
	l.f["MOVED_BY_ID"] = idStr(user)
	l.f["CURRENCY_ID"] = "RUB"
	l.f["OPPORTUNITY"] = "0.00"
	l.f["IS_MANUAL_OPPORTUNITY"] = "N"
	l.f["IS_RETURN_CUSTOMER"] = "N"
	l.f["HAS_IMOL"] = "N"
	p.applyLeadFields(l, upperKeys(fields), user, false)
	if l.f["TITLE"] == "" {
		l.f["TITLE"] = "Лид #" + idStr(id)
	}
	if l.f["ASSIGNED_BY_ID"] == "" || l.f["ASSIGNED_BY_ID"] == "0" {
		l.f["ASSIGNED_BY_ID"] = idStr(user)
	}
	p.st.leads[id] = l
	p.st.leadIDs = append(p.st.leadIDs, id)
	return l
}

// applyLeadFields writes fields (upper-case keys) into l; unknown and
// read-only fields are ignored, as the portal does.
func (p *Portal) applyLeadFields(l *lead, fields params, user int, replaceFiles bool) {
	oldStatus := l.f["STATUS_ID"]
	for k, v := range fields {
		switch {
		case isMultifield(k):
			p.applyMulti(l, k, v)
		case strings.HasPrefix(k, "UF_"):
			p.setUserField(l, k, v, replaceFiles)
		default:
			d, ok := p.index[k]
			if !ok || d.readOnly || d.multiple {
				continue
			}
			s := str(v)
			if b, isBool := v.(bool); isBool && d.typ == "char" {
				s = map[bool]string{true: "Y", false: "N"}[b]
			}
			l.f[k] = s
		}
	}
	now := p.fmtTime(p.clk.Now())
	if l.f["STATUS_ID"] != oldStatus && oldStatus != "" {
		l.f["MOVED_TIME"] = now
		l.f["MOVED_BY_ID"] = idStr(user)
	}
	l.f["STATUS_SEMANTIC_ID"] = p.semantic(l.f["STATUS_ID"])
	if l.f["STATUS_SEMANTIC_ID"] != "P" && l.f["DATE_CLOSED"] == "" {
		l.f["DATE_CLOSED"] = now
	}
	l.f["HAS_EMAIL"] = yn(len(l.multi["EMAIL"]) > 0)
	l.f["HAS_PHONE"] = yn(len(l.multi["PHONE"]) > 0)
	l.f["DATE_MODIFY"] = now
	l.f["MODIFY_BY_ID"] = idStr(user)
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// applyMulti follows the multifield rules: a row without ID is added, a row
// with ID updates that row, a row with ID and DELETE=Y deletes it.
func (p *Portal) applyMulti(l *lead, name string, v any) {
	for _, e := range asList(v) {
		row := upperKeys(asObj(e))
		if len(row) == 0 {
			continue
		}
		id, hasID := toInt(row["ID"])
		value := strings.TrimSpace(str(row["VALUE"]))
		vt := str(row["VALUE_TYPE"])
		rows := l.multi[name]
		if hasID {
			i := indexMulti(rows, id)
			if i < 0 {
				continue
			}
			if truthy(row["DELETE"]) || (value == "" && row["VALUE"] != nil) {
				l.multi[name] = append(rows[:i:i], rows[i+1:]...)
				continue
			}
			if value != "" {
				rows[i].value = value
			}
			if vt != "" {
				rows[i].valueType = vt
			}
			continue
		}
		if value == "" {
			continue
		}
		if vt == "" {
			vt = "WORK"
		}
		l.multi[name] = append(rows, multiValue{id: p.st.next("multi"), valueType: vt, value: value})
	}
}

func indexMulti(rows []multiValue, id int) int {
	for i, r := range rows {
		if r.id == id {
			return i
		}
	}
	return -1
}

// afterLeadWrite fires the lead event and starts auto-executing workflows.
func (p *Portal) afterLeadWrite(l *lead, created bool) {
	if created {
		p.fireEvent("ONCRMLEADADD", l.id)
		p.autoStart(l.id, 1)
		return
	}
	p.fireEvent("ONCRMLEADUPDATE", l.id)
	p.autoStart(l.id, 2)
}

// leadByParam reads the id parameter and finds the lead.
func (p *Portal) leadByParam(c *call) (*lead, *apiError) {
	id, ok := c.params.num("id", "ID")
	if !ok || id <= 0 {
		return nil, errBadID
	}
	l := p.st.leads[id]
	if l == nil {
		return nil, errNotFound
	}
	return l, nil
}

func (p *Portal) leadUpdate(c *call) (outcome, *apiError) {
	if e := p.leadsEnabled(); e != nil {
		return outcome{}, e
	}
	l, e := p.leadByParam(c)
	if e != nil {
		return outcome{}, e
	}
	p.applyLeadFields(l, upperKeys(c.params.obj("fields", "FIELDS")), c.user, false)
	p.afterLeadWrite(l, false)
	return plain(true), nil
}

func (p *Portal) leadGet(c *call) (outcome, *apiError) {
	if e := p.leadsEnabled(); e != nil {
		return outcome{}, e
	}
	l, e := p.leadByParam(c)
	if e != nil {
		return outcome{}, e
	}
	return plain(p.renderLead(l, selectAll())), nil
}

func (p *Portal) leadDelete(c *call) (outcome, *apiError) {
	if e := p.leadsEnabled(); e != nil {
		return outcome{}, e
	}
	l, e := p.leadByParam(c)
	if e != nil {
		return outcome{}, e
	}
	p.deleteLead(l.id)
	p.fireEvent("ONCRMLEADDELETE", l.id)
	return plain(true), nil
}

func (p *Portal) deleteLead(id int) {
	delete(p.st.leads, id)
	i := sort.SearchInts(p.st.leadIDs, id)
	if i < len(p.st.leadIDs) && p.st.leadIDs[i] == id {
		p.st.leadIDs = append(p.st.leadIDs[:i], p.st.leadIDs[i+1:]...)
	}
	var comments []*Comment
	for _, cm := range p.st.comments {
		if cm.LeadID != id {
			comments = append(comments, cm)
		}
	}
	p.st.comments = comments
}

func (p *Portal) leadList(c *call) (outcome, *apiError) {
	if e := p.leadsEnabled(); e != nil {
		return outcome{}, e
	}
	q := parseList(c.params)
	sel := parseSelect(c.params)
	page, next, total := q.run(p.st.leadIDs, p.leadValues)
	rows := make([]any, 0, len(page))
	for _, id := range page {
		rows = append(rows, p.renderLead(p.st.leads[id], sel))
	}
	return outcome{result: rows, list: true, next: next, total: total}, nil
}

// leadValues is the list getter for leads.
func (p *Portal) leadValues(id int, field string) []string {
	l := p.st.leads[id]
	if l == nil {
		return nil
	}
	if field == "ID" {
		return []string{idStr(id)}
	}
	if isMultifield(field) {
		out := make([]string, 0, len(l.multi[field]))
		for _, m := range l.multi[field] {
			out = append(out, m.value)
		}
		return out
	}
	if strings.HasPrefix(field, "UF_") {
		return ufStrings(l.uf[field])
	}
	if v, ok := l.f[field]; ok && v != "" {
		return []string{v}
	}
	return nil
}

func (p *Portal) leadFields(c *call) (outcome, *apiError) {
	if e := p.leadsEnabled(); e != nil {
		return outcome{}, e
	}
	out := map[string]any{}
	for _, d := range p.defs {
		out[d.name] = map[string]any{
			"type": d.typ, "isRequired": false, "isReadOnly": d.readOnly, "isImmutable": false,
			"isMultiple": d.multiple, "isDynamic": false, "title": d.title,
		}
	}
	for _, uf := range p.st.userFields {
		out[uf.name] = uf.describe()
	}
	return plain(out), nil
}
