package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func (p *parser) sla(n *yaml.Node, path string) {
	names := map[string]bool{}
	p.items(n, path, func(i int, v *yaml.Node, ip string) {
		pol := &Policy{Name: fmt.Sprintf("policy %d", i+1), Targets: map[Target]Duration{}, Ladders: map[Target][]Step{}}
		target := func(t Target) handler {
			return func(v *yaml.Node, path string) {
				if s, ok := p.str(v, path); ok {
					d, err := parseDuration(s)
					if err != nil {
						p.errf(v, path, "%s", err)
						return
					}
					pol.Targets[t] = d
				}
			}
		}
		var escalate *yaml.Node
		seen := p.fields(v, ip, map[string]handler{
			"name": func(v *yaml.Node, path string) {
				pol.Name, _ = p.str(v, path)
				if names[pol.Name] {
					p.errf(v, path, "duplicate policy %q", pol.Name)
				}
				names[pol.Name] = true
			},
			"when": func(v *yaml.Node, path string) { pol.When = p.when(v, path) },
			"calendar": func(v *yaml.Node, path string) {
				s, ok := p.str(v, path)
				if !ok {
					return
				}
				p.later = append(p.later, func() {
					c, ok := p.r.Calendars[s]
					if !ok {
						var names []string
						for n := range p.r.Calendars {
							names = append(names, n)
						}
						p.errf(v, path, "unknown calendar %q%s", s, p.known(names))
						return
					}
					pol.Calendar = c
				})
			},
			string(FirstResponse): target(FirstResponse),
			string(NextResponse):  target(NextResponse),
			string(Resolution):    target(Resolution),
			"escalate":            func(v *yaml.Node, path string) { escalate = v },
		})
		p.require(v, ip, seen, "calendar")
		if seen != nil && len(pol.Targets) == 0 && !p.hasTargetKey(seen) {
			p.errf(v, ip, "a policy needs at least one target (first_response, next_response, resolution)")
		}
		if escalate != nil {
			p.ladders(pol, escalate, join(ip, "escalate"))
		}
		p.r.SLA = append(p.r.SLA, pol)
		p.slaNodes = append(p.slaNodes, v)
	})
}

func (p *parser) hasTargetKey(seen map[string]*yaml.Node) bool {
	for _, t := range allTargets() {
		if _, ok := seen[string(t)]; ok {
			return true
		}
	}
	return false
}

func (p *parser) ladders(pol *Policy, n *yaml.Node, path string) {
	p.mapItems(n, path, func(k, v *yaml.Node, lp string) {
		t := Target(k.Value)
		switch t {
		case FirstResponse, NextResponse, Resolution:
		default:
			p.errf(k, lp, "unknown target %q (known: first_response, next_response, resolution)", k.Value)
			return
		}
		if _, ok := pol.Targets[t]; !ok {
			p.errf(k, lp, "the policy sets no %s target to escalate", t)
		}
		p.items(v, lp, func(_ int, sv *yaml.Node, sp string) {
			var st Step
			seen := p.fields(sv, sp, map[string]handler{
				"at": func(v *yaml.Node, path string) {
					if s, ok := p.str(v, path); ok {
						if err := parseAt(s, &st); err != nil {
							p.errf(v, path, "%s", err)
						}
					}
				},
				"notify": func(v *yaml.Node, path string) { st.Actions.Notify = p.recipients(v, path, true) },
				"set":    func(v *yaml.Node, path string) { st.Actions.Set = p.setFields(v, path) },
				"reassign": func(v *yaml.Node, path string) {
					if s, ok := p.str(v, path); ok {
						st.Actions.Reassign = s
						p.poolRef(v, path, s)
					}
				},
				"workflow": func(v *yaml.Node, path string) {
					if id, ok := p.integer(v, path); ok {
						if id <= 0 {
							p.errf(v, path, "must be a positive template ID")
						}
						st.Actions.Workflow = id
					}
				},
			})
			p.require(sv, sp, seen, "at")
			if len(seen) == 1 {
				p.errf(sv, sp, "a step needs an action (notify, set, reassign, workflow)")
			}
			pol.Ladders[t] = append(pol.Ladders[t], st)
		})
	})
}

// parseAt reads "80%" or an offset from the deadline such as "-30m".
func parseAt(s string, st *Step) error {
	st.At = s
	t := strings.TrimSpace(s)
	if pct, ok := strings.CutSuffix(t, "%"); ok {
		n, err := strconv.Atoi(pct)
		if err != nil || n < 0 || n > 1000 {
			return fmt.Errorf("bad step %q (write a percentage such as 80%% or an offset such as -30m)", s)
		}
		st.Percent = n
		return nil
	}
	sign := time.Duration(1)
	switch {
	case strings.HasPrefix(t, "-"):
		sign, t = -1, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	default:
		return fmt.Errorf("bad step %q (write a percentage such as 80%% or an offset such as -30m or +1h)", s)
	}
	d, err := parseBusiness(t)
	if err != nil {
		return fmt.Errorf("bad step %q: %w", s, err)
	}
	st.Offset, st.HasOffset = sign*d, true
	return nil
}

// parseDuration reads a target: 30m, 2h, 1h30m (business time) or 3wd
// (working days).
func parseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "wd"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v <= 0 || v > 3650 {
			return Duration{}, fmt.Errorf("bad duration %q (write 30m, 2h, 1h30m or 3wd)", s)
		}
		return Duration{WorkingDays: v}, nil
	}
	d, err := parseBusiness(t)
	if err != nil {
		return Duration{}, fmt.Errorf("bad duration %q: %w", s, err)
	}
	if d <= 0 {
		return Duration{}, fmt.Errorf("bad duration %q: must be positive", s)
	}
	return Duration{Business: d}, nil
}

// parseBusiness reads hours and minutes only (2h, 30m, 1h30m).
func parseBusiness(s string) (time.Duration, error) {
	if s == "" || strings.ContainsAny(s, "+-.") || strings.Trim(s, "0123456789hm") != "" {
		return 0, fmt.Errorf("use hours and minutes, e.g. 30m, 2h, 1h30m or working days 3wd")
	}
	d, err := time.ParseDuration(s)
	if err != nil || d > 10*365*24*time.Hour {
		return 0, fmt.Errorf("use hours and minutes, e.g. 30m, 2h, 1h30m or working days 3wd")
	}
	return d, nil
}
