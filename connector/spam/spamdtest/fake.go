package spamdtest

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Fake is an in-process stand-in for spamd's protocol, for tests of
// clients: one request per connection, read the way spamd reads it (only
// an exact "Content-length" header counts), answered by a function.
type Fake struct {
	// Addr is where it listens (host:port, or the socket path).
	Addr  string
	reply func(cmd string, headers map[string]string, body []byte) string
	mu    sync.Mutex
	reqs  []string
}

// NewFake listens on network/addr ("tcp", "127.0.0.1:0"; or "unix", a
// path) until the test ends and answers each request with reply.
func NewFake(t testing.TB, network, addr string, reply func(cmd string, headers map[string]string, body []byte) string) *Fake {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fake{Addr: l.Addr().String(), reply: reply}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *Fake) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	var raw strings.Builder
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	raw.WriteString(line)
	cmd, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	hs := map[string]string{}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		raw.WriteString(l)
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		hs[k] = strings.TrimSpace(v) // case-sensitive, as spamd
	}
	var body []byte
	if n, err := strconv.Atoi(hs["Content-length"]); err == nil {
		body = make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
	}
	raw.Write(body)
	f.mu.Lock()
	f.reqs = append(f.reqs, raw.String())
	f.mu.Unlock()
	_, _ = io.WriteString(c, f.reply(cmd, hs, body))
}

// Requests returns the raw requests received so far.
func (f *Fake) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}
