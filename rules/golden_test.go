package rules

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestCheckGolden runs the checker over broken files and compares every
// message (problems, then warnings) with testdata/NAME.golden.
func TestCheckGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, warns, err := Parse(f, data, now)
			var b strings.Builder
			var probs Problems
			if err != nil && !errors.As(err, &probs) {
				t.Fatalf("error is not Problems: %v", err)
			}
			for _, p := range probs {
				if p.Line < 1 || p.Col < 1 {
					t.Errorf("problem without position: %v", p)
				}
				b.WriteString(p.String() + "\n")
			}
			for _, w := range warns {
				w.Msg = "warning: " + w.Msg
				b.WriteString(w.String() + "\n")
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCheckGolden -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("messages differ from %s:\n--- got\n%s--- want\n%s", golden, b.String(), want)
			}
		})
	}
}
