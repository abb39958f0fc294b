package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const minimal = "portal:\n  webhook_url: https://p.example/rest/1/s3cr3tWEBHOOK/\n"

// writeConfig writes text as b24desk.yaml (and extra files) in a new
// directory and returns the config path.
func writeConfig(t *testing.T, text string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "b24desk.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// problemsOf loads and returns the problems (nil when the config is valid).
func problemsOf(t *testing.T, text string, env map[string]string, files map[string]string) Problems {
	t.Helper()
	_, err := Load(writeConfig(t, text, files), envMap(env))
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is not Problems: %v", err)
	}
	return ps
}

func mustLoad(t *testing.T, text string, env map[string]string, files map[string]string) *Config {
	t.Helper()
	cfg, err := Load(writeConfig(t, text, files), envMap(env))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}
