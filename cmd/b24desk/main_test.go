package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTopLevelUsage(t *testing.T) {
	for _, c := range []struct {
		name       string
		args       []string
		code       int
		wantStdout bool // usage on stdout (else on stderr)
	}{
		{"no command", nil, exitUsage, false},
		{"help", []string{"--help"}, exitOK, true},
		{"help word", []string{"help"}, exitOK, true},
		{"unknown command", []string{"frobnicate"}, exitUsage, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(c.args, &stdout, &stderr); code != c.code {
				t.Fatalf("exit %d, want %d", code, c.code)
			}
			got, other := stderr.String(), stdout.String()
			if c.wantStdout {
				got, other = other, got
			}
			for _, w := range []string{"Usage: b24desk COMMAND", "run ", "demo ", "Exit codes:"} {
				if !strings.Contains(got, w) {
					t.Errorf("usage lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(other, "Usage:") {
				t.Errorf("usage printed on both streams")
			}
		})
	}
}
