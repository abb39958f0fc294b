package sim

import (
	"strconv"
	"strings"
)

// Rendered is a BB-code text as the portal shows it: the lead's COMMENTS
// ("Supports BB codes": api-reference/crm/main-entities-fields.md, leads
// and contacts; the lead page lists it as "Comments", so the simulator
// takes the stricter reading that lead COMMENTS are rendered as BB codes
// too) and timeline comments. HTML is not markup there: "<b>" and "&lt;"
// show as typed.
type Rendered struct {
	Text     string   // what a reader sees, tags removed
	Mentions []int    // users mentioned with [USER=N]
	Links    []string // targets of [URL] and [URL=…]
	Tags     []string // every tag recognised, upper-case ("B", "/B", "URL"…)
}

// bbTags are the tag names the portal's BB-code parser recognises.
var bbTags = map[string]bool{
	"B": true, "I": true, "U": true, "S": true, "URL": true, "USER": true, "IMG": true, "QUOTE": true,
	"CODE": true, "COLOR": true, "SIZE": true, "FONT": true, "LIST": true, "*": true, "P": true,
	"TABLE": true, "TR": true, "TD": true, "TH": true, "LEFT": true, "RIGHT": true, "CENTER": true,
	"JUSTIFY": true, "VIDEO": true, "SPOILER": true, "DISK": true, "NOPARSE": true, "CHAT": true,
}

// RenderBBCode parses s as the portal renders a BB-code field. A tag is
// "[" immediately followed by a known name (any case), an optional
// "=value" or " value", and "]"; anything else is text.
func RenderBBCode(s string) Rendered {
	var r Rendered
	var text strings.Builder
	urlStart := -1 // where the text of an open [URL] without a value began
	for i := 0; i < len(s); {
		if s[i] != '[' {
			text.WriteByte(s[i])
			i++
			continue
		}
		name, value, n, ok := bbTag(s[i:])
		if !ok {
			text.WriteByte('[')
			i++
			continue
		}
		i += n
		r.Tags = append(r.Tags, name)
		switch name {
		case "USER":
			if id, err := strconv.Atoi(strings.TrimSpace(value)); err == nil {
				r.Mentions = append(r.Mentions, id)
			}
		case "URL":
			if value != "" {
				r.Links = append(r.Links, value)
			} else {
				urlStart = text.Len()
			}
		case "/URL":
			if urlStart >= 0 {
				r.Links = append(r.Links, text.String()[urlStart:])
				urlStart = -1
			}
		}
	}
	r.Text = text.String()
	return r
}

// bbTag reads a tag at the start of s ("[NAME]", "[/NAME]", "[NAME=v]").
func bbTag(s string) (name, value string, n int, ok bool) {
	end := strings.IndexByte(s, ']')
	if end < 2 {
		return "", "", 0, false
	}
	inner := s[1:end]
	closing := strings.HasPrefix(inner, "/")
	inner = strings.TrimPrefix(inner, "/")
	k := strings.IndexAny(inner, "= ")
	if k < 0 {
		k = len(inner)
	} else {
		value = inner[k+1:]
	}
	name = strings.ToUpper(inner[:k])
	if !bbTags[name] || (closing && value != "") {
		return "", "", 0, false
	}
	if closing {
		name = "/" + name
	}
	return name, value, end + 1, true
}

// LeadRendered returns the lead's TITLE (plain text: the portal shows it
// as is) and its COMMENTS rendered as BB codes.
func (p *Portal) LeadRendered(id int) (title string, comments Rendered, ok bool) {
	l, ok := p.Lead(id)
	if !ok {
		return "", Rendered{}, false
	}
	t, _ := l["TITLE"].(string)
	c, _ := l["COMMENTS"].(string)
	return t, RenderBBCode(c), true
}
