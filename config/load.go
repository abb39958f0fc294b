package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	_ "time/tzdata" // portal.timezone must load in minimal containers too

	"go.yaml.in/yaml/v3"
)

// maxConfigSize bounds the config file; a real one is a few kilobytes.
const maxConfigSize = 1 << 20

// Load reads, checks and completes the config file at path. env looks up
// environment variables (pass os.LookupEnv; tests pass a map's lookup; nil
// means none). A configuration with problems returns Problems (all of them);
// a file that cannot be read returns a wrapped I/O error.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	data, err := readLimited(abs, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	l := newLoader(path, filepath.Dir(abs), env, readSecretFile)
	cfg, err := l.load(data)
	if cfg != nil {
		cfg.File = abs
	}
	return cfg, err
}

// loader holds the state of one Load: where values came from and the
// problems found so far.
type loader struct {
	file     string
	dir      string
	env      func(string) (string, bool)
	readFile func(string) ([]byte, error)
	problems Problems
	origins  map[string]origin
	failed   map[string]bool // paths whose value did not parse
	secrets  map[string]*secretSource
	root     origin
}

// origin is where a value was set: a file position or an environment variable.
type origin struct {
	line, col int
	env       string
}

func newLoader(file, dir string, env func(string) (string, bool), readFile func(string) ([]byte, error)) *loader {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	return &loader{
		file: file, dir: dir, env: env, readFile: readFile,
		origins: map[string]origin{},
		failed:  map[string]bool{},
		secrets: map[string]*secretSource{},
		root:    origin{line: 1, col: 1},
	}
}

// load runs every stage; problems from all stages are reported together.
func (l *loader) load(data []byte) (*Config, error) {
	cfg := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.syntaxProblem(err)
		return nil, l.result()
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root := doc.Content[0]
		l.root = origin{line: root.Line, col: root.Column}
		if !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
			l.decode(root, reflectValue(&cfg), "", 0)
		}
	}
	l.finish(reflectValue(&cfg), "", "B24DESK")
	l.validate(&cfg)
	if err := l.result(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (l *loader) result() error {
	if len(l.problems) == 0 {
		return nil
	}
	l.problems.sort()
	return l.problems
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns a YAML parser error into a positioned problem.
func (l *loader) syntaxProblem(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			line, msg = n, m[2]
		}
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Column: 1, Msg: "YAML syntax: " + msg})
}

// addAt records a problem at an origin.
func (l *loader) addAt(o origin, path, format string, args ...any) {
	p := Problem{File: l.file, Line: o.line, Column: o.col, Env: o.env, Path: path, Msg: fmt.Sprintf(format, args...)}
	if o.env != "" {
		p.File, p.Line, p.Column = "", 0, 0
	}
	l.problems = append(l.problems, p)
}

// add records a problem at the position of path, or of its nearest ancestor
// that was written down, or of the document. A value that did not parse was
// reported already and is not checked again.
func (l *loader) add(path, format string, args ...any) {
	if l.failed[path] {
		return
	}
	l.addAt(l.at(path), path, format, args...)
}

func (l *loader) at(path string) origin {
	for p := path; p != ""; p = parentPath(p) {
		if o, ok := l.origins[p]; ok {
			return o
		}
	}
	return l.root
}

// set tells whether path was written in the file or the environment.
func (l *loader) set(path string) bool {
	_, ok := l.origins[path]
	return ok
}

func parentPath(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return p[:i]
		}
	}
	return ""
}

// readLimited reads a regular file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return os.ReadFile(path)
}

// maxSecretSize bounds a secret file.
const maxSecretSize = 64 << 10

func readSecretFile(path string) ([]byte, error) { return readLimited(path, maxSecretSize) }
