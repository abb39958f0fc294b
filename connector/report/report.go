package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Groupings a report can use (Options.By).
const (
	ByType     = "type"
	ByLevel    = "level"
	ByAssignee = "assignee"
	ByTier     = "tier"
	ByPolicy   = "policy"
	ByWeek     = "week"
)

// Groupings lists the valid Options.By values in the order the CLI and the
// page offer them.
var Groupings = []string{ByType, ByLevel, ByAssignee, ByTier, ByPolicy, ByWeek}

// Options say what to report on.
type Options struct {
	// From and To bound the period [From, To): tickets opened in it form
	// the groups; closings are counted when they fall in it.
	From, To time.Time
	// By is one of Groupings ("" = ByType).
	By string
	// Now is the moment the backlog and "breached now" are taken at.
	Now time.Time
	// Rules name types, levels and calendars; nil: wall-clock hours and
	// no names (a report must still come out when the rules are broken).
	Rules *rules.Rules
	// Location is the zone weeks are cut in (nil: UTC).
	Location *time.Location
	// Labels are the rating labels in the rules' order (best first); labels
	// met in the history but not listed follow.
	Labels []string
}

// Report is the computed report: per-group figures, the whole desk's
// total, the open backlog and the data of the page's charts. Hours are
// working hours on each ticket's policy calendar, rounded to 0.01.
type Report struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Now      time.Time `json:"now"`
	By       string    `json:"by"`
	Groups   []Group   `json:"groups"`
	Total    Group     `json:"total"`
	Backlog  Backlog   `json:"backlog"`
	Labels   []string  `json:"rating_labels"`
	Weeks    []string  `json:"weeks"`
	Breaches []Series  `json:"breach_rate_by_type_week"`
	Response []Bucket  `json:"first_response_distribution"`
	Assignee []Rated   `json:"ratings_by_assignee"`

	loc *time.Location
}

// Group is one group's figures.
type Group struct {
	Key           string      `json:"key"`
	Name          string      `json:"name,omitempty"`
	Opened        int         `json:"opened"`
	Closed        int         `json:"closed"`
	FirstResponse TargetStats `json:"first_response"`
	Resolution    TargetStats `json:"resolution"`
	PausedHours   float64     `json:"paused_hours"`
	Reopened      int         `json:"reopened"`
	ReopenRate    float64     `json:"reopen_rate"`
	Escalations   int         `json:"escalations"`
	Ratings       Ratings     `json:"ratings"`
	Open          int         `json:"open_now"`
	AtRisk        int         `json:"at_risk_now"`
	BreachedNow   int         `json:"breached_now"`
	Tickets       []int64     `json:"tickets"`

	everClosed int
}

// TargetStats are one SLA target's outcomes among a group's tickets.
type TargetStats struct {
	Met        int     `json:"met"`
	Breached   int     `json:"breached"`
	Pending    int     `json:"pending"`
	BreachRate float64 `json:"breach_rate"` // breached / (met + breached); 0 when none decided
	Median     float64 `json:"median_hours"`
	P90        float64 `json:"p90_hours"`

	hours []float64
}

// Ratings are the customers' ratings of a group's answers.
type Ratings struct {
	Count  int          `json:"count"`
	Mean   float64      `json:"mean"`
	Labels []LabelShare `json:"labels"`

	sum    int
	counts map[string]int
}

// LabelShare is how often one label was chosen.
type LabelShare struct {
	Label string  `json:"label"`
	Count int     `json:"count"`
	Share float64 `json:"share"`
}

// Backlog is the open tickets at Now by age in working hours.
type Backlog struct {
	Open     int      `json:"open"`
	AtRisk   int      `json:"at_risk"`
	Breached int      `json:"breached"`
	Buckets  []Bucket `json:"by_age"`
}

// Bucket counts tickets whose hours fall in [Min, Max) (Max 0: no bound).
type Bucket struct {
	Label   string  `json:"label"`
	Min     float64 `json:"min_hours"`
	Max     float64 `json:"max_hours,omitempty"`
	Count   int     `json:"count"`
	Tickets []int64 `json:"tickets"`
}

// Series is one type's breach rate per week (Weeks order); -1: nothing
// decided that week.
type Series struct {
	Type  string    `json:"type"`
	Rates []float64 `json:"rates"`
}

// Rated is one assignee's ratings.
type Rated struct {
	Assignee string  `json:"assignee"`
	Ratings  Ratings `json:"ratings"`
}

// AgeBuckets are the backlog's age classes in working hours.
var AgeBuckets = []Bucket{{Label: "< 4h", Max: 4}, {Label: "4-8h", Min: 4, Max: 8},
	{Label: "8-24h", Min: 8, Max: 24}, {Label: "24-40h", Min: 24, Max: 40}, {Label: ">= 40h", Min: 40}}

