package schema

import (
	"fmt"
	"io"
)

// Verbs of report lines.
const (
	VerbCreated     = "created"
	VerbUpdated     = "updated"
	VerbBound       = "bound"
	VerbExists      = "exists"
	VerbWouldCreate = "would create"
	VerbWouldUpdate = "would update"
	VerbWouldBind   = "would bind"
	VerbWarning     = "warning"
	VerbManual      = "to do"   // a step an admin must take in the portal
	VerbProblem     = "problem" // setup could not finish this: fix and run again
)

// Line is one action or finding of Ensure, e.g. {created, SOURCE B24D_TECH
// «Технический вопрос»}.
type Line struct {
	Verb string
	What string
}

func (l Line) String() string { return l.Verb + " " + l.What }

// Report is what Ensure did or, in a dry run, would do.
type Report struct {
	DryRun bool
	Lines  []Line
	// Map is the portal schema after the run (in a dry run: as it is now).
	// Save it with Map.Save unless DryRun.
	Map *Map
}

func (r *Report) add(verb, format string, args ...any) {
	r.Lines = append(r.Lines, Line{Verb: verb, What: fmt.Sprintf(format, args...)})
}

// Changes counts the writes made (or, in a dry run, that would be made).
func (r *Report) Changes() int {
	n := 0
	for _, l := range r.Lines {
		switch l.Verb {
		case VerbCreated, VerbUpdated, VerbBound, VerbWouldCreate, VerbWouldUpdate, VerbWouldBind:
			n++
		}
	}
	return n
}

// Problems returns the lines setup could not settle; a run with problems
// did not finish its job.
func (r *Report) Problems() []Line { return r.filter(VerbProblem) }

// Warnings returns the warning lines.
func (r *Report) Warnings() []Line { return r.filter(VerbWarning) }

func (r *Report) filter(verb string) []Line {
	var out []Line
	for _, l := range r.Lines {
		if l.Verb == verb {
			out = append(out, l)
		}
	}
	return out
}

// Write prints one line per action and a summary.
func (r *Report) Write(w io.Writer) error { return r.write(w, nil) }

// WriteFailed prints the lines of a run that stopped on err and a summary
// that says so (never "no changes" for a run that did not finish).
func (r *Report) WriteFailed(w io.Writer, err error) error { return r.write(w, err) }

func (r *Report) write(w io.Writer, failed error) error {
	for _, l := range r.Lines {
		if _, err := fmt.Fprintf(w, "%-12s %s\n", l.Verb, l.What); err != nil {
			return err
		}
	}
	n, p := r.Changes(), len(r.Problems())
	var summary string
	switch {
	case failed != nil && r.DryRun:
		summary = fmt.Sprintf("dry run stopped: %v; nothing was written", failed)
	case failed != nil:
		summary = fmt.Sprintf("stopped: %v; %d change(s) made before that, run setup again once it is fixed", failed, n)
	case r.DryRun && n == 0 && p == 0:
		summary = "dry run: nothing to change, the portal has everything b24desk needs"
	case r.DryRun:
		summary = fmt.Sprintf("dry run: %d change(s) would be made; nothing was written", n)
	case n == 0 && p == 0:
		summary = "no changes: the portal already has everything b24desk needs"
	default:
		summary = fmt.Sprintf("%d change(s) made", n)
	}
	if p > 0 && failed == nil {
		summary += fmt.Sprintf("; %d problem(s) to fix (see the problem lines)", p)
	}
	_, err := fmt.Fprintln(w, summary)
	return err
}
