package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration, with where it comes from:
// a position in the file, or an environment variable.
type Problem struct {
	File   string // config file as given to Load
	Line   int    // 1-based; 0 when the problem comes from the environment
	Column int    // 1-based
	Env    string // the environment variable, when it caused the problem
	Path   string // key path, e.g. mailboxes[0].imap.port
	Msg    string
}

// String is "FILE:LINE:COL: path: message" or
// "environment VAR: path: message".
func (p Problem) String() string {
	where := fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	if p.Env != "" {
		where = "environment " + p.Env
	}
	if p.Path == "" {
		return where + ": " + p.Msg
	}
	return where + ": " + p.Path + ": " + p.Msg
}

// Problems is every problem found in a configuration, sorted by position
// (file problems first by line and column, then environment variables).
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if (a.Env == "") != (b.Env == "") {
			return a.Env == ""
		}
		if a.Env != b.Env {
			return a.Env < b.Env
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
}
