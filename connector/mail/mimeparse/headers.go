package mimeparse

import (
	"mime"
	"net/mail"
	nettextproto "net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

// wordDecoder decodes RFC 2047 encoded words in every x/text charset.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// decodeHeader decodes RFC 2047 words and repairs raw 8-bit text.
func decodeHeader(v string) string {
	v = fixHeaderText(v)
	if !strings.Contains(v, "=?") {
		return v
	}
	dec, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return fixHeaderText(dec)
}

// headerMap returns every field with canonical keys and decoded values.
func headerMap(h textproto.Header) map[string][]string {
	out := make(map[string][]string, h.Len())
	fields := h.Fields()
	for fields.Next() {
		k := nettextproto.CanonicalMIMEHeaderKey(fields.Key())
		out[k] = append(out[k], decodeHeader(fields.Value()))
	}
	// Fields lists from the top; keep that order.
	return out
}

// parseAddressList reads an address header leniently: net/mail first, then
// a fallback that picks out anything that looks like an address.
func parseAddressList(v string) []Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(v); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, Address{Name: fixHeaderText(a.Name), Addr: strings.ToLower(fixHeaderText(a.Address))})
		}
		return out
	}
	var out []Address
	for _, piece := range splitAddresses(v) {
		if a, ok := looseAddress(piece); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddresses splits on commas outside quotes and angle brackets.
func splitAddresses(v string) []string {
	var out []string
	quoted, angle, start := false, false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '<':
			angle = true
		case '>':
			angle = false
		case ',', ';':
			if !quoted && !angle {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

func looseAddress(s string) (Address, bool) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "<"); i >= 0 {
		j := strings.Index(s[i:], ">")
		addr := s[i+1:]
		if j >= 0 {
			addr = s[i+1 : i+j]
		}
		name := strings.Trim(strings.TrimSpace(s[:i]), `"' `)
		addr = strings.TrimSpace(addr)
		if !strings.Contains(addr, "@") {
			return Address{}, false
		}
		return Address{Name: decodeHeader(name), Addr: strings.ToLower(fixHeaderText(addr))}, true
	}
	for _, f := range strings.Fields(s) {
		if strings.Contains(f, "@") {
			return Address{Addr: strings.ToLower(fixHeaderText(strings.Trim(f, `"'()`)))}, true
		}
	}
	return Address{}, false
}

// parseMsgIDs returns the message IDs of a Message-ID, In-Reply-To or
// References value, without angle brackets. Values without brackets are
// taken whole (some mailers omit them).
func parseMsgIDs(v string) []string {
	var out []string
	rest := v
	for {
		i := strings.Index(rest, "<")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], ">")
		if j < 0 {
			break
		}
		if id := normalizeMsgID(rest[i+1 : i+j]); id != "" {
			out = append(out, id)
		}
		rest = rest[i+j+1:]
	}
	if len(out) == 0 {
		for _, f := range strings.Fields(v) {
			if id := normalizeMsgID(f); strings.Contains(id, "@") {
				out = append(out, id)
			}
		}
	}
	return out
}

func normalizeMsgID(s string) string {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "<>"))
	s = strings.Join(strings.Fields(s), "")
	if len(s) > 998 {
		s = s[:998]
	}
	return fixHeaderText(s)
}

func firstMsgID(v string) string {
	if ids := parseMsgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// parseDate reads a Date header; zero when unreadable.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	// Drop a trailing comment or zone name and retry common variants.
	if i := strings.Index(v, "("); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(v[:i])); err == nil {
			return t
		}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}
