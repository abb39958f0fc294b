package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one finding in a rules file, with its position and field path.
type Problem struct {
	File      string
	Line, Col int
	// Path is the field path, e.g. classify[2].when.subject.
	Path string
	Msg  string
}

// String formats the problem as FILE:LINE:COL: path.to.field: message.
func (p Problem) String() string {
	if p.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Line, p.Col, p.Path, p.Msg)
}

// Warning is a finding that does not stop the file from loading.
type Warning = Problem

// Problems is the error Parse and Load return for an invalid file: every
// problem found, sorted by position.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File { // a rules file's problems and those of the files it imports
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Path < b.Path
	})
}
