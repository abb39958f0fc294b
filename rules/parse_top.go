package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// top reads the document's top-level mapping.
func (p *parser) top(n *yaml.Node) {
	r := p.r
	p.calNodes = map[string]*yaml.Node{}
	seen := p.fields(n, "", map[string]handler{
		"version": func(v *yaml.Node, path string) {
			if ver, ok := p.integer(v, path); ok {
				if ver != 1 {
					p.errf(v, path, "unsupported version %d (this b24desk reads version 1)", ver)
				}
				r.Version = ver
			}
		},
		"types":            p.types,
		"statuses":         p.statuses,
		"pools":            p.pools,
		"away":             func(v *yaml.Node, path string) { r.Away = p.users(v, path) },
		"unassigned_users": func(v *yaml.Node, path string) { r.UnassignedUsers = p.users(v, path) },
		"intake_sources":   p.intakeSources,
		"calendars":        p.calendars,
		"tiers":            p.tiers,
		"classify":         p.classify,
		"route":            p.route,
		"sla":              p.sla,
		"templates":        p.templates,
		"ratings":          p.ratings,
		"spam":             p.spam,
		"limits": func(v *yaml.Node, path string) {
			p.fields(v, path, map[string]handler{
				"body_bytes": func(v *yaml.Node, path string) {
					if b, ok := p.integer(v, path); ok {
						if b <= 0 {
							p.errf(v, path, "must be positive")
							return
						}
						r.BodyLimit = b
					}
				},
			})
		},
	})
	p.require(n, "", seen, "version", "types", "classify")
	if seen == nil {
		return
	}
	for i, code := range r.IntakeSources {
		if r.IsTicketType(code) {
			p.errf(p.intakeNodes[i], "intake_sources", "%q is a ticket type: an intake source is a portal channel (WEBFORM, CALLBACK…) whose leads are classified into the types", code)
		}
	}
	if cl, ok := seen["classify"]; ok {
		p.classifyNode = cl
		if !p.hasCatchAll() {
			p.errf(cl, "classify", "no catch-all rule: the last rule should have no `when` so every mail gets a type")
		}
	}
}

// intakeSources reads the lead sources whose leads are adopted as tickets
// (a CRM web form, a callback, an open channel: SOURCE_ID codes).
func (p *parser) intakeSources(n *yaml.Node, path string) {
	nodes, codes := p.strs(n, path)
	seen := map[string]bool{}
	for i, c := range codes {
		switch {
		case c == "" || strings.ContainsAny(c, " \t\r\n"):
			p.errf(nodes[i], path, "source code %q must be a SOURCE_ID without spaces", c)
		case len(c) > MaxTypeCodeLen:
			p.errf(nodes[i], path, "source code %q is %d characters; the portal allows at most %d", c, len(c), MaxTypeCodeLen)
		case seen[c]:
			p.errf(nodes[i], path, "duplicate intake source %q", c)
		default:
			p.r.IntakeSources = append(p.r.IntakeSources, c)
			p.intakeNodes = append(p.intakeNodes, nodes[i])
		}
		seen[c] = true
	}
}

func (p *parser) hasCatchAll() bool {
	for _, c := range p.r.ClassifyRules {
		if c.When == nil && !c.Continue {
			return true
		}
	}
	return false
}

func (p *parser) types(n *yaml.Node, path string) {
	codes := map[string]bool{}
	p.items(n, path, func(_ int, v *yaml.Node, ip string) {
		var t Type
		seen := p.fields(v, ip, map[string]handler{
			"code": func(v *yaml.Node, path string) {
				c, ok := p.str(v, path)
				if !ok {
					return
				}
				switch {
				case len(c) > MaxTypeCodeLen:
					p.errf(v, path, "code %q is %d characters; the portal allows at most %d", c, len(c), MaxTypeCodeLen)
				case strings.ContainsAny(c, " \t\r\n"):
					p.errf(v, path, "code %q must not contain spaces", c)
				case codes[c]:
					p.errf(v, path, "duplicate type code %q", c)
				}
				codes[c] = true
				t.Code = c
			},
			"name": func(v *yaml.Node, path string) { t.Name, _ = p.str(v, path) },
			"level": func(v *yaml.Node, path string) {
				l, ok := p.str(v, path)
				if ok && l != "L1" && l != "L2" && l != "L3" {
					p.errf(v, path, "level must be L1, L2 or L3, not %q", l)
				}
				t.Level = l
			},
			"workflow": func(v *yaml.Node, path string) {
				p.fields(v, path, map[string]handler{
					"template_id": func(v *yaml.Node, path string) {
						if id, ok := p.integer(v, path); ok {
							if id <= 0 {
								p.errf(v, path, "must be a positive number")
							}
							t.WorkflowTemplate = id
						}
					},
				})
			},
		})
		p.require(v, ip, seen, "code", "name")
		p.r.Types = append(p.r.Types, t)
	})
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.errf(n, path, "needs at least one type")
	}
}