// ResponseBuckets are the first-response time classes in working hours.
var ResponseBuckets = []Bucket{{Label: "< 1h", Max: 1}, {Label: "1-2h", Min: 1, Max: 2},
	{Label: "2-4h", Min: 2, Max: 4}, {Label: "4-8h", Min: 4, Max: 8},
	{Label: "8-24h", Min: 8, Max: 24}, {Label: ">= 24h", Min: 24}}

// Compute builds the report from the history records (store.History). It
// is pure: same records and options, same report.
func Compute(list []store.HistoryTicket, o Options) (*Report, error) {
	if o.By == "" {
		o.By = ByType
	}
	if !validBy(o.By) {
		return nil, fmt.Errorf("report: grouping %q: want one of %v", o.By, Groupings)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	rep := &Report{From: o.From, To: o.To, Now: o.Now, By: o.By, Total: Group{Key: "total"},
		Labels: append([]string(nil), o.Labels...), loc: o.Location}
	rep.Backlog.Buckets = cloneBuckets(AgeBuckets)
	rep.Response = cloneBuckets(ResponseBuckets)
	groups := map[string]*Group{}
	assignees := map[string]*Rated{}
	type cell struct{ met, breached int }
	breaches := map[string]map[string]*cell{} // type → week → outcomes
	weeks := map[string]bool{}
	for _, h := range list {
		if h.Deleted || filteredAsSpam(h) {
			continue
		}
		tk := newTicket(h, o)
		inPeriod := inRange(h.CreatedAt, o.From, o.To)
		closedIn := !h.ClosedAt.IsZero() && inRange(h.ClosedAt, o.From, o.To)
		if !inPeriod && !closedIn && !tk.openNow() {
			continue
		}
		key, name := groupOf(h, o)
		g := groups[key]
		if g == nil {
			g = &Group{Key: key, Name: name}
			groups[key] = g
		}
		for _, gg := range []*Group{g, &rep.Total} {
			if closedIn {
				gg.Closed++
			}
			if tk.openNow() {
				gg.Open++
				switch h.SLAState {
				case "warning":
					gg.AtRisk++
				case "breached":
					gg.BreachedNow++
				}
			}
		}
		if tk.openNow() {
			rep.Backlog.Open++
			switch h.SLAState {
			case "warning":
				rep.Backlog.AtRisk++
			case "breached":
				rep.Backlog.Breached++
			}
			addBucket(rep.Backlog.Buckets, tk.workHours(h.CreatedAt, o.Now, false), h.LeadID)
		}
		if !inPeriod {
			continue
		}
		week := weekOf(h.CreatedAt, o.Location)
		weeks[week] = true
		fr, res := tk.outcome(store.TargetFirstResponse), tk.outcome(store.TargetResolution)
		if fr.state == stateMet || fr.state == stateBreached {
			addBucket(rep.Response, fr.hours, h.LeadID)
		}
		c := breaches[h.Type]
		if c == nil {
			c = map[string]*cell{}
			breaches[h.Type] = c
		}
		if c[week] == nil {
			c[week] = &cell{}
		}
		for _, oc := range []outcome{fr, res} {
			switch oc.state {
			case stateMet:
				c[week].met++
			case stateBreached:
				c[week].breached++
			}
		}
		who := assigneeKey(h.Assignee)
		if len(h.Ratings) > 0 {
			if assignees[who] == nil {
				assignees[who] = &Rated{Assignee: who}
			}
			addRatings(&assignees[who].Ratings, h.Ratings)
		}
		for _, gg := range []*Group{g, &rep.Total} {
			gg.Opened++
			gg.Tickets = append(gg.Tickets, h.LeadID)
			gg.FirstResponse.add(fr)
			gg.Resolution.add(res)
			gg.PausedHours += tk.pausedHours()
			if !h.ClosedAt.IsZero() || h.Reopens > 0 {
				gg.everClosed++
			}
			if h.Reopens > 0 {
				gg.Reopened++
			}
			gg.Escalations += tk.escalations()
			addRatings(&gg.Ratings, h.Ratings)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rep.Groups = append(rep.Groups, *groups[k])
	}
	for i := range rep.Groups {
		rep.finish(&rep.Groups[i])
	}
	rep.finish(&rep.Total)
	for w := range weeks {
		rep.Weeks = append(rep.Weeks, w)
	}
	sort.Strings(rep.Weeks)
	types := make([]string, 0, len(breaches))
	for ty := range breaches {
		types = append(types, ty)
	}
	sort.Strings(types)
	for _, ty := range types {
		s := Series{Type: ty}
		for _, w := range rep.Weeks {
			c := breaches[ty][w]
			if c == nil || c.met+c.breached == 0 {
				s.Rates = append(s.Rates, -1)
				continue
			}
			s.Rates = append(s.Rates, round(float64(c.breached)/float64(c.met+c.breached)))
		}
		rep.Breaches = append(rep.Breaches, s)
	}
	who := make([]string, 0, len(assignees))
	for k := range assignees {
		who = append(who, k)
	}
	sort.Strings(who)
	for _, k := range who {
		a := assignees[k]
		rep.finishRatings(&a.Ratings)
		rep.Assignee = append(rep.Assignee, *a)
	}
	return rep, nil
}

// finish turns a group's sums into rates, means and percentiles.
func (rep *Report) finish(g *Group) {
	for _, ts := range []*TargetStats{&g.FirstResponse, &g.Resolution} {
		if d := ts.Met + ts.Breached; d > 0 {
			ts.BreachRate = round(float64(ts.Breached) / float64(d))
		}
		ts.Median, ts.P90 = median(ts.hours), percentile(ts.hours, 0.9)
	}
	g.PausedHours = round(g.PausedHours)
	if g.everClosed > 0 {
		g.ReopenRate = round(float64(g.Reopened) / float64(g.everClosed))
	}
	rep.finishRatings(&g.Ratings)
	if g.Tickets == nil {
		g.Tickets = []int64{}
	}
}

// finishRatings computes the mean and each label's share, labels in the
// rules' order and the others after them by name.
func (rep *Report) finishRatings(r *Ratings) {
	if r.Count > 0 {
		r.Mean = round(float64(r.sum) / float64(r.Count))
	}
	var extra []string
	for l := range r.counts {
		if !contains(rep.Labels, l) {
			extra = append(extra, l)
		}
	}
	sort.Strings(extra)
	rep.Labels = append(rep.Labels, extra...)
	r.Labels = []LabelShare{}
	for _, l := range rep.Labels {
		n := r.counts[l]
		share := 0.0
		if r.Count > 0 {
			share = round(float64(n) / float64(r.Count))
		}
		r.Labels = append(r.Labels, LabelShare{Label: l, Count: n, Share: share})
	}
}

func addRatings(r *Ratings, list []store.HistoryRating) {
	for _, x := range list {
		if r.counts == nil {
			r.counts = map[string]int{}
		}
		r.Count++
		r.sum += x.Score
		r.counts[x.Label]++
	}
}

func (ts *TargetStats) add(o outcome) {
	switch o.state {
	case stateMet:
		ts.Met++
		ts.hours = append(ts.hours, o.hours)
	case stateBreached:
		ts.Breached++
		if o.hours >= 0 {
			ts.hours = append(ts.hours, o.hours)
		}
	case statePending:
		ts.Pending++
	}
}

// groupOf returns the ticket's group key and display name.
func groupOf(h store.HistoryTicket, o Options) (key, name string) {
	switch o.By {
	case ByLevel:
		if o.Rules != nil {
			if ty, ok := o.Rules.TypeByCode(h.Type); ok && ty.Level != "" {
				return ty.Level, ""
			}
		}
		return "-", ""
	case ByAssignee:
		return assigneeKey(h.Assignee), ""
	case ByTier:
		return orDash(h.Tier), ""
	case ByPolicy:
		return orDash(h.Policy), ""
	case ByWeek:
		return weekOf(h.CreatedAt, o.Location), ""
	}
	if o.Rules != nil {
		if ty, ok := o.Rules.TypeByCode(h.Type); ok {
			return orDash(h.Type), ty.Name
		}
	}
	return orDash(h.Type), ""
}

func assigneeKey(id int64) string {
	if id <= 0 {
		return "-"
	}
	return "user " + strconv.FormatInt(id, 10)
}

// weekOf names the ISO week of t in loc, e.g. 2026-W45.
func weekOf(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

func validBy(by string) bool { return contains(Groupings, by) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func inRange(t, from, to time.Time) bool {
	return !t.Before(from) && (to.IsZero() || t.Before(to))
}

func addBucket(bs []Bucket, hours float64, id int64) {
	for i := range bs {
		if hours >= bs[i].Min && (bs[i].Max == 0 || hours < bs[i].Max) {
			bs[i].Count++
			bs[i].Tickets = append(bs[i].Tickets, id)
			return
		}
	}
}

func cloneBuckets(in []Bucket) []Bucket {
	out := make([]Bucket, len(in))
	for i, b := range in {
		out[i] = Bucket{Label: b.Label, Min: b.Min, Max: b.Max, Tickets: []int64{}}
	}
	return out
}

// median is the middle value (the mean of the two middle ones for an even
// count); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := sorted(v)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return round((s[n/2-1] + s[n/2]) / 2)
}

// percentile is the nearest-rank percentile: the smallest value with at
// least p of the values at or below it; 0 for none.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := sorted(v)
	k := int(math.Ceil(p*float64(len(s)))) - 1
	if k < 0 {
		k = 0
	}
	return s[k]
}

func sorted(v []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s
}

func round(x float64) float64 { return math.Round(x*100) / 100 }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// filteredAsSpam: the spam filter's verdict at intake made the ticket closed
// in the junk stage the moment it was created, with no SLA policy. Such a
// ticket was never work for the desk and is not counted (tickets staff
// closed as junk are: they were read first). A rescued ticket reopens and
// counts from then on like any other.
func filteredAsSpam(h store.HistoryTicket) bool {
	return h.Policy == "" && !h.ClosedAt.IsZero() && !h.ClosedAt.After(h.CreatedAt)
}
