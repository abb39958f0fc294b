package sim

import (
	"encoding/json"
	"testing"
)

// TestAppendJSONMatchesEncodingJSON: the fast encoder writes what
// encoding/json writes for the values handlers produce.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, "", "plain", "quote\" back\\ nl\n tab\t cr\r ctl\x01 <b>&amp;", "кириллица", "bad\xffutf8", "\u2028\u2029",
		true, false, 0, -42, int64(1 << 40), json.Number("12.5"), 1.5, 0.000001, 1e21,
		map[string]any{"b": 1, "a": []any{"x", nil, map[string]any{}}, "c": []any{}},
		[]any{map[string]any{"ID": "1"}, []any{}}, map[string]string{"k": "v"},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
		}
	}
}
