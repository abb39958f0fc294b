package mimeparse

import "strings"

// unflow joins the soft line breaks of RFC 3676 format=flowed text: a line
// ending in a space continues on the next one (the space dropped too when
// delsp=yes). Space-stuffing is undone; the signature separator "-- " and
// quoted lines of different depth are never joined.
func unflow(text string, delsp bool) string {
	lines := strings.Split(text, "\n")
	var b strings.Builder
	b.Grow(len(text))
	prevSoft, prevDepth := false, 0
	for i, l := range lines {
		depth := 0
		for depth < len(l) && l[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(l[depth:], " ")
		if depth == 0 {
			content = l
			if strings.HasPrefix(l, " ") {
				content = l[1:]
			}
		}
		join := prevSoft && depth == prevDepth && content != "-- "
		if i > 0 && !join {
			b.WriteByte('\n')
		}
		if !join && depth > 0 {
			b.WriteString(strings.Repeat(">", depth) + " ")
		}
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delsp {
			content = content[:len(content)-1]
		}
		b.WriteString(content)
		prevSoft, prevDepth = soft, depth
	}
	return b.String()
}