func (p *parser) statuses(n *yaml.Node, path string) {
	s := &p.r.Statuses
	where := map[string]string{}
	list := func(dst *[]string, name string) handler {
		return func(v *yaml.Node, path string) {
			nodes, vals := p.strs(v, path)
			for i, id := range vals {
				if other, ok := where[id]; ok {
					p.errf(nodes[i], path, "stage %q is already listed under %s", id, other)
					continue
				}
				where[id] = name
				*dst = append(*dst, id)
			}
		}
	}
	p.fields(n, path, map[string]handler{
		"new":      list(&s.New, "new"),
		"answered": list(&s.Answered, "answered"),
		"waiting":  list(&s.Waiting, "waiting"),
		"closed":   list(&s.Closed, "closed"),
		"on_customer_reply": func(v *yaml.Node, path string) {
			s.OnCustomerReply, _ = p.str(v, path)
			p.later = append(p.later, func() {
				if st := s.StateOf(s.OnCustomerReply); st == StateWaiting || st == StateClosed {
					p.errf(v, path, "stage %q is a %s stage; a customer's reply must reopen the ticket", s.OnCustomerReply, st)
				}
			})
		},
	})
}

func (p *parser) pools(n *yaml.Node, path string) {
	p.mapItems(n, path, func(k, v *yaml.Node, ip string) {
		pool := &Pool{Name: k.Value, Strategy: RoundRobin}
		if strings.ContainsAny(k.Value, " :,") {
			p.errf(k, ip, "a pool name must not contain spaces, colons or commas")
		}
		seen := p.fields(v, ip, map[string]handler{
			"users":      func(v *yaml.Node, path string) { pool.Users = p.users(v, path) },
			"department": func(v *yaml.Node, path string) { pool.Department, _ = p.userID(v, path) },
			"fallback":   func(v *yaml.Node, path string) { pool.Fallback, _ = p.userID(v, path) },
			"strategy": func(v *yaml.Node, path string) {
				s, ok := p.str(v, path)
				if !ok {
					return
				}
				switch s {
				case RoundRobin, LeastOpen, Fixed:
					pool.Strategy = s
				default:
					p.errf(v, path, "unknown strategy %q (known: round_robin, least_open, fixed)", s)
				}
			},
		})
		if seen != nil {
			if _, ok := seen["fallback"]; !ok {
				p.errf(k, ip, "pool %q has no fallback user (who gets the ticket when nobody in the pool is available)", k.Value)
			}
		}
		p.r.Pools[k.Value] = pool
	})
}

// poolRef checks later that a pool exists.
func (p *parser) poolRef(n *yaml.Node, path, name string) {
	p.later = append(p.later, func() {
		if _, ok := p.r.Pools[name]; !ok {
			p.errf(n, path, "unknown pool %q%s", name, p.known(p.poolNames()))
		}
	})
}

func (p *parser) poolNames() []string {
	var out []string
	for n := range p.r.Pools {
		out = append(out, n)
	}
	return out
}

