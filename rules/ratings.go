package rules

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultRatingValidFor is how long a customer can rate (or re-rate) an
// answer when the rules do not say.
const DefaultRatingValidFor = 14 * 24 * time.Hour

// Ratings turn on customers' ratings of staff answers: the choices every
// answer mail offers and what to do on a low rating.
type Ratings struct {
	// Choices in file order (best first, as the answers show them).
	Choices []RatingChoice
	// ValidFor is how long after the answer a rating can be given or
	// changed.
	ValidFor time.Duration
	// Low acts on a rating whose score is at most LowAtMost, once per
	// answer; nil: no action.
	Low       *Actions
	LowAtMost int
}

// RatingChoice is one choice: a label in the answers' language and a score.
type RatingChoice struct {
	Label string
	Score int
}

// Labels returns the choices' labels in order (nil when ratings are off).
func (r *Ratings) Labels() []string {
	if r == nil {
		return nil
	}
	out := make([]string, len(r.Choices))
	for i, c := range r.Choices {
		out[i] = c.Label
	}
	return out
}

// Match reads a customer's reply line as a choice: its label (case and
// surrounding spaces and punctuation ignored) or its number (1 = the
// first choice).
func (r *Ratings) Match(line string) (RatingChoice, bool) {
	if r == nil {
		return RatingChoice{}, false
	}
	s := strings.TrimSpace(strings.Trim(strings.TrimSpace(line), ".!«»\"'"))
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(r.Choices) {
		return r.Choices[n-1], true
	}
	for _, c := range r.Choices {
		if strings.EqualFold(s, c.Label) {
			return c, true
		}
	}
	return RatingChoice{}, false
}

// Choice returns the choice with the index (0-based).
func (r *Ratings) Choice(i int) (RatingChoice, bool) {
	if r == nil || i < 0 || i >= len(r.Choices) {
		return RatingChoice{}, false
	}
	return r.Choices[i], true
}

// ratings reads the ratings section.
func (p *parser) ratings(n *yaml.Node, path string) {
	rt := &Ratings{ValidFor: DefaultRatingValidFor}
	seen := p.fields(n, path, map[string]handler{
		"choices": func(v *yaml.Node, path string) {
			labels := map[string]bool{}
			p.items(v, path, func(_ int, cv *yaml.Node, ip string) {
				var c RatingChoice
				cs := p.fields(cv, ip, map[string]handler{
					"label": func(v *yaml.Node, path string) {
						l, ok := p.str(v, path)
						if !ok {
							return
						}
						l = strings.TrimSpace(l)
						switch {
						case l == "":
							p.errf(v, path, "must not be empty")
						case labels[strings.ToLower(l)]:
							p.errf(v, path, "duplicate label %q", l)
						}
						labels[strings.ToLower(l)] = true
						c.Label = l
					},
					"score": func(v *yaml.Node, path string) { c.Score, _ = p.integer(v, path) },
				})
				p.require(cv, ip, cs, "label", "score")
				rt.Choices = append(rt.Choices, c)
			})
			if v.Kind == yaml.SequenceNode && len(v.Content) < 2 {
				p.errf(v, path, "needs at least two choices")
			}
		},
		"valid_for": func(v *yaml.Node, path string) {
			s, ok := p.str(v, path)
			if !ok {
				return
			}
			d, err := parseRatingWindow(s)
			if err != nil || d <= 0 {
				p.errf(v, path, "bad duration %q (write e.g. 14d or 72h)", s)
				return
			}
			rt.ValidFor = d
		},
		"low": func(v *yaml.Node, path string) {
			a := &Actions{}
			ls := p.fields(v, path, map[string]handler{
				"at_most": func(v *yaml.Node, path string) { rt.LowAtMost, _ = p.integer(v, path) },
				"notify":  func(v *yaml.Node, path string) { a.Notify = p.recipients(v, path, true) },
				"set":     func(v *yaml.Node, path string) { a.Set = p.setFields(v, path) },
			})
			p.require(v, path, ls, "at_most")
			if ls != nil && ls["notify"] == nil && ls["set"] == nil {
				p.errf(v, path, "needs an action (notify, set)")
			}
			rt.Low = a
		},
	})
	p.require(n, path, seen, "choices")
	p.r.Ratings = rt
}

// parseRatingWindow parses a Go duration that may also be written in days (14d).
func parseRatingWindow(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
