package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Template is a business process template, of leads unless Entity and
// DocumentType say otherwise.
type Template struct {
	ID          int
	Name        string
	AutoExecute int    // 0 none, 1 on create, 2 on update, 3 both
	Entity      string // default "CCrmDocumentLead"
	Type        string // DOCUMENT_TYPE, default "LEAD"
}

// forLeads reports whether the template is a lead template.
func (t Template) forLeads() bool {
	return (t.Entity == "" || t.Entity == "CCrmDocumentLead") && (t.Type == "" || t.Type == "LEAD")
}

func (t Template) row(user int) map[string]any {
	entity, typ := t.Entity, t.Type
	if entity == "" {
		entity = "CCrmDocumentLead"
	}
	if typ == "" {
		typ = "LEAD"
	}
	return map[string]any{
		"ID": idStr(t.ID), "NAME": t.Name, "AUTO_EXECUTE": idStr(t.AutoExecute), "MODULE_ID": "crm",
		"ENTITY": entity, "DOCUMENT_TYPE": typ, "DESCRIPTION": "", "USER_ID": idStr(user),
	}
}

// WorkflowStart is a started workflow instance.
type WorkflowStart struct {
	ID         string // instance ID, e.g. "66e81a641752f8.00000001"
	TemplateID int
	LeadID     int
	Parameters map[string]any
	Auto       bool // started by AUTO_EXECUTE, not by bizproc.workflow.start
	StartedBy  int
	At         time.Time
	Running    bool
}

func (p *Portal) bizprocAdmin() *apiError {
	if !p.st.admin {
		return errf(403, "ACCESS_DENIED", "Access denied!")
	}
	return nil
}

func (p *Portal) template(id int) (Template, bool) {
	for _, t := range p.st.templates {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

// startWorkflow records a running instance.
func (p *Portal) startWorkflow(t Template, leadID, user int, prm map[string]any, auto bool) string {
	n := p.st.next("workflow")
	now := p.clk.Now()
	id := fmt.Sprintf("%x%05x.%08d", now.Unix(), n%0xfffff, n)
	p.st.workflows = append(p.st.workflows, WorkflowStart{ID: id, TemplateID: t.ID, LeadID: leadID,
		Parameters: prm, Auto: auto, StartedBy: user, At: now, Running: true})
	return id
}

// autoStart starts the templates whose AUTO_EXECUTE has the bit (1 add, 2 update).
func (p *Portal) autoStart(leadID, bit int) {
	for _, t := range p.st.templates {
		if t.forLeads() && t.AutoExecute&bit != 0 {
			p.startWorkflow(t, leadID, p.opts.WebhookUserID, nil, true)
		}
	}
}

// templateList is bizproc.workflow.template.list {SELECT, FILTER, ORDER,
// start}, following api-reference/bizproc/template/bizproc-workflow-template-list.md:
// pages of 50 with start, FILTER on the template fields (MODULE_ID, ENTITY
// and DOCUMENT_TYPE are three plain values; DOCUMENT_TYPE comes back as a
// string, "LEAD"), SELECT defaulting to ID only. The docs do not say what a
// filter value given as an array means for these fields: the simulator
// takes the stricter reading, an array matches no template.
func (p *Portal) templateList(c *call) (outcome, *apiError) {
	if e := p.bizprocAdmin(); e != nil {
		return outcome{}, e
	}
	q := parseList(c.params)
	arrays := false
	for _, cd := range q.conds {
		arrays = arrays || (cd.op == "@" && (cd.field == "MODULE_ID" || cd.field == "ENTITY" || cd.field == "DOCUMENT_TYPE"))
	}
	rows := map[int]map[string]any{}
	ids := make([]int, 0, len(p.st.templates))
	for _, t := range p.st.templates {
		if arrays {
			break
		}
		rows[t.ID] = t.row(p.opts.WebhookUserID)
		ids = append(ids, t.ID)
	}
	sort.Ints(ids)
	get := func(id int, f string) []string { return []string{str(rows[id][f])} }
	page, next, total := q.run(ids, get)
	sel := parseSelect(c.params)
	out := make([]any, 0, len(page))
	for _, id := range page {
		r := map[string]any{}
		for k, v := range rows[id] {
			if k == "ID" || sel.names[k] {
				r[k] = v
			}
		}
		out = append(out, r)
	}
	return outcome{result: out, list: true, next: next, total: total}, nil
}

func (p *Portal) workflowStart(c *call) (outcome, *apiError) {
	if e := p.bizprocAdmin(); e != nil {
		return outcome{}, e
	}
	tid, _ := c.params.num("TEMPLATE_ID", "template_id")
	t, ok := p.template(tid)
	if !ok {
		return outcome{}, errf(400, "ERROR_WRONG_WORKFLOW_ID", "Template not found")
	}
	v, _ := c.params.get("DOCUMENT_ID", "document_id")
	doc := asList(v)
	wrong := errf(400, "", "Wrong DOCUMENT_ID!")
	if len(doc) != 3 || str(doc[0]) != "crm" || str(doc[1]) != "CCrmDocumentLead" {
		return outcome{}, wrong
	}
	id, ok := toInt(strings.TrimPrefix(str(doc[2]), "LEAD_"))
	if !ok || !strings.HasPrefix(str(doc[2]), "LEAD_") || p.st.leads[id] == nil {
		return outcome{}, wrong
	}
	prm, _ := c.params.get("PARAMETERS", "parameters")
	pm, _ := prm.(map[string]any)
	return plain(p.startWorkflow(t, id, c.user, pm, false)), nil
}

func (p *Portal) workflowInstances(c *call) (outcome, *apiError) {
	if e := p.bizprocAdmin(); e != nil {
		return outcome{}, e
	}
	rows := []any{}
	conds := parseFilter(c.params.obj("FILTER", "filter"))
	for _, w := range p.st.workflows {
		if !w.Running {
			continue
		}
		r := map[string]any{
			"ID": w.ID, "MODIFIED": p.fmtTime(w.At), "OWNED_UNTIL": nil, "MODULE_ID": "crm",
			"ENTITY": "CCrmDocumentLead", "DOCUMENT_ID": "LEAD_" + idStr(w.LeadID), "STARTED": p.fmtTime(w.At),
			"STARTED_BY": idStr(w.StartedBy), "TEMPLATE_ID": idStr(w.TemplateID),
		}
		ok := true
		for _, cd := range conds {
			if !cd.match([]string{str(r[cd.field])}) {
				ok = false
			}
		}
		if ok {
			rows = append(rows, r)
		}
	}
	return outcome{result: rows, list: true, next: -1, total: len(rows)}, nil
}

func (p *Portal) workflowStop(c *call) (outcome, *apiError) {
	if e := p.bizprocAdmin(); e != nil {
		return outcome{}, e
	}
	id := c.params.str("ID", "id")
	for i := range p.st.workflows {
		if p.st.workflows[i].ID == id && p.st.workflows[i].Running {
			p.st.workflows[i].Running = false
			return plain(true), nil
		}
	}
	return outcome{}, errf(400, "ERROR_WRONG_WORKFLOW_ID", "Workflow not found")
}
