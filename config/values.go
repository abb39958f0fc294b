package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Secret is a confidential string (webhook URL, client secret, token,
// password). It prints as "****" with fmt and encoders, so a Config can be
// logged by mistake without leaking; use Value (or a conversion) to read it.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String hides the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redactedMark
}

// GoString hides the secret from %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText hides the secret from JSON, YAML and other text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

const redactedMark = "****"

// Size is a byte count written with a unit: 25MiB, 512KiB, 10MB, 1000.
type Size int64

// Size units.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
)

var sizeUnits = []struct {
	suffix string
	mult   Size
}{
	{"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseSize reads a size such as "25MiB", "10MB", "512KiB" or "1000".
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	mult := Size(1)
	for _, u := range sizeUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a size (use e.g. 25MiB, 512KiB, 10MB or a byte count)")
	}
	if n > int64(1<<62)/int64(mult) {
		return 0, errors.New("size too large")
	}
	return Size(n) * mult, nil
}

// String writes the size with the largest binary unit that divides it.
func (s Size) String() string {
	for _, u := range []struct {
		suffix string
		mult   Size
	}{{"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if s != 0 && s%u.mult == 0 {
			return fmt.Sprintf("%d%s", s/u.mult, u.suffix)
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// parseDuration accepts Go durations ("90s", "1h30m") and whole days ("14d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100000 {
			return 0, errors.New("not a duration (use e.g. 30s, 15m, 2h or 14d)")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration (use e.g. 30s, 15m, 2h or 14d)")
	}
	return d, nil
}

// formatDuration writes whole days as "14d", everything else as Go does.
func formatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

const dateLayout = "2006-01-02"
