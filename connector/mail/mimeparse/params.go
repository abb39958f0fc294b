package mimeparse

import (
	"mime"
	"net/url"
	"strconv"
	"strings"
)

// parseMediaHeader parses a Content-Type or Content-Disposition value into a
// lowercase media type and parameters, decoding RFC 2231 (any charset, with
// continuations) and RFC 2047 words in quoted values, which mime.ParseMediaType
// does only for UTF-8. It never fails: junk is skipped.
func parseMediaHeader(v string) (string, map[string]string) {
	params := map[string]string{}
	typ, rest, _ := strings.Cut(v, ";")
	typ = strings.ToLower(strings.TrimSpace(typ))
	type ext struct {
		charset string
		parts   map[int]string
		encoded map[int]bool
	}
	exts := map[string]*ext{}
	for _, kv := range splitParams(rest) {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = unquote(strings.TrimSpace(val))
		if k == "" {
			continue
		}
		if !strings.Contains(k, "*") {
			if _, dup := params[k]; !dup {
				params[k] = val
			}
			continue
		}
		encoded := strings.HasSuffix(k, "*")
		base := strings.TrimSuffix(k, "*")
		idx := 0
		if name, n, ok := strings.Cut(base, "*"); ok {
			i, err := strconv.Atoi(n)
			if err != nil || i < 0 || i > 100 {
				continue
			}
			base, idx = name, i
		}
		e := exts[base]
		if e == nil {
			e = &ext{parts: map[int]string{}, encoded: map[int]bool{}}
			exts[base] = e
		}
		if encoded && idx == 0 {
			if cs, after, ok := strings.Cut(val, "'"); ok {
				if _, after2, ok := strings.Cut(after, "'"); ok {
					e.charset, val = cs, after2
				}
			}
		}
		e.parts[idx] = val
		e.encoded[idx] = encoded
	}
	for base, e := range exts {
		var raw strings.Builder
		for i := 0; i <= 100; i++ {
			p, ok := e.parts[i]
			if !ok {
				break
			}
			if e.encoded[i] {
				if un, err := url.PathUnescape(strings.ReplaceAll(p, "+", "%2B")); err == nil {
					p = un
				}
			}
			raw.WriteString(p)
		}
		val := raw.String()
		if e.charset != "" {
			val = decodeText([]byte(val), e.charset).text
		} else {
			val = fixHeaderText(val)
		}
		params[base] = val
	}
	for k, val := range params {
		if strings.Contains(val, "=?") {
			params[k] = decodeHeader(val)
		} else {
			params[k] = fixHeaderText(val)
		}
	}
	if typ != "" {
		if mt, _, err := mime.ParseMediaType(typ); err == nil {
			typ = mt
		}
	}
	return typ, params
}

// splitParams splits "; a=b; c="d;e"" on semicolons outside quotes.
func splitParams(s string) []string {
	var out []string
	quoted, esc, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && quoted:
			esc = true
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		if strings.Contains(s, `\`) {
			var b strings.Builder
			esc := false
			for i := 0; i < len(s); i++ {
				if s[i] == '\\' && !esc {
					esc = true
					continue
				}
				esc = false
				b.WriteByte(s[i])
			}
			s = b.String()
		}
	} else if strings.HasPrefix(s, `"`) {
		s = strings.TrimPrefix(s, `"`)
	}
	return s
}
