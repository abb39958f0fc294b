package rules

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Go's regexp scans case-insensitive Cyrillic text slowly (about 5 MB/s),
// and most rules are alternations of words. So each regex gets a prefilter
// computed once at load: strings in case-folded form of which every match
// must contain one. The text is folded once per evaluation and searched with
// strings.Contains; the regex runs only when a string is found, and not at
// all when the prefilter is exact (the regex is just a set of words).

// maxPrefilter bounds the number of strings a prefilter holds.
const maxPrefilter = 64

// compiledRegex is a regex with its prefilter.
type compiledRegex struct {
	re *regexp.Regexp
	// any: folded strings one of which a match contains; nil = no prefilter.
	any []string
	// exact: the regex matches exactly when the folded text contains one of
	// any.
	exact bool
}

func compileRegex(pattern string) (compiledRegex, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return compiledRegex{}, err
	}
	c := compiledRegex{re: re}
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return c, nil
	}
	tree = tree.Simplify()
	if set, ok := exactSet(tree); ok && len(set) > 0 && nonEmpty(set) {
		c.any, c.exact = set, true
		return c, nil
	}
	if set := required(tree); len(set) > 0 && nonEmpty(set) {
		c.any = set
	}
	return c, nil
}

func nonEmpty(set []string) bool {
	for _, s := range set {
		if s == "" {
			return false
		}
	}
	return true
}

// match reports whether the regex matches v; folded returns v case-folded.
func (c *compiledRegex) match(v string, folded func() string) bool {
	if c.any != nil {
		f := folded()
		found := false
		for _, s := range c.any {
			if strings.Contains(f, s) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
		if c.exact {
			return true
		}
	}
	return c.re.MatchString(v)
}

// exactSet returns the folded strings a case-insensitive regex made only of
// literals, small character classes, concatenation and alternation matches,
// and false for any other regex.
func exactSet(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 && !foldClosed(re.Rune) {
			return nil, false
		}
		return []string{foldString(string(re.Rune))}, true
	case syntax.OpCharClass:
		runes, ok := classRunes(re.Rune)
		if !ok {
			return nil, false
		}
		set := map[rune]bool{}
		for _, r := range runes {
			if !classHasOrbit(re.Rune, r) {
				return nil, false
			}
			set[foldRune(r)] = true
		}
		out := make([]string, 0, len(set))
		for r := range set {
			out = append(out, string(r))
		}
		return out, true
	case syntax.OpCapture:
		return exactSet(re.Sub[0])
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			set, ok := exactSet(sub)
			if !ok || len(out)*len(set) > maxPrefilter {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(set))
			for _, a := range out {
				for _, b := range set {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			set, ok := exactSet(sub)
			if !ok || len(out)+len(set) > maxPrefilter {
				return nil, false
			}
			out = append(out, set...)
		}
		return out, true
	}
	return nil, false
}

// required returns folded strings one of which every match contains, or nil.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{foldString(string(re.Rune))}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			set := required(sub)
			if set == nil {
				continue
			}
			if l := minLen(set); l > bestLen {
				best, bestLen = set, l
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			set := required(sub)
			if set == nil || len(out)+len(set) > maxPrefilter {
				return nil
			}
			out = append(out, set...)
		}
		return out
	}
	return nil
}

func minLen(set []string) int {
	m := -1
	for _, s := range set {
		if m < 0 || len(s) < m {
			m = len(s)
		}
	}
	return m
}

// classRunes lists the runes of a small character class.
func classRunes(ranges []rune) ([]rune, bool) {
	var out []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			if len(out) >= 32 {
				return nil, false
			}
			out = append(out, r)
		}
	}
	return out, true
}

// classHasOrbit reports whether a class holds every case variant of r.
func classHasOrbit(ranges []rune, r rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		in := false
		for i := 0; i+1 < len(ranges); i += 2 {
			if f >= ranges[i] && f <= ranges[i+1] {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// foldClosed reports whether every rune is its own only case variant, so a
// case-sensitive literal matches exactly when its folded form is found.
func foldClosed(rs []rune) bool {
	for _, r := range rs {
		if unicode.SimpleFold(r) != r {
			return false
		}
	}
	return true
}

// foldRune maps a rune to the smallest rune of its case-folding orbit, so
// two runes that match case-insensitively fold to the same rune.
func foldRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		if r == 'k' || r == 'K' {
			return 'K'
		}
		return r
	case r >= 0x0430 && r <= 0x044F: // Cyrillic а-я
		return r - 0x20
	case r >= 0x0450 && r <= 0x045F: // Cyrillic ѐ-џ
		return r - 0x50
	case r >= 0x0400 && r <= 0x042F:
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// foldString case-folds s rune by rune (see foldRune). ASCII and the basic
// Cyrillic letters are folded byte-wise; invalid UTF-8 becomes U+FFFD, as
// the regexp package reads it.
func foldString(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		var c2 byte
		if i+1 < len(s) {
			c2 = s[i+1]
		}
		switch {
		case c < utf8.RuneSelf:
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			i++
		case c == 0xD0 && c2 >= 0xB0 && c2 <= 0xBF: // а-п
			b = append(b, 0xD0, c2-0x20)
			i += 2
		case c == 0xD0 && c2 >= 0x80 && c2 <= 0xAF: // Ѐ-Я
			b = append(b, 0xD0, c2)
			i += 2
		case c == 0xD1 && c2 >= 0x80 && c2 <= 0x8F: // р-я
			b = append(b, 0xD0, c2+0x20)
			i += 2
		case c == 0xD1 && c2 >= 0x90 && c2 <= 0x9F: // ѐ-џ
			b = append(b, 0xD0, c2-0x10)
			i += 2
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, foldRune(r))
			i += n
		}
	}
	return string(b)
}
