package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedStateExits2: run, setup and check refuse an existing state
// file that is empty or garbage with exit 2 and "restore the backup", and
// leave the file as it was (no new state over it).
func TestDamagedStateExits2(t *testing.T) {
	for _, c := range []struct {
		name    string
		content []byte
	}{
		{"empty", nil},
		{"garbage", bytes.Repeat([]byte("not a database "), 1000)},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := newInstall(t, "events:\n  mode: poll\n")
			if err := os.MkdirAll(in.state, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(in.state, "b24desk.db")
			if err := os.WriteFile(path, c.content, 0o600); err != nil {
				t.Fatal(err)
			}
			for name, cmd := range map[string]func(t *testing.T) (int, string){
				"run":   func(t *testing.T) (int, string) { return in.run(t, cmdRun) },
				"setup": func(t *testing.T) (int, string) { return in.run(t, cmdSetup) },
				"check": func(t *testing.T) (int, string) { return in.run(t, cmdCheck) },
			} {
				code, out := cmd(t)
				if code != exitUsage || !strings.Contains(out, "damaged") || !strings.Contains(out, "restore the") {
					t.Errorf("%s: exit %d, want %d saying the state is damaged and to restore the backup:\n%s", name, code, exitUsage, out)
				}
				got, err := os.ReadFile(path)
				if err != nil || !bytes.Equal(got, c.content) {
					t.Fatalf("%s changed the damaged state file (%d bytes, %v)", name, len(got), err)
				}
			}
		})
	}
}