func (p *parser) known(all []string) string {
	seen := map[string]bool{}
	var names []string
	for _, n := range all {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sortStrings(names)
	return fmt.Sprintf(" (known: %s)", strings.Join(names, ", "))
}

// typeRef checks later that a type code exists.
func (p *parser) typeRef(n *yaml.Node, path, code string) {
	p.later = append(p.later, func() {
		if !p.r.IsTicketType(code) {
			var codes []string
			for _, t := range p.r.Types {
				codes = append(codes, t.Code)
			}
			p.errf(n, path, "unknown type %q%s", code, p.known(codes))
		}
	})
}

// tierRef checks later that a tier exists.
func (p *parser) tierRef(n *yaml.Node, path, name string) {
	p.later = append(p.later, func() {
		var names []string
		for _, t := range p.r.Tiers {
			if t.Name == name {
				return
			}
			names = append(names, t.Name)
		}
		p.errf(n, path, "unknown tier %q%s", name, p.known(names))
	})
}

func (p *parser) tiers(n *yaml.Node, path string) {
	names := map[string]bool{}
	p.items(n, path, func(_ int, v *yaml.Node, ip string) {
		var t Tier
		seen := p.fields(v, ip, map[string]handler{
			"name": func(v *yaml.Node, path string) {
				t.Name, _ = p.str(v, path)
				if names[t.Name] {
					p.errf(v, path, "duplicate tier %q", t.Name)
				}
				names[t.Name] = true
			},
			"when": func(v *yaml.Node, path string) { t.When = p.when(v, path) },
		})
		p.require(v, ip, seen, "name")
		p.r.Tiers = append(p.r.Tiers, t)
		p.tierNodes = append(p.tierNodes, v)
	})
}

// setFields reads a `set:` mapping of ticket fields.
func (p *parser) setFields(n *yaml.Node, path string) map[string]string {
	out := map[string]string{}
	p.mapItems(n, path, func(k, v *yaml.Node, ip string) {
		val, ok := p.str(v, ip)
		if !ok {
			return
		}
		switch key := k.Value; {
		case key == "type":
			p.typeRef(v, ip, val)
		case key == "priority":
			if !validPriority(val) {
				p.errf(v, ip, "unknown priority %q (known: low, normal, high, critical)", val)
			}
		case key == "tier":
			p.tierRef(v, ip, val)
		case strings.HasPrefix(key, "UF_CRM_"):
		default:
			p.errf(k, ip, "cannot set %q (known: type, priority, tier, UF_CRM_*)", key)
			return
		}
		out[k.Value] = val
	})
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		p.errf(n, path, "must set at least one field")
	}
	return out
}

func (p *parser) classify(n *yaml.Node, path string) {
	p.items(n, path, func(i int, v *yaml.Node, ip string) {
		c := ClassifyRule{Name: fmt.Sprintf("rule %d", i+1)}
		seen := p.fields(v, ip, map[string]handler{
			"name":     func(v *yaml.Node, path string) { c.Name, _ = p.str(v, path) },
			"when":     func(v *yaml.Node, path string) { c.When = p.when(v, path) },
			"set":      func(v *yaml.Node, path string) { c.Set = p.setFields(v, path) },
			"continue": func(v *yaml.Node, path string) { c.Continue, _ = p.boolean(v, path) },
		})
		p.require(v, ip, seen, "set")
		p.r.ClassifyRules = append(p.r.ClassifyRules, c)
		p.classifyNodes = append(p.classifyNodes, v)
	})
}

func (p *parser) route(n *yaml.Node, path string) {
	p.items(n, path, func(i int, v *yaml.Node, ip string) {
		rr := RouteRule{Name: fmt.Sprintf("route %d", i+1)}
		seen := p.fields(v, ip, map[string]handler{
			"name": func(v *yaml.Node, path string) { rr.Name, _ = p.str(v, path) },
			"when": func(v *yaml.Node, path string) { rr.When = p.when(v, path) },
			"assign": func(v *yaml.Node, path string) {
				if s, ok := p.str(v, path); ok {
					rr.Assign = s
					p.poolRef(v, path, s)
				}
			},
			"observers": func(v *yaml.Node, path string) { rr.Observers = p.recipients(v, path, false) },
		})
		p.require(v, ip, seen, "assign")
		p.r.RouteRules = append(p.r.RouteRules, rr)
		p.routeNodes = append(p.routeNodes, v)
	})
}

// recipients reads user IDs and pool:NAME references (and "assignee" when
// allowed).
func (p *parser) recipients(n *yaml.Node, path string, assignee bool) []string {
	nodes, vals := p.strs(n, path)
	var out []string
	for i, s := range vals {
		switch {
		case s == "assignee" && assignee:
		case strings.HasPrefix(s, "pool:"):
			p.poolRef(nodes[i], path, strings.TrimPrefix(s, "pool:"))
		default:
			if id, err := parsePositive(s); err != nil || id <= 0 {
				what := "a user ID or pool:NAME"
				if assignee {
					what = "a user ID, assignee or pool:NAME"
				}
				p.errf(nodes[i], path, "%q is not %s", s, what)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}
