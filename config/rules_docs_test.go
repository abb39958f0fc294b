package config

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// rulesDataMaps are the maps of the rules file whose keys are data (pool
// and calendar names, dates, day ranges), not keys a reader looks up.
var rulesDataMaps = []string{"pools", "calendars", "calendars.*.week", "calendars.*.shortened", "calendars.*.workdays"}

// rulesKeys lists the key paths of a rules file's mappings ("[]" for list
// items, "*" for a data map's entries).
func rulesKeys(n *yaml.Node, path string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		sub := path
		if n.Kind == yaml.SequenceNode {
			sub += "[]"
		}
		for _, c := range n.Content {
			rulesKeys(c, sub, out)
		}
	case yaml.MappingNode:
		data := false
		for _, d := range rulesDataMaps {
			data = data || d == path
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if data {
				key = "*"
			} else {
				out[strings.TrimPrefix(path+"."+key, ".")] = true
			}
			rulesKeys(n.Content[i+1], strings.TrimPrefix(path+"."+key, "."), out)
		}
	}
}

// TestEveryRulesKeyDocumented: each key the example rules file uses is
// named in docs/rules.md.
func TestEveryRulesKeyDocumented(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal(RulesExample(), &root); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	rulesKeys(&root, "", keys)
	if !keys["templates[].text"] || !keys["sla[].escalate.first_response[].at"] {
		t.Fatalf("key walk missed known keys: %v", keys)
	}
	for p := range keys {
		leaf := p[strings.LastIndex(p, ".")+1:]
		leaf = strings.TrimSuffix(leaf, "[]")
		if !strings.Contains(string(doc), "`"+leaf+"`") && !strings.Contains(string(doc), "`"+leaf+":") {
			t.Errorf("docs/rules.md does not name %s (as `%s`)", p, leaf)
		}
	}
}
