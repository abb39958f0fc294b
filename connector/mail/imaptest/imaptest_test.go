package imaptest

import (
	"bytes"
	"slices"
	"testing"
)

func TestServerHelpers(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		user, pass := s.NewUser(t)
		s.CreateFolder(t, user, pass, "Processed")
		if got := s.Folders(t, user, pass); !slices.Contains(got, "Processed") || !slices.Contains(got, "INBOX") {
			t.Fatalf("folders = %v, want INBOX and Processed", got)
		}
		raw := Mail("a@example.test", "support@example.test", "hello", "body")
		uid := s.Append(t, user, pass, "INBOX", raw)
		s.AppendMany(t, user, pass, "Processed", 40, func(i int) []byte { return GenerateMail(i, 2000) })

		inbox := s.List(t, user, pass, "INBOX")
		if len(inbox) != 1 || inbox[0].UID != uid {
			t.Fatalf("INBOX = %+v, want one message with UID %d", inbox, uid)
		}
		if !bytes.Equal(inbox[0].Raw, raw) {
			t.Errorf("raw differs:\n%q\nwant\n%q", inbox[0].Raw, raw)
		}
		if inbox[0].HasFlag(`\Seen`) {
			t.Errorf("List marked the message seen: %v", inbox[0].Flags)
		}
		if got := len(s.List(t, user, pass, "Processed")); got != 40 {
			t.Errorf("Processed holds %d messages, want 40", got)
		}
	})
}

// TestDovecotRestart: a restart cuts the open session, and the server comes
// back on the same address with the same account and mail.
func TestDovecotRestart(t *testing.T) {
	s := StartDovecot(t)
	user, pass := s.NewUser(t)
	uid := s.Append(t, user, pass, "INBOX", Mail("a@example.test", "support@example.test", "kept", "body"))
	c := s.Dial(t, user, pass)
	s.Restart(t)
	if err := c.Noop().Wait(); err == nil {
		t.Error("a session opened before the restart still works")
	}
	if inbox := s.List(t, user, pass, "INBOX"); len(inbox) != 1 || inbox[0].UID != uid {
		t.Fatalf("INBOX after the restart = %+v, want the message with UID %d", inbox, uid)
	}
}

func TestBadPasswordRejected(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		user, _ := s.NewUser(t)
		if _, err := s.login(user, "wrong"); err == nil {
			t.Fatal("login with a wrong password succeeded")
		}
	})
}

func TestGenerateMailSize(t *testing.T) {
	for _, size := range []int{0, 500, 20_000} {
		m := GenerateMail(7, size)
		if len(m) < size || len(m) > max(size, 300)+100 {
			t.Errorf("GenerateMail(7, %d) is %d bytes", size, len(m))
		}
		if !bytes.Contains(m, []byte("Message-ID: <gen-7@example.test>")) {
			t.Errorf("GenerateMail lacks its Message-ID")
		}
	}
}

func BenchmarkStartDovecot(b *testing.B) {
	for b.Loop() {
		StartDovecot(b)
	}
}
