package mimeparse

import "testing"

func TestUnflow(t *testing.T) {
	tests := []struct {
		in    string
		delsp bool
		want  string
	}{
		{"one \ntwo\nthree", false, "one two\nthree"},
		{"one \ntwo", true, "onetwo"},
		{" From me\n  indented", false, "From me\n indented"},
		{"text \n-- \nsig", false, "text \n-- \nsig"},
		{"> quoted \n> more\nreply", false, "> quoted more\nreply"},
		{"> a \n>> b", false, "> a \n>> b"},
	}
	for _, tt := range tests {
		if got := unflow(tt.in, tt.delsp); got != tt.want {
			t.Errorf("unflow(%q, %v) = %q, want %q", tt.in, tt.delsp, got, tt.want)
		}
	}
}

func TestParseFlowed(t *testing.T) {
	raw := "From: a@b.c\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\nThis is a long \r\nsentence.\r\n\r\nBye\r\n"
	m, err := Parse([]byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "This is a long sentence.\n\nBye" {
		t.Errorf("Text = %q", m.Text)
	}
}
