package rules

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// DefaultJunkStage is the lead stage spam goes to unless spam.junk_stage
// says otherwise.
const DefaultJunkStage = "JUNK"

// Spam says what a spam filter's score means for a new mail and whether
// staff decisions teach the filter (the rules file's `spam` section; the
// filter itself, spamd, is in the daemon config).
type Spam struct {
	// Threshold: a mail scoring at or above it is spam (0: the filter's
	// own verdict, spamd's required_score).
	Threshold float64
	// JunkStage is the closed stage spam tickets are created in; staff
	// moving a ticket there marks it junk.
	JunkStage string
	// Learn: closing a ticket as junk teaches the filter spam, rescuing it
	// or closing it normally teaches ham.
	Learn bool
	// CheckReplies: replies to known tickets are checked too.
	CheckReplies bool
}

// IsSpam reports whether score means spam: at or above Threshold, or
// spamd's own verdict when no threshold is set.
func (s Spam) IsSpam(score float64, filterVerdict bool) bool {
	if s.Threshold > 0 {
		return score >= s.Threshold
	}
	return filterVerdict
}

// defaultSpam is the section an absent `spam` key gives.
func defaultSpam() Spam { return Spam{JunkStage: DefaultJunkStage, Learn: true} }

func (p *parser) spam(n *yaml.Node, path string) {
	s := &p.r.Spam
	stageNode := n
	p.fields(n, path, map[string]handler{
		"threshold": func(v *yaml.Node, path string) {
			t, ok := p.str(v, path)
			if !ok {
				return
			}
			f, err := strconv.ParseFloat(t, 64)
			if err != nil || f <= 0 || f > 1000 {
				p.errf(v, path, "must be a score above 0, e.g. 5.0 (SpamAssassin's usual required_score), not %q", t)
				return
			}
			s.Threshold = f
		},
		"junk_stage": func(v *yaml.Node, path string) {
			if j, ok := p.str(v, path); ok {
				s.JunkStage, stageNode = j, v
			}
		},
		"learn": func(v *yaml.Node, path string) {
			if b, ok := p.boolean(v, path); ok {
				s.Learn = b
			}
		},
		"check_replies": func(v *yaml.Node, path string) {
			if b, ok := p.boolean(v, path); ok {
				s.CheckReplies = b
			}
		},
	})
	p.later = append(p.later, func() {
		// Spam tickets must not run an SLA clock: the stage must be closed.
		if st := p.r.Statuses.StateOf(s.JunkStage); st != StateClosed {
			p.errf(stageNode, path+".junk_stage", "stage %q must be listed under statuses.closed (spam runs no SLA clock), not read as %s", s.JunkStage, st)
		}
	})
}
