package config

import (
	"errors"
	"os"
	"testing"
)

// FuzzLoad checks that no input panics and every problem has a position.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"b24desk.example.yaml", "testdata/broken.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{minimal, minimal + mbox, secretsConfig, "", "~", "[]", "a: &a [*a]\n", "portal: {webhook_url_file: x}\n",
		"mailboxes: [&m {name: a}, *m, *m]\n", "portal:\n  rate: 1e400\n  burst: 99999999999\n", "\t:"} {
		f.Add([]byte(s))
	}
	readFile := func(name string) ([]byte, error) {
		if name == "/cfg/x" {
			return []byte("secret\n"), nil
		}
		return nil, os.ErrNotExist
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := newLoader("fuzz.yaml", "/cfg", nil, readFile)
		cfg, err := l.load(data)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error is not Problems: %v", err)
		}
		for _, p := range ps {
			if p.Env == "" && (p.File != "fuzz.yaml" || p.Line < 1 || p.Column < 1) {
				t.Fatalf("problem without a position: %#v", p)
			}
		}
	})
}
