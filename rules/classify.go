package rules

// Match is one rule that matched, and why.
type Match struct {
	Rule string `json:"rule"`
	Why  string `json:"why"`
}

// Classification is what the tiers and classify rules decided for an input.
type Classification struct {
	Type, Priority, Tier string
	// Fields holds UF_CRM_* fields the rules set.
	Fields map[string]string
	// TierRule describes the tier that matched ("" when the input had one).
	TierRule *Match
	// Rules are the classify rules that matched, in order.
	Rules []Match
}

// Classify decides tier, type, priority and fields for an input. Fields the
// input's Ticket already has are kept (a person's choice wins); the tiers
// run first, then the classify rules in order, each filling only fields that
// are still empty, stopping at the first match without `continue: true`.
// Later rules see the fields earlier ones set.
func (r *Rules) Classify(in *Input) Classification {
	work := *in
	ev := newEval(&work, r.BodyLimit)
	var c Classification
	if work.Ticket.Tier == "" {
		for _, t := range r.Tiers {
			if t.When.eval0(ev) {
				work.Ticket.Tier = t.Name
				c.TierRule = &Match{Rule: t.Name, Why: t.When.explain(ev)}
				break
			}
		}
	}
	for _, rule := range r.ClassifyRules {
		if !rule.When.eval0(ev) {
			continue
		}
		c.Rules = append(c.Rules, Match{Rule: rule.Name, Why: rule.When.explain(ev)})
		for k, v := range rule.Set {
			switch k {
			case "type":
				fill(&work.Ticket.Type, v)
			case "priority":
				fill(&work.Ticket.Priority, v)
			case "tier":
				fill(&work.Ticket.Tier, v)
			default:
				if c.Fields == nil {
					c.Fields = map[string]string{}
				}
				if _, ok := c.Fields[k]; !ok && work.Lead[k] == "" {
					c.Fields[k] = v
				}
			}
		}
		if !rule.Continue {
			break
		}
	}
	c.Type, c.Priority, c.Tier = work.Ticket.Type, work.Ticket.Priority, work.Ticket.Tier
	return c
}

// eval0 evaluates a condition that may be nil (nil matches everything).
func (c *Cond) eval0(ev *eval) bool { return c == nil || c.eval(ev) }

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
