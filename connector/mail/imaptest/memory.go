package imaptest

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/b24desk/b24desk/connector/mail/memimap"
)

// StartMemory starts go-imap's in-memory IMAP server on a loopback port. It
// offers IMAP4rev1 with IDLE, MOVE, UIDPLUS and NAMESPACE, plain-text login
// allowed. Its IDLE reports mail that arrived before IDLE began, as real
// servers do (see memimap.Session).
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
			return memimap.Session{SessionIMAP4rev2: sess}, nil, nil
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
