package schema

import (
	"context"
	"fmt"
	"sort"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/rules"
)

// WorkflowUse is a workflow template the rules start and where.
type WorkflowUse struct {
	TemplateID int
	Where      string // e.g. "type B24D_OUTAGE", "SLA policy vip step 80%"
}

// Workflows returns the workflow templates the rules start, by ID.
func Workflows(r *rules.Rules) []WorkflowUse {
	var out []WorkflowUse
	for _, t := range r.Types {
		if t.WorkflowTemplate != 0 {
			out = append(out, WorkflowUse{t.WorkflowTemplate, "type " + t.Code})
		}
	}
	for _, p := range r.SLA {
		targets := make([]string, 0, len(p.Ladders))
		for t := range p.Ladders {
			targets = append(targets, string(t))
		}
		sort.Strings(targets)
		for _, t := range targets {
			for _, s := range p.Ladders[rules.Target(t)] {
				if s.Actions.Workflow != 0 {
					out = append(out, WorkflowUse{s.Actions.Workflow, fmt.Sprintf("SLA policy %s %s step %s", p.Name, t, s.At)})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TemplateID < out[j].TemplateID })
	return out
}

// workflows checks the templates the rules start exist for leads. A
// template the portal starts by itself for every new lead (AUTO_EXECUTE 1
// or 3) is a problem: it already runs whatever the lead's type, and b24desk
// never starts it (a second start on the same lead); one that starts on
// every update (2) is a warning.
func (e *ensurer) workflows(ctx context.Context) error {
	uses := Workflows(e.r)
	if len(uses) == 0 {
		e.rep.add(VerbExists, "no workflow templates to check (the rules start none)")
		return nil
	}
	list, err := e.c.WorkflowTemplateList(ctx, bitrix.LeadDocumentType)
	if err != nil {
		e.rep.add(VerbProblem, "cannot list lead workflow templates (%v): the webhook user must be a portal administrator with the bizproc scope", err)
		return nil
	}
	byID := map[int]bitrix.WorkflowTemplate{}
	for _, t := range list {
		byID[int(t.ID)] = t
		e.m().workflows[int(t.ID)] = int(t.AutoExecute)
	}
	for _, u := range uses {
		t, ok := byID[u.TemplateID]
		switch {
		case !ok:
			e.rep.add(VerbProblem, "workflow template %d (%s) is not a lead template of this portal: fix the ID in the rules file", u.TemplateID, u.Where)
		case t.StartsOnCreate():
			e.rep.add(VerbProblem, "workflow template %d «%s» (%s) has AUTO_EXECUTE %d: the portal starts it by itself for every new lead, whatever its type, so b24desk will not start it; set the template to start manually (Автозапуск: не запускать) in the portal's business process settings for leads",
				u.TemplateID, t.Name, u.Where, int(t.AutoExecute))
		case t.AutoExecute == 2:
			e.rep.add(VerbWarning, "workflow template %d «%s» (%s) has AUTO_EXECUTE 2: it restarts on every lead update, b24desk's own field writes included, and b24desk will not start it; set it to start manually",
				u.TemplateID, t.Name, u.Where)
		default:
			e.rep.add(VerbExists, "workflow template %d «%s» (%s)", u.TemplateID, t.Name, u.Where)
		}
	}
	return nil
}
