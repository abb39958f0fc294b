package imaptest

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
)

// Kind names the IMAP server implementation behind a Server.
type Kind string

// The server kinds.
const (
	KindDovecot Kind = "dovecot"
	KindMemory  Kind = "memory"
)

// Server is a running IMAP server for one test, stopped by t.Cleanup.
type Server struct {
	// Kind says which implementation runs ("dovecot" or "memory").
	Kind Kind
	// Addr is the host:port to dial, without TLS.
	Addr string

	users   userAdder
	restart func() error // nil: the server cannot be restarted
	counter atomic.Uint64
}

// Restart stops the server, cutting every connection, and starts it again
// on the same address with the same accounts and mail (Dovecot only).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.restart == nil {
		t.Fatalf("imaptest: a %s server cannot be restarted", s.Kind)
	}
	if err := s.restart(); err != nil {
		t.Fatalf("imaptest: restart %s: %v", s.Kind, err)
	}
}

// userAdder is the per-implementation way to create an account.
type userAdder interface {
	addUser(user, pass string) error
}

// MessageInfo is one message of a folder as List sees it.
type MessageInfo struct {
	UID   uint32
	Flags []string
	Raw   []byte
}

// HasFlag reports whether the message carries flag (e.g. `\Seen`),
// compared case-insensitively as IMAP does for system flags.
func (m MessageInfo) HasFlag(flag string) bool {
	return slices.ContainsFunc(m.Flags, func(f string) bool { return equalFold(f, flag) })
}

// AddUser creates an account with an INBOX on the server.
func (s *Server) AddUser(t testing.TB, user, pass string) {
	t.Helper()
	if err := s.users.addUser(user, pass); err != nil {
		t.Fatalf("imaptest: add user %q: %v", user, err)
	}
}

// NewUser creates an account with a unique name and returns its name and
// password; handy when subtests share one server.
func (s *Server) NewUser(t testing.TB) (user, pass string) {
	t.Helper()
	n := s.counter.Add(1)
	user = fmt.Sprintf("user%d@example.test", n)
	pass = fmt.Sprintf("pw-%d-secret", n)
	s.AddUser(t, user, pass)
	return user, pass
}

// ForEach runs fn as a subtest against the in-memory server and against a
// Dovecot server. The Dovecot subtest follows StartDovecot's rule: skipped
// when Dovecot is unavailable, failed instead when B24DESK_REQUIRE_DOVECOT=1
// or CI=true.
func ForEach(t *testing.T, fn func(t *testing.T, s *Server)) {
	t.Helper()
	t.Run(string(KindMemory), func(t *testing.T) {
		fn(t, StartMemory(t))
	})
	t.Run(string(KindDovecot), func(t *testing.T) {
		fn(t, StartDovecot(t))
	})
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
