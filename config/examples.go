package config

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/b24desk/b24desk/rules"
)

// rulesFiles are the default rules and the production calendar files they
// import (paths beside the rules file).
//
//go:embed rules.example.yaml ru-2026.xml ru-2027.xml
var rulesFiles embed.FS

// rulesExampleName is the default rules file's name in rulesFiles.
const rulesExampleName = "rules.example.yaml"

//go:embed b24desk.example.yaml
var configExample []byte

// RulesExample returns config/rules.example.yaml, the default rules file
// (the demo runs on it; `b24desk rules check` accepts it as it is). The
// slice is a fresh copy: the caller may change it. Its calendars import
// files that lie beside it: load it with ExampleRules, or write it out with
// WriteRulesExample.
func RulesExample() []byte {
	data, err := rulesFiles.ReadFile(rulesExampleName)
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	return data
}

// ExampleRules parses the embedded default rules with the files they
// import.
func ExampleRules(now time.Time) (*rules.Rules, []rules.Warning, error) {
	return rules.ParseFS(rulesFiles, rulesExampleName, now)
}

// WriteRulesExample writes the default rules as dir/rules.yaml with the
// files they import beside it, and returns the rules file's path.
func WriteRulesExample(dir string) (string, error) {
	entries, err := fs.ReadDir(rulesFiles, ".")
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		data, err := rulesFiles.ReadFile(e.Name())
		if err != nil {
			return "", err
		}
		name := e.Name()
		if name == rulesExampleName {
			name = "rules.yaml"
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return "", fmt.Errorf("write default rules: %w", err)
		}
	}
	return filepath.Join(dir, "rules.yaml"), nil
}

// Example returns config/b24desk.example.yaml, the documented example of
// the daemon config. The slice is a fresh copy.
func Example() []byte { return append([]byte(nil), configExample...) }
