package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// keyPaths lists every configurable key path, lists written as "[]".
func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for _, f := range fields(t) {
		ft := t.Field(f.index).Type
		p := joinPath(prefix, f.key)
		switch {
		case ft == timeType || ft.Kind() != reflect.Struct && ft.Kind() != reflect.Slice,
			ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.Struct: // a list of values
			out = append(out, p)
		case ft.Kind() == reflect.Struct:
			out = append(out, keyPaths(ft, p)...)
		default:
			out = append(out, keyPaths(ft.Elem(), p+"[]")...)
		}
	}
	return out
}

// TestEveryKeyDocumented keeps the example file and docs/configuration.md in
// step with the Config type.
func TestEveryKeyDocumented(t *testing.T) {
	example, err := os.ReadFile("b24desk.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range keyPaths(reflect.TypeFor[Config](), "") {
		leaf := p[strings.LastIndex(p, ".")+1:]
		if !strings.Contains(string(example), " "+leaf+":") && !strings.HasPrefix(string(example), leaf+":") &&
			!strings.Contains(string(example), "\n"+leaf+":") {
			t.Errorf("b24desk.example.yaml lacks %s", p)
		}
		short := strings.TrimPrefix(p, "mailboxes[].")
		if !strings.Contains(string(doc), "`"+short+"`") && !strings.Contains(string(doc), "`"+leaf+"`") {
			t.Errorf("docs/configuration.md lacks %s", p)
		}
	}
}
