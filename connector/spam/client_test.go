package spam_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/spam/spamdtest"
)

func newFake(t *testing.T, network, addr string, reply func(cmd string, hs map[string]string, body []byte) string) *spamdtest.Fake {
	return spamdtest.NewFake(t, network, addr, reply)
}

const mail = "From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"

func TestRequestsAndReplies(t *testing.T) {
	f := newFake(t, "tcp", "127.0.0.1:0", func(cmd string, hs map[string]string, body []byte) string {
		switch cmd {
		case "PING":
			return "SPAMD/1.5 0 PONG\r\n"
		case "CHECK":
			return "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 15.2 / 5.0\r\n\r\n"
		case "SYMBOLS":
			return "SPAMD/1.1 0 EX_OK\r\nContent-length: 40\r\nSpam: False ; -0.0 / 5.0\r\n\r\nBAYES_99,BAYES_999,NO_RECEIVED,NO_RELAYS"
		case "REPORT":
			return "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 1.5 / 5.0\r\n\r\n pts rule\n 1.5 X\n"
		case "TELL":
			if hs["Remove"] == "local" {
				return "SPAMD/1.1 0 EX_OK\r\nDidRemove: local\r\n\r\n"
			}
			if hs["Message-class"] == "spam" {
				return "SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n"
			}
			return "SPAMD/1.1 0 EX_OK\r\n\r\n" // already learned
		}
		return "SPAMD/1.0 76 Bad header line\r\n"
	})
	c, err := spam.New(spam.Options{Addr: f.Addr, User: "desk"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	r, err := c.Check(ctx, []byte(mail))
	if err != nil || !r.Spam || r.Score != 15.2 || r.Threshold != 5 {
		t.Fatalf("check = %+v, %v", r, err)
	}
	r, err = c.Symbols(ctx, []byte(mail))
	want := []string{"BAYES_99", "BAYES_999", "NO_RECEIVED", "NO_RELAYS"}
	if err != nil || r.Spam || r.Score != 0 || strings.Join(r.Rules, ",") != strings.Join(want, ",") {
		t.Fatalf("symbols = %+v, %v", r, err)
	}
	r, rep, err := c.Report(ctx, []byte(mail))
	if err != nil || r.Score != 1.5 || !strings.Contains(rep, "1.5 X") {
		t.Fatalf("report = %+v %q, %v", r, rep, err)
	}
	if learned, err := c.Tell(ctx, []byte(mail), spam.ClassSpam); err != nil || !learned {
		t.Fatalf("tell spam = %v, %v", learned, err)
	}
	if learned, err := c.Tell(ctx, []byte(mail), spam.ClassHam); err != nil || learned {
		t.Fatalf("tell ham (already learned) = %v, %v", learned, err)
	}
	if forgot, err := c.Forget(ctx, []byte(mail)); err != nil || !forgot {
		t.Fatalf("forget = %v, %v", forgot, err)
	}
	if _, err := c.Tell(ctx, []byte(mail), "junk"); err == nil {
		t.Fatal("tell with an unknown class: no error")
	}

	reqs := f.Requests()
	if len(reqs) != 7 {
		t.Fatalf("%d requests reached the server, want 7", len(reqs))
	}
	wantCheck := "CHECK SPAMC/1.5\r\nUser: desk\r\nContent-length: " + strconv.Itoa(len(mail)) + "\r\n\r\n" + mail
	if reqs[1] != wantCheck {
		t.Errorf("CHECK request:\n%q\nwant\n%q", reqs[1], wantCheck)
	}
	if !strings.Contains(reqs[4], "Message-class: spam\r\nSet: local\r\n") {
		t.Errorf("TELL request lacks class and set: %q", reqs[4])
	}
	if reqs[0] != "PING SPAMC/1.5\r\nUser: desk\r\n\r\n" {
		t.Errorf("PING request %q", reqs[0])
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("reply code", func(t *testing.T) {
		f := newFake(t, "tcp", "127.0.0.1:0", func(string, map[string]string, []byte) string {
			return "SPAMD/1.0 69 Service Unavailable: TELL commands are not enabled, set the --allow-tell switch.\r\n"
		})
		c, _ := spam.New(spam.Options{Addr: f.Addr})
		_, err := c.Tell(ctx, []byte(mail), spam.ClassSpam)
		var re *spam.ReplyError
		if !errors.As(err, &re) || re.Code != 69 || errors.Is(err, spam.ErrUnavailable) {
			t.Fatalf("err = %v, want a spam.ReplyError 69", err)
		}
	})
	for name, reply := range map[string]string{
		"not spamd":       "HTTP/1.1 400 Bad Request\r\n\r\n",
		"no Spam header":  "SPAMD/1.1 0 EX_OK\r\n\r\n",
		"bad Spam header": "SPAMD/1.1 0 EX_OK\r\nSpam: maybe ; x / y\r\n\r\n",
		"cut body":        "SPAMD/1.1 0 EX_OK\r\nContent-length: 40\r\nSpam: False ; 1.0 / 5.0\r\n\r\nBAYES",
		"empty":           "",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, "tcp", "127.0.0.1:0", func(string, map[string]string, []byte) string { return reply })
			c, _ := spam.New(spam.Options{Addr: f.Addr})
			if _, err := c.Symbols(ctx, []byte(mail)); !errors.Is(err, spam.ErrUnavailable) {
				t.Fatalf("err = %v, want spam.ErrUnavailable", err)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		_ = l.Close()
		c, _ := spam.New(spam.Options{Addr: addr})
		if _, err := c.Check(ctx, []byte(mail)); !errors.Is(err, spam.ErrUnavailable) {
			t.Fatalf("err = %v, want spam.ErrUnavailable", err)
		}
	})
	t.Run("silent server times out", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		held := make(chan net.Conn, 1)
		go func() {
			if c, err := l.Accept(); err == nil {
				held <- c // accepted, never answered
			}
		}()
		c, _ := spam.New(spam.Options{Addr: l.Addr().String(), Timeout: 100 * time.Millisecond})
		_, err = c.Check(ctx, []byte(mail))
		if !errors.Is(err, spam.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want spam.ErrUnavailable from the deadline", err)
		}
		(<-held).Close()
	})
	t.Run("cancelled", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		accepted := make(chan net.Conn, 1)
		go func() {
			if c, err := l.Accept(); err == nil {
				accepted <- c
			}
		}()
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			c := <-accepted
			cancel() // the client is waiting for the reply now or soon
			defer c.Close()
		}()
		c, _ := spam.New(spam.Options{Addr: l.Addr().String(), Timeout: time.Hour})
		if _, err := c.Check(cctx, []byte(mail)); !errors.Is(err, spam.ErrUnavailable) {
			t.Fatalf("err = %v, want spam.ErrUnavailable", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		f := newFake(t, "tcp", "127.0.0.1:0", func(string, map[string]string, []byte) string {
			return "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\n"
		})
		c, _ := spam.New(spam.Options{Addr: f.Addr, MaxSize: 10})
		if _, err := c.Check(ctx, []byte(mail)); !errors.Is(err, spam.ErrTooLarge) {
			t.Fatalf("err = %v, want spam.ErrTooLarge", err)
		}
		if n := len(f.Requests()); n != 0 {
			t.Fatalf("%d requests sent for a too large mail", n)
		}
	})
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "spamd.sock")
	newFake(t, "unix", sock, func(string, map[string]string, []byte) string {
		return "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 2.0 / 5.0\r\n\r\n"
	})
	c, err := spam.New(spam.Options{Addr: sock})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.Check(context.Background(), []byte(mail)); err != nil || r.Score != 2 {
		t.Fatalf("check over a unix socket = %+v, %v", r, err)
	}
}

func TestNewRejectsBadAddress(t *testing.T) {
	for _, a := range []string{"", "localhost", "spamd:"} {
		if _, err := spam.New(spam.Options{Addr: a}); err == nil {
			t.Errorf("spam.New(%q): no error", a)
		}
	}
}
