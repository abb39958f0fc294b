package rules

import (
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
)

// warnings adds the findings that do not stop a file: rules shadowed by an
// earlier catch-all and holiday data that ends soon.
func (p *parser) warnings(now time.Time) {
	shadow := func(section string, nodes []*yaml.Node, catchAll func(i int) bool) {
		for i := range nodes {
			if !catchAll(i) {
				continue
			}
			for j := i + 1; j < len(nodes); j++ {
				p.warnf(nodes[j], index(section, j), "can never match: %s[%d] before it matches everything", section, i)
			}
			return
		}
	}
	r := p.r
	if len(p.classifyNodes) == len(r.ClassifyRules) {
		shadow("classify", p.classifyNodes, func(i int) bool { return r.ClassifyRules[i].When == nil && !r.ClassifyRules[i].Continue })
	}
	if len(p.routeNodes) == len(r.RouteRules) {
		shadow("route", p.routeNodes, func(i int) bool { return r.RouteRules[i].When == nil })
	}
	if len(p.tierNodes) == len(r.Tiers) {
		shadow("tiers", p.tierNodes, func(i int) bool { return r.Tiers[i].When == nil })
	}
	if len(p.slaNodes) == len(r.SLA) {
		shadow("sla", p.slaNodes, func(i int) bool { return r.SLA[i].When == nil })
	}
	names := make([]string, 0, len(r.Calendars))
	for n := range r.Calendars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := r.Calendars[name]
		end, ok := c.HolidayDataEnd()
		if !ok || now.IsZero() {
			continue
		}
		if horizon := now.Add(holidayHorizon); end.Before(horizon) {
			p.warnf(p.calNodes[name], "calendars."+name, "holiday data ends on %s, less than 60 days ahead: add the next year's holidays", end.Format("2006-01-02"))
		}
	}
}
