package report

import (
	"strconv"
)

// chart is one inline SVG bar chart, laid out on the server.
type chart struct {
	ID, Title string
	W, H      int
	Bars      []bar
	Ticks     []tick   // category labels under the plot
	Legend    []legend // series colours
	Note      string   // shown when there is nothing to draw
	BaseY     float64  // the baseline of vertical bars (0: none)
}

// bar is one rectangle with its value written above (or inside) it. Series,
// Category and Value are the data-* attributes tests and readers look at.
type bar struct {
	X, Y, W, H       float64
	Fill             string
	Text             string
	TX, TY           float64
	Series, Category string
	Value            string
}

type tick struct {
	X, Y   float64
	Text   string
	Anchor string // SVG text-anchor ("" = middle)
}

type legend struct {
	Fill, Text string
}

var palette = []string{"#2f6fb0", "#d9822b", "#3c9a5f", "#b8433f", "#7b5ea7", "#8c6d46", "#c45c9a", "#5f7a8a"}

// Chart geometry in SVG user units; the SVG scales to the page's width.
const (
	chartW   = 400
	chartH   = 215
	plotTop  = 20
	plotBot  = 185
	plotLeft = 8
)

// breachChart: the breach rate of each type in each week, bars grouped by
// week; a week in which nothing was decided for a type has no bar.
func breachChart(rep *Report) chart {
	c := chart{ID: "chart-breach", Title: "Breach rate per type per week", W: chartW, H: chartH, BaseY: plotBot}
	if len(rep.Weeks) == 0 || len(rep.Breaches) == 0 {
		c.Note = "no ticket opened in the period"
		return c
	}
	slot := float64(chartW-2*plotLeft) / float64(len(rep.Weeks))
	bw := slot * 0.8 / float64(len(rep.Breaches))
	for wi, w := range rep.Weeks {
		x0 := plotLeft + slot*float64(wi) + slot*0.1
		c.Ticks = append(c.Ticks, tick{X: x0 + slot*0.4, Y: plotBot + 17, Text: w})
		for si, s := range rep.Breaches {
			rate := s.Rates[wi]
			if rate < 0 {
				continue
			}
			h := rate * (plotBot - plotTop)
			x := x0 + bw*float64(si)
			p := percent(rate)
			c.Bars = append(c.Bars, bar{X: x, Y: plotBot - h, W: bw - 2, H: h, Fill: palette[si%len(palette)],
				Text: p + "%", TX: x + bw/2 - 1, TY: plotBot - h - 4, Series: s.Type, Category: w, Value: p})
		}
	}
	for si, s := range rep.Breaches {
		c.Legend = append(c.Legend, legend{Fill: palette[si%len(palette)], Text: s.Type})
	}
	return c
}

// countChart draws buckets as bars of their counts.
func countChart(id, title, note string, bs []Bucket, fill string) chart {
	c := chart{ID: id, Title: title, W: chartW, H: chartH, BaseY: plotBot}
	max := 0
	for _, b := range bs {
		if b.Count > max {
			max = b.Count
		}
	}
	if max == 0 {
		c.Note = note
	}
	slot := float64(chartW-2*plotLeft) / float64(len(bs))
	for i, b := range bs {
		x := plotLeft + slot*float64(i) + slot*0.15
		h := 0.0
		if max > 0 {
			h = float64(b.Count) / float64(max) * (plotBot - plotTop)
		}
		n := strconv.Itoa(b.Count)
		c.Bars = append(c.Bars, bar{X: x, Y: plotBot - h, W: slot * 0.7, H: h, Fill: fill, Text: n,
			TX: x + slot*0.35, TY: plotBot - h - 4, Category: b.Label, Value: n})
		c.Ticks = append(c.Ticks, tick{X: x + slot*0.35, Y: plotBot + 17, Text: b.Label})
	}
	return c
}

// ratingsChart: one horizontal bar per assignee split by label, the count
// of each label inside its segment.
func ratingsChart(rep *Report) chart {
	c := chart{ID: "chart-ratings", Title: "Ratings by assignee", W: chartW}
	rowH := 28.0
	c.H = int(rowH*float64(len(rep.Assignee))) + 40
	if len(rep.Assignee) == 0 {
		c.Note = "no rating in the period"
		c.H = 60
		return c
	}
	left, width := 64.0, float64(chartW)-64-76
	for i, a := range rep.Assignee {
		y := 8 + rowH*float64(i)
		c.Ticks = append(c.Ticks, tick{X: 4, Y: y + 17, Text: a.Assignee, Anchor: "start"})
		x := left
		for li, l := range a.Ratings.Labels {
			if l.Count == 0 {
				continue
			}
			w := float64(l.Count) / float64(a.Ratings.Count) * width
			n := strconv.Itoa(l.Count)
			c.Bars = append(c.Bars, bar{X: x, Y: y, W: w, H: rowH - 6, Fill: palette[li%len(palette)], Text: n,
				TX: x + w/2, TY: y + 16, Series: l.Label, Category: a.Assignee, Value: n})
			x += w
		}
		c.Ticks = append(c.Ticks, tick{X: left + width + 6, Y: y + 17, Text: "mean " + num(a.Ratings.Mean), Anchor: "start"})
	}
	for li, l := range rep.Labels {
		c.Legend = append(c.Legend, legend{Fill: palette[li%len(palette)], Text: l})
	}
	return c
}

func percent(rate float64) string { return strconv.FormatFloat(rate*100, 'f', 0, 64) }
