package config

import (
	"errors"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGoldenProblems(t *testing.T) {
	env := map[string]string{"B24DESK_LOG_LEVEL": "chatty", "B24DESK_MAILBOXES_0_IMAP_PORT": "imaps"}
	_, err := Load("testdata/broken.yaml", envMap(env))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	got := ps.Error() + "\n"
	const golden = "testdata/broken.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("problems differ from %s (go test ./config -run Golden -update):\n--- got\n%s--- want\n%s", golden, got, want)
	}
}
