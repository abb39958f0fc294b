package config

import (
	"bytes"
	"os"
	"testing"
)

func TestExamplesAreTheFiles(t *testing.T) {
	tests := []struct {
		file string
		got  func() []byte
	}{
		{"rules.example.yaml", RulesExample},
		{"b24desk.example.yaml", Example},
	}
	for _, tc := range tests {
		want, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got := tc.got()
		if len(got) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s: embedded copy differs from the file", tc.file)
		}
		got[0] ^= 0xff // a caller's change never reaches the next caller
		if again := tc.got(); !bytes.Equal(again, want) {
			t.Errorf("%s: a change to the returned slice leaked", tc.file)
		}
	}
}
