package imaptest

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// StartMemory starts go-imap's in-memory IMAP server on a loopback port. It
// offers IMAP4rev1 with IDLE, MOVE, UIDPLUS and NAMESPACE, plain-text login
// allowed. Its IDLE reports mail that arrived before IDLE began, as real
// servers do (see memSession).
func StartMemory(t testing.TB) *Server {
	t.Helper()
	mem := imapmemserver.New()
	logger := &testLogger{t: t}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess, ok := mem.NewSession().(imapserver.SessionIMAP4rev2)
			if !ok {
				return nil, nil, errors.New("imaptest: in-memory session lacks MOVE or NAMESPACE")
			}
			return memSession{sess}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {},
			imap.CapMove:      {},
			imap.CapUIDPlus:   {},
			imap.CapNamespace: {},
		},
		InsecureAuth: true,
		Logger:       logger,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("imaptest: listen: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		logger.off.Store(true)
		_ = srv.Close()
		<-done
	})
	return &Server{Kind: KindMemory, Addr: ln.Addr().String(), users: memUsers{mem}}
}

type memUsers struct{ mem *imapmemserver.Server }

func (m memUsers) addUser(user, pass string) error {
	u := imapmemserver.NewUser(user, pass)
	if err := u.Create("INBOX", nil); err != nil {
		return errors.Join(errors.New("create INBOX"), err)
	}
	m.mem.AddUser(u)
	return nil
}

// testLogger sends server-side errors to the test log until the test ends.
type testLogger struct {
	t   testing.TB
	off atomic.Bool
}

func (l *testLogger) Printf(format string, args ...any) {
	if !l.off.Load() {
		l.t.Logf("imapmemserver: "+format, args...)
	}
}

// memSession fixes a lost wake-up of go-imap's in-memory server
// (v2.0.0-beta.8): its IDLE reports only updates queued after IDLE began, so
// mail appended between the client's last command and its IDLE stayed
// unreported until another update came, and a test waiting for the wake-up
// failed when the APPEND won that race. Real servers (Dovecot) report such
// mail when IDLE starts. This IDLE writes the queued updates at once and then
// every memIdlePoll until stopped.
type memSession struct{ imapserver.SessionIMAP4rev2 }

// memIdlePoll is how often the in-memory server's IDLE writes queued updates.
const memIdlePoll = 20 * time.Millisecond

// Idle writes the session's queued mailbox updates until stop is closed.
func (s memSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(memIdlePoll)
	defer t.Stop()
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}
