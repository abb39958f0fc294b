package mimeparse

import (
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestDecodeTextDetection(t *testing.T) {
	enc := func(cm *charmap.Charmap, s string) []byte {
		b, err := cm.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	short := "Привет, как дела? Не работает поиск."
	tests := []struct {
		name, declared string
		raw            []byte
		wantText       string
		wantCharset    string
		detected       bool
	}{
		{"ascii", "", []byte("hello"), "hello", "us-ascii", true},
		{"utf8 undeclared", "", []byte(short), short, "utf-8", true},
		{"cp1251 undeclared", "", enc(charmap.Windows1251, short), short, "windows-1251", true},
		{"koi8 undeclared", "", enc(charmap.KOI8R, short), short, "koi8-r", true},
		{"cp866 undeclared", "", enc(charmap.CodePage866, short), short, "ibm866", true},
		{"koi8 declared", "KOI8-R", enc(charmap.KOI8R, short), short, "koi8-r", false},
		{"cp1251 alias", "cp1251", enc(charmap.Windows1251, short), short, "windows-1251", false},
		{"iso-8859-5", "iso-8859-5", enc(charmap.ISO8859_5, short), short, "iso-8859-5", false},
		{"utf8 declared but cp1251", "utf-8", enc(charmap.Windows1251, short), short, "windows-1251", true},
		{"cp1251 declared but utf8", "windows-1251", []byte(short), short, "utf-8", true},
		{"koi8 declared but cp1251", "koi8-r", enc(charmap.Windows1251, short), short, "windows-1251", true},
		{"unknown charset", "x-nonsense", []byte(short), short, "utf-8", true},
		{"latin1", "iso-8859-1", []byte("caf\xe9"), "café", "iso-8859-1", false},
		{"latin1 undeclared", "", []byte("Gr\xfc\xdfe aus M\xfcnchen, caf\xe9"), "Grüße aus München, café", "windows-1252", true},
		{"short russian words", "", enc(charmap.Windows1251, "Я в шоке, и я с ним"), "Я в шоке, и я с ним", "windows-1251", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decodeText(tt.raw, tt.declared)
			if d.text != tt.wantText || d.charset != tt.wantCharset || d.detected != tt.detected {
				t.Errorf("decodeText = %q %s detected=%v; want %q %s detected=%v", d.text, d.charset, d.detected, tt.wantText, tt.wantCharset, tt.detected)
			}
		})
	}
}

func TestDecodeHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=?koi8-r?B?8NLJ18XU?=", "Привет"},
		{"=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?= world", "Привет world"},
		{"=?utf-8?B?0J/RgNC40LLQtdGC?= =?utf-8?B?INC80LjRgA==?=", "Привет мир"},
		{"\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"}, // raw cp1251 bytes
		{"=?x-unknown?B?AAAA?=", "=?x-unknown?B?AAAA?="},
	}
	for _, tt := range tests {
		if got := decodeHeader(tt.in); got != tt.want {
			t.Errorf("decodeHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMediaHeader(t *testing.T) {
	tests := []struct {
		in, typ, key, want string
	}{
		{`attachment; filename*=windows-1251''%D1%F7%E5%F2.pdf`, "attachment", "filename", "Счет.pdf"},
		{`attachment; filename*=koi8-r'ru'%F3%DE%C5%D4.pdf`, "attachment", "filename", "Счет.pdf"},
		{`attachment; filename*0*=utf-8''%D0%A1%D1%87; filename*1*=%D0%B5%D1%82.pdf`, "attachment", "filename", "Счет.pdf"},
		{`attachment; filename*0="long "; filename*1="name.txt"`, "attachment", "filename", "long name.txt"},
		{`attachment; filename="=?utf-8?B?0KHRh9C10YIucGRm?="`, "attachment", "filename", "Счет.pdf"},
		{`Text/Plain; Charset="KOI8-R"`, "text/plain", "charset", "KOI8-R"},
		{`multipart/mixed; boundary="a;b"`, "multipart/mixed", "boundary", "a;b"},
		{`attachment; filename="Счет.pdf"`, "attachment", "filename", "Счет.pdf"},
		{`attachment; filename=plain name.pdf`, "attachment", "filename", "plain name.pdf"},
	}
	for _, tt := range tests {
		typ, params := parseMediaHeader(tt.in)
		if typ != tt.typ || params[tt.key] != tt.want {
			t.Errorf("parseMediaHeader(%q) = %q %q, want %q %q=%q", tt.in, typ, params, tt.typ, tt.key, tt.want)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"a<br>b<br/>c", "a\nb\nc"},
		{"<ul><li>x</li><li>y</li></ul>", "- x\n- y"},
		{`<a href="https://x.example/a">link</a>`, "link (https://x.example/a)"},
		{`<a href="https://x.example/">https://x.example/</a>`, "https://x.example/"},
		{`<a href="javascript:alert(1)">js</a>`, "js"},
		{"<style>p{}</style><script>var a=1</script>visible", "visible"},
		{"<p>  lots   of\n\n space </p>", "lots of space"},
		{"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"&lt;tag&gt; &amp; &nbsp;x", "<tag> & x"},
		{"<p>unclosed <b>bold", "unclosed bold"},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in); got != tt.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
