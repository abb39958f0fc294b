package rules

import (
	"testing"
	"unicode"

	"pgregory.net/rapid"
)

// TestFoldRuneFastPaths checks the ASCII and Cyrillic shortcuts against the
// orbit walk for every rune.
func TestFoldRuneFastPaths(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		if got := foldRune(r); got != m {
			t.Fatalf("foldRune(%U) = %U, want %U", r, got, m)
		}
	}
}

// TestFoldStringMatchesFoldRune checks the byte-wise shortcuts of
// foldString against foldRune for every rune, and invalid UTF-8.
func TestFoldStringMatchesFoldRune(t *testing.T) {
	for lo := rune(0); lo <= unicode.MaxRune; lo += 4096 {
		var in, want []rune
		for r := lo; r < lo+4096 && r <= unicode.MaxRune; r++ {
			in = append(in, r)
			if r >= 0xD800 && r <= 0xDFFF {
				want = append(want, unicode.ReplacementChar)
			} else {
				want = append(want, foldRune(r))
			}
		}
		if got := foldString(string(in)); got != string(want) {
			t.Fatalf("foldString differs in block %U", lo)
		}
	}
	if got := foldString("a\xffб\xd0"); got != "A\uFFFDБ\uFFFD" {
		t.Fatalf("invalid UTF-8: %q", got)
	}
}

var prefilterPatterns = []string{
	`(?i)карт|метк`,
	`(?i)не работает|недоступ|упал|авари|ошибка 50\d`,
	`(?i)бля[дт]|хуй|хуё|пизд`,
	`(?i)^\s*(rfc|запрос на изменение)`,
	`(?i)сайт не открывается|портал недоступен`,
	`карт`,
	`Карт[аы]`,
	`(?i)s+k`,
	`(?i)kelvin|sun`,
	`(?i)a|`,
	`(?i)метк[аиуой]|координат`,
	`\d{3}-\d{2}`,
	`(?i)(foo)+bar`,
	`x*`,
}

// TestPrefilterAgreesWithRegexp checks the prefilter never changes a
// regex's answer, on random text made of tricky runes (long s, Kelvin sign,
// rounded Cyrillic ve, mixed case).
func TestPrefilterAgreesWithRegexp(t *testing.T) {
	alphabet := []rune("aAkKsSſKxbrfoFOкКаАрРтТмМеЕтТвВᲀдДᲁнНоОᲂиИуУйЙёЁ 0123456789-,\n")
	var compiled []compiledRegex
	for _, p := range prefilterPatterns {
		c, err := compileRegex(p)
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, c)
	}
	fixed := []string{"КАРТА", "ᲀᲁ", "ſun", "Kelvin", "ОШИБКА 503", "не РАБОТАЕТ", "координаты", "  RFC 12", "foofoobar", "Метку", "картЫ", "Карты", "123-45"}
	check := func(t interface{ Fatalf(string, ...any) }, s string) {
		for i, c := range compiled {
			folded := func() string { return foldString(s) }
			if got, want := c.match(s, folded), c.re.MatchString(s); got != want {
				t.Fatalf("pattern %q on %q: prefilter %v, regexp %v (any %q exact %v)", prefilterPatterns[i], s, got, want, c.any, c.exact)
			}
		}
	}
	for _, s := range fixed {
		check(t, s)
	}
	rapid.Check(t, func(rt *rapid.T) {
		rs := rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 40).Draw(rt, "runes")
		check(rt, string(rs))
	})
}

func TestPrefilterIsUsed(t *testing.T) {
	for _, p := range []string{`(?i)карт|метк`, `(?i)не работает|недоступ|ошибка 50\d`, `(?i)бля[дт]|хуй`} {
		c, _ := compileRegex(p)
		if !c.exact {
			t.Errorf("%q: want an exact prefilter, got any=%q", p, c.any)
		}
	}
	if c, _ := compileRegex(`(?i)^\s*(rfc|запрос)`); c.exact || len(c.any) != 2 {
		t.Errorf("anchored: got any=%q exact=%v", c.any, c.exact)
	}
}
