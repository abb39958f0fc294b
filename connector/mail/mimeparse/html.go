package mimeparse

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText turns an HTML body into readable text: paragraphs and line
// breaks kept, list items as "- ", links as "text (url)", scripts, styles
// and the head dropped, whitespace collapsed.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	var href []string
	var linkStart []int
	newline := func(n int) {
		s := b.String()
		have := len(s) - len(strings.TrimRight(s, "\n"))
		if len(s) == 0 {
			return
		}
		for ; have < n; have++ {
			b.WriteByte('\n')
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := collapseSpace(string(z.Text()))
			s := b.String()
			if strings.HasSuffix(s, "\n") || s == "" {
				t = strings.TrimLeft(t, " ")
			} else if strings.HasSuffix(s, " ") {
				t = strings.TrimLeft(t, " ")
			}
			b.WriteString(t)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template:
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
			case atom.Br:
				b.WriteByte('\n')
			case atom.P, atom.Div, atom.Table, atom.Blockquote, atom.Pre, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Ul, atom.Ol, atom.Hr:
				newline(2)
			case atom.Tr:
				newline(1)
			case atom.Td, atom.Th:
				if !end {
					b.WriteByte(' ')
				}
			case atom.Li:
				if !end {
					newline(1)
					b.WriteString("- ")
				}
			case atom.A:
				if !end {
					url := ""
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						if string(k) == "href" {
							url = strings.TrimSpace(string(v))
						}
					}
					href = append(href, url)
					linkStart = append(linkStart, b.Len())
				} else if len(href) > 0 {
					url, start := href[len(href)-1], linkStart[len(linkStart)-1]
					href, linkStart = href[:len(href)-1], linkStart[:len(linkStart)-1]
					label := strings.TrimSpace(b.String()[min(start, b.Len()):])
					if url != "" && !strings.HasPrefix(strings.ToLower(url), "javascript:") && url != label && "mailto:"+label != url {
						b.WriteString(" (" + url + ")")
					}
				}
			}
		}
	}
}

func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// tidyText trims each line and keeps at most one blank line in a row.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(strings.ReplaceAll(l, "\u00a0", " "))
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
