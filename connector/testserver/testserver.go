// Package testserver runs the private servers that tests start (Dovecot in
// imaptest, spamd in spamdtest): a free loopback port, the process in its
// own process group stopped as a whole, the tail of its log, and the
// skip-or-fail decision when the server cannot run here.
package testserver

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
const stopGrace = 5 * time.Second

// Unavailable skips the test because the server cannot run here (reason),
// or fails it when required (in CI, or with the server's REQUIRE variable
// set).
func Unavailable(t testing.TB, required bool, server, reason, requireVar string) {
	t.Helper()
	if required {
		t.Fatalf("%s is required (%s=1 or CI=true) but %s", server, requireVar, reason)
	}
	t.Skipf("skipping %s test: %s (set %s=1 to fail instead)", server, reason, requireVar)
}

// Proc is a started server process.
type Proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts cmd in a process group of its own.
func Start(cmd *exec.Cmd) (*Proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Stop ends the whole process group: SIGTERM, then SIGKILL after a grace
// period. A throw-away server need not shut down gracefully.
func (p *Proc) Stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// FreePort returns a 127.0.0.1 port that was free a moment ago (another
// process may take it before the server binds: retry the start).
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Tail is the last n bytes of a log.
func Tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Dir makes a private directory for a server under the system temp dir
// (not t.TempDir(): its path can exceed the unix socket length limit and
// its parents are not traversable by a system user), readable by all, with
// the subdirectories plain (owned by root) and owned (owned by the system
// user the server's processes run as). It returns the user's uid and gid.
// The caller removes dir.
func Dir(prefix, owner string, plain, owned []string) (dir string, uid, gid int, err error) {
	u, err := user.Lookup(owner)
	if err != nil {
		return "", 0, 0, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", 0, 0, err
	}
	err = func() error {
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
		for _, sub := range append(append([]string{}, plain...), owned...) {
			if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
				return err
			}
		}
		for _, sub := range owned {
			if err := os.Chown(filepath.Join(dir, sub), uid, gid); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", 0, 0, err
	}
	return dir, uid, gid, nil
}

// StartRetry calls start up to three times (a free port can be taken
// between FreePort and the server's bind) and fails the test with the last
// error when none worked.
func StartRetry[T any](t testing.TB, what string, start func() (T, error)) T {
	t.Helper()
	var lastErr error
	for range 3 {
		s, err := start()
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("start %s: %v", what, lastErr)
	var zero T
	return zero
}
