package bitrix

import (
	"reflect"
	"testing"
	"time"
)

func TestEncodeQueryGolden(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"lead get", map[string]any{"id": 1}, "id=1"},
		{"docs list command", map[string]any{"filter": map[string]any{">ID": 5}, "start": -1},
			"filter%5B%3EID%5D=5&start=-1"},
		{"select list", map[string]any{"select": []any{"ID", "TITLE", "UF_*"}},
			"select%5B%5D=ID&select%5B%5D=TITLE&select%5B%5D=UF_%2A"},
		{"fields nested and sorted", map[string]any{"fields": map[string]any{"TITLE": "Нет доступа", "NAME": "a b"}},
			"fields%5BNAME%5D=a+b&fields%5BTITLE%5D=%D0%9D%D0%B5%D1%82+%D0%B4%D0%BE%D1%81%D1%82%D1%83%D0%BF%D0%B0"},
		{"multifield list of maps", map[string]any{"fields": map[string]any{"EMAIL": []any{
			map[string]any{"VALUE": "a@b.c", "VALUE_TYPE": "WORK"}}}},
			"fields%5BEMAIL%5D%5B0%5D%5BVALUE%5D=a%40b.c&fields%5BEMAIL%5D%5B0%5D%5BVALUE_TYPE%5D=WORK"},
		{"order by id", map[string]any{"order": map[string]any{"ID": "ASC"}}, "order%5BID%5D=ASC"},
		{"batch reference", map[string]any{"id": "$result[a][ID]"}, "id=%24result%5Ba%5D%5BID%5D"},
		{"scalars", map[string]any{"b": true, "c": false, "f": 1.5, "n": nil, "t": time.Date(2026, 5, 14, 10, 26, 32, 0, time.FixedZone("", 7200))},
			"b=1&c=0&f=1.5&n=&t=2026-05-14T10%3A26%3A32%2B02%3A00"},
		{"typed string slice", map[string]any{"values": []string{"a@b.c", "d@e.f"}}, "values%5B%5D=a%40b.c&values%5B%5D=d%40e.f"},
		{"typed map via JSON", map[string]any{"f": map[string]int{"B": 2, "A": 1}}, "f%5BA%5D=1&f%5BB%5D=2"},
		{"document id list", map[string]any{"DOCUMENT_ID": []any{"crm", "CCrmDocumentLead", "LEAD_123"}},
			"DOCUMENT_ID%5B%5D=crm&DOCUMENT_ID%5B%5D=CCrmDocumentLead&DOCUMENT_ID%5B%5D=LEAD_123"},
		{"empty containers dropped", map[string]any{"a": map[string]any{}, "b": []any{}, "c": "x"}, "c=x"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeQuery(tt.params); got != tt.want {
				t.Errorf("EncodeQuery = %q\nwant          %q", got, tt.want)
			}
		})
	}
}

func TestDecodeQuery(t *testing.T) {
	tests := []struct {
		name string
		q    string
		want map[string]any
	}{
		{"docs batch command", "filter[>ID]=5&start=-1",
			map[string]any{"filter": map[string]any{">ID": "5"}, "start": "-1"}},
		{"encoded brackets", "filter%5B%3EID%5D=5", map[string]any{"filter": map[string]any{">ID": "5"}}},
		{"append list", "select[]=ID&select[]=TITLE", map[string]any{"select": []any{"ID", "TITLE"}}},
		{"indexed list", "a[1]=y&a[0]=x", map[string]any{"a": []any{"x", "y"}}},
		{"sparse index is a map", "a[0]=x&a[2]=y", map[string]any{"a": map[string]any{"0": "x", "2": "y"}}},
		{"multifield", "fields[EMAIL][0][VALUE]=a%40b.c&fields[EMAIL][0][VALUE_TYPE]=WORK",
			map[string]any{"fields": map[string]any{"EMAIL": []any{map[string]any{"VALUE": "a@b.c", "VALUE_TYPE": "WORK"}}}}},
		{"reference kept", "id=%24result%5Ba%5D%5BID%5D", map[string]any{"id": "$result[a][ID]"}},
		{"later wins", "a=1&a[b]=2", map[string]any{"a": map[string]any{"b": "2"}}},
		{"later scalar wins", "a[b]=2&a=1", map[string]any{"a": "1"}},
		{"plus is space", "q=a+b", map[string]any{"q": "a b"}},
		{"unclosed bracket literal", "a[b=1", map[string]any{"a[b": "1"}},
		{"empty name literal", "[x]=1", map[string]any{"[x]": "1"}},
		{"trailing text ignored", "a[b]c=1", map[string]any{"a": map[string]any{"b": "1"}}},
		{"no value", "a&b=", map[string]any{"a": "", "b": ""}},
		{"numeric top level stays map", "0=a&1=b", map[string]any{"0": "a", "1": "b"}},
		{"empty", "", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQuery(tt.q)
			if err != nil {
				t.Fatalf("DecodeQuery(%q): %v", tt.q, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeQuery(%q) = %#v\nwant %#v", tt.q, got, tt.want)
			}
		})
	}
}

func TestDecodeQueryErrors(t *testing.T) {
	deep := "a"
	for range 40 {
		deep += "[x]"
	}
	for _, q := range []string{"a=%zz", "%=1", deep + "=1"} {
		if _, err := DecodeQuery(q); err == nil {
			t.Errorf("DecodeQuery(%.30q) succeeded, want an error", q)
		}
	}
}

func FuzzQueryRoundTrip(f *testing.F) {
	for _, s := range []string{
		"filter[>ID]=5&start=-1", "select[]=ID&select[]=TITLE", "fields[EMAIL][0][VALUE]=a%40b.c",
		"a[1]=y&a[0]=x", "a=1&a[b]=2", "cmd[a]=crm.lead.get%3Fid%3D1&halt=0", "a[[b]=1", "[x]=1&=2",
		"a[0][x]=1&a[1]=2", "a[]=1&a[5]=2&a[]=3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v1, err := DecodeQuery(q)
		if err != nil {
			return
		}
		q2 := EncodeQuery(v1)
		v2, err := DecodeQuery(q2)
		if err != nil {
			t.Fatalf("re-decode of %q (from %q): %v", q2, q, err)
		}
		if !reflect.DeepEqual(v1, v2) {
			t.Fatalf("round trip changed the value\nq  %q\nv1 %#v\nq2 %q\nv2 %#v", q, v1, q2, v2)
		}
		if q3 := EncodeQuery(v2); q3 != q2 {
			t.Fatalf("encoding not stable: %q then %q", q2, q3)
		}
	})
}
