package bitrix

import (
	"strings"
	"sync"
)

// maxRedactSecrets bounds how many rotated tokens the redactor remembers.
const maxRedactSecrets = 32

// redactor replaces every known secret (webhook secret, client secret,
// access and refresh tokens, current and past) with "***" in text that may
// reach an error or a log line.
type redactor struct {
	mu      sync.Mutex
	fixed   []string // never forgotten (webhook secret, client secret)
	rotated []string // tokens, most recent last
}

func (r *redactor) add(secret string) {
	if len(secret) < 4 {
		return
	}
	r.mu.Lock()
	r.fixed = append(r.fixed, secret)
	r.mu.Unlock()
}

func (r *redactor) addRotated(secret string) {
	if len(secret) < 4 {
		return
	}
	r.mu.Lock()
	r.rotated = append(r.rotated, secret)
	if len(r.rotated) > maxRedactSecrets {
		r.rotated = r.rotated[len(r.rotated)-maxRedactSecrets:]
	}
	r.mu.Unlock()
}

func (r *redactor) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, list := range [][]string{r.fixed, r.rotated} {
		for _, secret := range list {
			if strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, "***")
			}
		}
	}
	return s
}

// redactedError prints a message with secrets removed while keeping the
// cause for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
