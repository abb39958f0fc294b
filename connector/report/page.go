package report

import (
	"html/template"
	"io"
	"net/url"
	"time"
)

// PageLinks say how the page links to itself: Path is the page's path
// (e.g. /report) and Auth the query parameters that authenticate a signed
// link (carried along by every link and form; empty for a Bearer token or
// a saved file).
type PageLinks struct {
	Path string
	Auth url.Values
}

type pageData struct {
	Rep      *Report
	Period   string
	From, To string // the form's dates (To included)
	Groups   []Group
	Charts   []chart
	Ratings  chart
	ByLinks  []byLink
	Auth     []hidden
	Path     string
	Columns  []string
	Now      string
	HasRates bool
}

type byLink struct {
	By, Href string
	Current  bool
}

type hidden struct{ Name, Value string }

// Page writes the report as one self-contained HTML page: figures, the
// per-group table and inline SVG charts drawn here (no script, no file
// fetched from elsewhere), readable on a phone. It shows aggregates and
// ticket numbers only, never mail content.
func Page(w io.Writer, rep *Report, links PageLinks) error {
	loc := rep.loc
	if loc == nil {
		loc = time.UTC
	}
	d := pageData{Rep: rep, Period: rep.Period(), Path: links.Path, Groups: append(append([]Group(nil), rep.Groups...), rep.Total),
		Now: rep.Now.In(loc).Format("2006-01-02 15:04 MST"), HasRates: len(rep.Labels) > 0}
	if !rep.From.IsZero() {
		d.From = rep.From.In(loc).Format(time.DateOnly)
	}
	if !rep.To.IsZero() {
		d.To = rep.To.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	for name, vs := range links.Auth {
		for _, v := range vs {
			d.Auth = append(d.Auth, hidden{Name: name, Value: v})
		}
	}
	for _, by := range Groupings {
		q := url.Values{}
		for k, v := range links.Auth {
			q[k] = v
		}
		q.Set("from", d.From)
		q.Set("to", d.To)
		q.Set("by", by)
		d.ByLinks = append(d.ByLinks, byLink{By: by, Href: links.Path + "?" + q.Encode(), Current: by == rep.By})
	}
	d.Charts = []chart{
		breachChart(rep),
		countChart("chart-response", "First response time (working hours)", "no first response in the period",
			rep.Response, palette[0]),
		countChart("chart-backlog", "Open backlog by age (working hours)", "no open ticket", rep.Backlog.Buckets, palette[1]),
		ratingsChart(rep),
	}
	return pageTemplate.Execute(w, d)
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct": pct, "hours": hours, "num": num, "ids": ids,
	"decided": func(ts TargetStats) int { return ts.Met + ts.Breached },
	"vals":    func(g Group) []string { return g.values(false) },
	"anchor": func(a string) string {
		if a == "" {
			return "middle"
		}
		return a
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>b24desk SLA report {{.Period}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;padding:12px;max-width:1100px;color:#222;background:#fff}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.05em;margin:1.2em 0 .4em}
form{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:.6em 0}
label{display:flex;flex-direction:column;font-size:.85em}
input,select,button{font-size:1em;padding:4px}
nav a{margin-right:.6em}nav a.cur{font-weight:bold;text-decoration:none;color:#222}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}
.tile{border:1px solid #ddd;border-radius:6px;padding:8px}.tile b{display:block;font-size:1.4em}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
figure{margin:0;border:1px solid #eee;border-radius:6px;padding:6px}
figcaption{font-weight:bold;font-size:.95em}
svg{width:100%;height:auto;display:block}svg text{font-size:12px;fill:#222}
.legend span{display:inline-block;margin-right:10px;font-size:.85em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85em}
th,td{border-bottom:1px solid #e4e4e4;padding:3px 6px;text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}
tr.total td{font-weight:bold}.note{color:#666;font-size:.85em}
</style>
</head>
<body>
<h1>SLA report <span id="period">{{.Period}}</span></h1>
<p class="note">Tickets opened in the period, grouped by {{.Rep.By}}; hours are working hours on each ticket's policy calendar. Backlog as of {{.Now}}.</p>
<form method="get" action="{{.Path}}">
<label>From <input type="date" name="from" value="{{.From}}"></label>
<label>To <input type="date" name="to" value="{{.To}}"></label>
<label>By <select name="by">{{range .ByLinks}}<option{{if .Current}} selected{{end}}>{{.By}}</option>{{end}}</select></label>
{{range .Auth}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}
<button type="submit">Show</button>
</form>
<nav>Group by: {{range .ByLinks}}<a href="{{.Href}}"{{if .Current}} class="cur"{{end}}>{{.By}}</a>{{end}}</nav>
<h2>Summary</h2>
<div class="tiles">
<div class="tile">Opened<b id="opened">{{.Rep.Total.Opened}}</b></div>
<div class="tile">Closed<b id="closed">{{.Rep.Total.Closed}}</b></div>
<div class="tile">First response breached<b id="fr-rate">{{pct .Rep.Total.FirstResponse.BreachRate}}</b>{{.Rep.Total.FirstResponse.Breached}} of {{decided .Rep.Total.FirstResponse}} decided</div>
<div class="tile">Resolution breached<b id="res-rate">{{pct .Rep.Total.Resolution.BreachRate}}</b>{{.Rep.Total.Resolution.Breached}} of {{decided .Rep.Total.Resolution}} decided</div>
<div class="tile">Open now<b id="backlog-open">{{.Rep.Backlog.Open}}</b></div>
<div class="tile">At risk now<b id="backlog-risk">{{.Rep.Backlog.AtRisk}}</b></div>
<div class="tile">Breached now<b id="backlog-breached">{{.Rep.Backlog.Breached}}</b></div>
<div class="tile">Ratings<b id="ratings-mean">{{if .Rep.Total.Ratings.Count}}{{num .Rep.Total.Ratings.Mean}}{{else}}-{{end}}</b>{{.Rep.Total.Ratings.Count}} rated</div>
</div>
<h2>Charts</h2>
<div class="charts">
{{range .Charts}}<figure id="{{.ID}}">
<figcaption>{{.Title}}</figcaption>
<svg viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="{{.Title}}" xmlns="http://www.w3.org/2000/svg">
{{if .BaseY}}<line x1="0" y1="{{.BaseY}}" x2="{{.W}}" y2="{{.BaseY}}" stroke="#999"/>{{end}}
{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}" data-series="{{.Series}}" data-category="{{.Category}}" data-value="{{.Value}}"><title>{{.Series}} {{.Category}}: {{.Text}}</title></rect>
<text x="{{.TX}}" y="{{.TY}}" text-anchor="middle" class="value" data-series="{{.Series}}" data-category="{{.Category}}">{{.Text}}</text>
{{end}}{{range .Ticks}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{anchor .Anchor}}">{{.Text}}</text>
{{end}}{{if .Note}}<text x="200" y="40" text-anchor="middle" class="note">{{.Note}}</text>{{end}}
</svg>
{{if .Legend}}<div class="legend">{{range .Legend}}<span><i style="background:{{.Fill}}"></i>{{.Text}}</span>{{end}}</div>{{end}}
</figure>
{{end}}</div>
<h2>By {{.Rep.By}}</h2>
<div class="scroll"><table id="groups">
<thead><tr><th>{{.Rep.By}}</th><th>opened</th><th>closed</th><th>FR met</th><th>FR breached</th><th>FR rate</th><th>FR median h</th><th>FR p90 h</th><th>RES met</th><th>RES breached</th><th>RES rate</th><th>RES median h</th><th>RES p90 h</th><th>paused h</th><th>reopen</th><th>escalations</th><th>ratings</th><th>mean</th><th>open</th><th>at risk</th><th>breached</th></tr></thead>
<tbody>{{range .Groups}}<tr{{if eq .Key "total"}} class="total"{{end}} data-key="{{.Key}}"><td>{{.Key}}{{if .Name}} <span class="note">{{.Name}}</span>{{end}}</td>{{range vals .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
{{if .HasRates}}<h2>Ratings</h2>
<div class="scroll"><table id="labels"><thead><tr><th>label</th><th>count</th><th>share</th></tr></thead><tbody>
{{range .Rep.Total.Ratings.Labels}}<tr><td>{{.Label}}</td><td>{{.Count}}</td><td>{{pct .Share}}</td></tr>
{{end}}</tbody></table></div>{{end}}
<h2>Open backlog by age</h2>
<div class="scroll"><table id="backlog"><thead><tr><th>age</th><th>tickets</th><th>numbers</th></tr></thead><tbody>
{{range .Rep.Backlog.Buckets}}<tr><td>{{.Label}}</td><td>{{.Count}}</td><td style="text-align:left">{{ids .Tickets}}</td></tr>
{{end}}</tbody></table></div>
<p class="note">Definitions: docs/reports.md. Generated by b24desk.</p>
</body>
</html>
`))
