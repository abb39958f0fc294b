package schema

import (
	"context"
	"fmt"

	"github.com/b24desk/b24desk/rules"
)

// stageRole is a lead stage the rules name and what it means.
type stageRole struct {
	code string
	role rules.State
}

// NamedStages returns the lead stages (STATUS_ID) the rules name, each once,
// in the order new, answered, waiting, closed, on-customer-reply.
func NamedStages(r *rules.Rules) []string {
	var out []string
	for _, s := range namedStages(r) {
		out = append(out, s.code)
	}
	return out
}

func namedStages(r *rules.Rules) []stageRole {
	seen := map[string]bool{}
	var out []stageRole
	add := func(role rules.State, codes ...string) {
		for _, c := range codes {
			if c != "" && !seen[c] {
				seen[c] = true
				out = append(out, stageRole{c, role})
			}
		}
	}
	st := r.Statuses
	add(rules.StateNew, st.New...)
	add(rules.StateAnswered, st.Answered...)
	add(rules.StateWaiting, st.Waiting...)
	add(rules.StateClosed, st.Closed...)
	add(rules.StateAnswered, st.OnCustomerReply)
	return out
}

// stageName is the Russian name of a stage setup creates.
func stageName(role rules.State) string {
	switch role {
	case rules.StateNew:
		return "Новое обращение"
	case rules.StateAnswered:
		return "Ответ отправлен"
	case rules.StateWaiting:
		return "Ждёт ответа клиента"
	case rules.StateClosed:
		return "Обращение закрыто"
	}
	return "Обращение в работе"
}

// stages creates the lead stages the rules name that the portal lacks.
func (e *ensurer) stages(ctx context.Context) error {
	list, err := e.c.StatusList(ctx, "STATUS")
	if err != nil {
		return fmt.Errorf("read the lead stages: %w", err)
	}
	for _, s := range list {
		e.m().stages[string(s.StatusID)] = true
	}
	for i, s := range namedStages(e.r) {
		name := stageName(s.role)
		switch {
		case e.m().stages[s.code]:
			e.rep.add(VerbExists, "lead stage %s", s.code)
			continue
		case e.opts.DryRun:
			e.rep.add(VerbWouldCreate, "lead stage %s «%s»", s.code, name)
		default:
			err := e.addStatus(ctx, map[string]any{"ENTITY_ID": "STATUS", "STATUS_ID": s.code,
				"NAME": name, "SORT": 25 + i})
			if err != nil {
				return fmt.Errorf("create lead stage %s: %w", s.code, err)
			}
			e.m().stages[s.code] = true
			e.rep.add(VerbCreated, "lead stage %s «%s»", s.code, name)
		}
		if s.role == rules.StateClosed {
			e.rep.add(VerbWarning, "lead stage %s is an in-progress stage; b24desk treats it as closed, but the portal's lead funnel does not: move it in CRM settings if needed", s.code)
		}
	}
	return nil
}
