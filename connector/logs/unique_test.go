package logs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestUniqueKeys(t *testing.T) {
	var buf bytes.Buffer
	root := zerolog.New(UniqueKeys(&buf)).With().Timestamp().Logger()
	mail := root.With().Str("component", "mail").Str("mailbox", "support").Logger()
	box := mail.With().Str("component", "imapbox").Str("account", "s@imap:993").Logger()
	again := mail.With().Str("component", "mail").Str("mailbox", "support").Logger()
	box.Info().Int("uid", 7).Msg("fetched")
	again.Warn().Str("mailbox", "inner").Msg("twice")
	root.Info().Msg("plain")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	want := []map[string]string{
		{"component": "mail.imapbox", "mailbox": "support", "account": "s@imap:993", "message": "fetched"},
		{"component": "mail", "mailbox": "inner", "message": "twice"},
		{"message": "plain"},
	}
	for i, l := range lines {
		if r := Repeated([]byte(l)); len(r) > 0 {
			t.Errorf("line %d repeats %v: %s", i, r, l)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i, err, l)
		}
		for k, v := range want[i] {
			if m[k] != v {
				t.Errorf("line %d: %s = %v, want %q: %s", i, k, m[k], v, l)
			}
		}
		if m["uid"] != nil && m["uid"] != float64(7) {
			t.Errorf("uid = %v", m["uid"])
		}
	}
	// Not JSON: passed as it is.
	buf.Reset()
	if _, err := UniqueKeys(&buf).Write([]byte("plain text\n")); err != nil || buf.String() != "plain text\n" {
		t.Fatalf("%q %v", buf.String(), err)
	}
}

func TestRepeated(t *testing.T) {
	if got := Repeated([]byte(`{"component":"mail","a":1,"component":"imapbox","a":{"x":[1]}}`)); strings.Join(got, ",") != "component,a" {
		t.Fatalf("Repeated = %v", got)
	}
	if got := Repeated([]byte(`not json`)); got != nil {
		t.Fatalf("Repeated = %v", got)
	}
}
