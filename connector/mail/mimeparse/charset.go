package mimeparse

import (
	"bytes"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset" // also registers go-message's charset reader
	"golang.org/x/text/encoding/charmap"
)

// cyrillicGuesses are the single-byte charsets a non-UTF-8 text is tried in.
var cyrillicGuesses = []struct {
	name string
	cm   *charmap.Charmap
}{
	{"windows-1251", charmap.Windows1251},
	{"koi8-r", charmap.KOI8R},
	{"ibm866", charmap.CodePage866},
}

// decodedText is a text part converted to UTF-8.
type decodedText struct {
	text     string
	charset  string
	detected bool
	// problem describes a repair; severe problems (text possibly garbled)
	// make the message Partial, notes about a corrected charset do not.
	problem string
	severe  bool
}

// decodeText converts raw (transfer-decoded) bytes in the declared charset to
// UTF-8, detecting the charset when it is missing or contradicted.
func decodeText(raw []byte, declared string) decodedText {
	declared = normalizeCharset(declared)
	switch declared {
	case "", "us-ascii":
		if isASCII(raw) {
			return decodedText{text: string(raw), charset: "us-ascii", detected: declared == ""}
		}
		return detect(raw, "")
	case "utf-8":
		if utf8.Valid(raw) {
			return decodedText{text: string(raw), charset: "utf-8"}
		}
		d := detect(raw, "declared utf-8 but the bytes are not UTF-8")
		d.severe = d.charset == "utf-8"
		return d
	}
	if isSingleByteCyrillic(declared) && !isASCII(raw) {
		if utf8.Valid(raw) {
			return decodedText{text: string(raw), charset: "utf-8", detected: true,
				problem: "declared " + declared + " but the text is UTF-8"}
		}
		best, bestScore := guessCyrillic(raw)
		declScore := cyrillicScore(decodeWith(raw, declared))
		if best != declared && bestScore > 0 && declScore < bestScore/3 {
			return decodedText{text: decodeWith(raw, best), charset: best, detected: true,
				problem: "declared " + declared + " but the text reads as " + best}
		}
	}
	r, err := charset.Reader(declared, bytes.NewReader(raw))
	if err != nil {
		d := detect(raw, "unknown charset "+quoteShort(declared))
		d.severe = true
		return d
	}
	out, err := io.ReadAll(r)
	if err != nil {
		d := detect(raw, "charset "+declared+": "+err.Error())
		d.severe = true
		return d
	}
	return decodedText{text: strings.ToValidUTF8(string(out), "\uFFFD"), charset: declared}
}

// detect guesses the charset of raw: UTF-8 when valid, windows-1252 when
// the 8-bit bytes sit alone inside Latin words (accented letters), else the
// best Cyrillic single-byte charset.
func detect(raw []byte, problem string) decodedText {
	if utf8.Valid(raw) {
		return decodedText{text: string(raw), charset: "utf-8", detected: true, problem: problem}
	}
	if looksLatin(raw) {
		out, _ := charmap.Windows1252.NewDecoder().Bytes(raw)
		return decodedText{text: string(out), charset: "windows-1252", detected: true, problem: problem}
	}
	best, _ := guessCyrillic(raw)
	return decodedText{text: decodeWith(raw, best), charset: best, detected: true, problem: problem}
}

// looksLatin reports whether the 8-bit bytes of raw mostly come as one or
// two inside Latin words ("Grüße", "café") rather than as whole words
// (Cyrillic).
func looksLatin(raw []byte) bool {
	latin, words := 0, 0
	asciiLetter := func(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
	for i := 0; i < len(raw); {
		if raw[i] < 0x80 {
			i++
			continue
		}
		j := i
		for j < len(raw) && raw[j] >= 0x80 {
			j++
		}
		touchesLatin := i > 0 && asciiLetter(raw[i-1]) || j < len(raw) && asciiLetter(raw[j])
		switch {
		case j-i <= 2 && touchesLatin:
			latin++
		case j-i >= 2:
			words++
		}
		i = j
	}
	return latin > words
}

// guessCyrillic returns the single-byte charset whose decoding of raw reads
// most like Russian text, with its score. windows-1251 wins ties.
func guessCyrillic(raw []byte) (string, int) {
	best, bestScore := cyrillicGuesses[0].name, -1<<31
	for _, g := range cyrillicGuesses {
		s := cyrillicScore(decodeWith(raw, g.name))
		if s > bestScore {
			best, bestScore = g.name, s
		}
	}
	return best, bestScore
}

func decodeWith(raw []byte, name string) string {
	for _, g := range cyrillicGuesses {
		if g.name == name {
			out, err := g.cm.NewDecoder().Bytes(raw)
			if err != nil {
				return string(raw)
			}
			return string(out)
		}
	}
	r, err := charset.Reader(name, bytes.NewReader(raw))
	if err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	out, _ := io.ReadAll(r)
	return string(out)
}

// letterWeight gives common Russian lowercase letters a higher weight.
var letterWeight = map[rune]int{
	'о': 4, 'е': 4, 'а': 4, 'и': 4, 'н': 3, 'т': 3, 'с': 3, 'р': 3, 'в': 3,
	'л': 2, 'к': 2, 'м': 2, 'д': 2, 'п': 2, 'у': 2, 'я': 2, 'ы': 1, 'ь': 1,
	'г': 1, 'з': 1, 'б': 1, 'ч': 1, 'й': 1, 'х': 1, 'ж': 1, 'ш': 1, 'ю': 1,
	'ц': 1, 'щ': 1, 'э': 1, 'ф': 1, 'ё': 1, 'ъ': 0,
}

// cyrillicScore rates how much s looks like Russian prose: frequent
// lowercase letters score, capitals inside words and pseudo-graphics cost.
func cyrillicScore(s string) int {
	score := 0
	prevLetter := false
	for _, r := range s {
		switch {
		case r >= 'а' && r <= 'я' || r == 'ё':
			score += 1 + letterWeight[r]
			prevLetter = true
		case r >= 'А' && r <= 'Я' || r == 'Ё':
			if prevLetter {
				score -= 3
			} else {
				score++
			}
			prevLetter = true
		case r < 0x80:
			prevLetter = unicode.IsLetter(r)
		case r == '\uFFFD' || r >= 0x2500 && r <= 0x25FF || unicode.IsControl(r):
			score -= 4
			prevLetter = false
		default:
			score -= 2
			prevLetter = unicode.IsLetter(r)
		}
	}
	return score
}

// normalizeCharset maps aliases to one name so comparisons work.
func normalizeCharset(cs string) string {
	cs = strings.ToLower(strings.Trim(strings.TrimSpace(cs), `"'`))
	switch cs {
	case "utf8", "unicode-1-1-utf-8", "x-unicode20utf8":
		return "utf-8"
	case "ascii", "us", "ansi_x3.4-1968", "iso646-us":
		return "us-ascii"
	case "cp1251", "win-1251", "x-cp1251", "windows1251":
		return "windows-1251"
	case "koi8r", "koi8", "csKOI8R":
		return "koi8-r"
	case "cp866", "866", "ibm-866", "csibm866":
		return "ibm866"
	}
	return cs
}

func isSingleByteCyrillic(cs string) bool {
	switch cs {
	case "windows-1251", "koi8-r", "ibm866":
		return true
	}
	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// fixHeaderText makes a header value valid UTF-8, guessing the charset of
// raw 8-bit bytes.
func fixHeaderText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return detect([]byte(s), "").text
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
