package logs

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzUniqueKeys: whatever a line holds, the writer never panics; a JSON
// object comes out as a JSON object with every key once and the same
// innermost values.
func FuzzUniqueKeys(f *testing.F) {
	f.Add([]byte(`{"level":"info","component":"mail","mailbox":"a","component":"imapbox","message":"x"}` + "\n"))
	f.Add([]byte(`{"a":1,"a":{"b":[1,2]},"component":1,"component":"x"}`))
	f.Add([]byte(`{"component":"","component":"\u00e9\"","z":null}`))
	f.Add([]byte("not json\n"))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var buf bytes.Buffer
		if _, err := UniqueKeys(&buf).Write(line); err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		var in map[string]json.RawMessage
		if json.Unmarshal(line, &in) != nil || len(Repeated(line)) == 0 {
			if !bytes.Equal(out, line) {
				t.Fatalf("a line without repeated keys was changed:\n%q\n%q", line, out)
			}
			return
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("output is not JSON: %v\n%q", err, out)
		}
		if r := Repeated(out); len(r) > 0 {
			t.Fatalf("output repeats %v: %q", r, out)
		}
		for k, v := range in {
			if k == ComponentKey {
				continue
			}
			if !bytes.Equal(compact(t, got[k]), compact(t, v)) {
				t.Fatalf("%s = %s, want the innermost %s", k, got[k], v)
			}
		}
	})
}

func compact(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("%v: %q", err, b)
	}
	return out.Bytes()
}
