package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The scenario itself is tested in package demo; here the command's flags.
func TestDemoHelp(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		code       int
		wantStdout bool // the usage on stdout (else on stderr)
		wantErr    string
	}{
		{"help", []string{"--help"}, exitOK, true, ""},
		{"short help", []string{"-h"}, exitOK, true, ""},
		{"bad flag", []string{"--nope"}, exitUsage, false, "flag provided but not defined: -nope"},
		{"argument", []string{"extra"}, exitUsage, false, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cmdDemo(context.Background(), c.args, &stdout, &stderr)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout.String(), stderr.String())
			}
			with, without := stdout.String(), stderr.String()
			if !c.wantStdout {
				with, without = without, with
			}
			if n := strings.Count(with, "Usage: b24desk demo"); n != 1 {
				t.Errorf("usage printed %d times, want once:\n%s", n, with)
			}
			if !strings.Contains(with, "Example") {
				t.Errorf("usage lacks its example:\n%s", with)
			}
			if without != "" {
				t.Errorf("unexpected output on the other stream:\n%s", without)
			}
			if !strings.Contains(stderr.String(), c.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", c.wantErr, stderr.String())
			}
		})
	}
}
