package mimeparse

import (
	"encoding/base64"
	"errors"
	"io"
	"mime/quotedprintable"
	"strings"
)

// transferReader undoes the Content-Transfer-Encoding. Unknown encodings
// are passed through as is (reported by the caller).
func transferReader(enc string, r io.Reader) (io.Reader, bool) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r), true
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Filter{r: r}), true
	case "", "7bit", "8bit", "binary":
		return r, true
	}
	return r, false
}

// base64Filter drops every byte outside the base64 alphabet (line breaks,
// spaces, junk) so that sloppy encoders still decode.
type base64Filter struct {
	r io.Reader
}

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// errTooLong marks a read cut at its limit.
var errTooLong = errors.New("part exceeds the size limit")

// readPart reads at most limit bytes of r. It returns what it read, the
// total decoded size (it drains r, counting, past the limit) and the first
// error. A cut read reports errTooLong.
func readPart(r io.Reader, limit int) ([]byte, int, error) {
	if limit < 0 {
		limit = 0
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)))
	total := len(data)
	if err != nil {
		return data, total, err
	}
	n, err := io.Copy(io.Discard, r)
	total += int(n)
	if err != nil {
		return data, total, err
	}
	if n > 0 {
		return data, total, errTooLong
	}
	return data, total, nil
}

// countPart drains r and returns its size.
func countPart(r io.Reader) (int, error) {
	n, err := io.Copy(io.Discard, r)
	return int(n), err
}
