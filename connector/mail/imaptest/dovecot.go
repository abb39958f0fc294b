package imaptest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/testserver"
)

// DovecotPath is where Debian's dovecot-imapd installs the server.
const DovecotPath = "/usr/sbin/dovecot"

// startTimeout bounds how long StartDovecot waits for the listener.
const startTimeout = 10 * time.Second

// StartDovecot starts a private Dovecot (IMAP only, passwd-file users,
// maildir) in a fresh directory under the system temp dir, listening on a
// free 127.0.0.1 port, and stops it on t.Cleanup. It must run as root.
//
// When Dovecot cannot run here the test is skipped, or failed when
// B24DESK_REQUIRE_DOVECOT=1 or CI=true.
func StartDovecot(t testing.TB) *Server {
	t.Helper()
	if reason := dovecotUnavailable(); reason != "" {
		testserver.Unavailable(t, DovecotRequired(), "imaptest: Dovecot", reason, "B24DESK_REQUIRE_DOVECOT")
	}
	return testserver.StartRetry(t, "imaptest: Dovecot", func() (*Server, error) { return startDovecot(t) })
}

// DovecotRequired reports whether a missing Dovecot must fail the tests.
func DovecotRequired() bool {
	return os.Getenv("B24DESK_REQUIRE_DOVECOT") == "1" || os.Getenv("CI") == "true"
}

func dovecotUnavailable() string {
	if _, err := os.Stat(DovecotPath); err != nil {
		return DovecotPath + " is not installed (apt-get install dovecot-imapd)"
	}
	if os.Geteuid() != 0 {
		return "the test does not run as root"
	}
	if _, err := user.Lookup("dovecot"); err != nil {
		return "system user dovecot is missing"
	}
	return ""
}

type dovecot struct {
	dir   string
	mu    sync.Mutex // serialises writes to the users directory
	uid   int
	gid   int
	users string
	conf  string
	addr  string
	proc  *testserver.Proc // the running server; replaced by restart
}

func startDovecot(t testing.TB) (*Server, error) {
	dir, uid, gid, err := testserver.Dir("b24d-dc-", "dovecot", []string{"run", "users"}, []string{"state", "mail"})
	if err != nil {
		return nil, err
	}
	cleanupDir := true
	defer func() {
		if cleanupDir {
			_ = os.RemoveAll(dir)
		}
	}()
	d := &dovecot{dir: dir, uid: uid, gid: gid, users: filepath.Join(dir, "users"), conf: filepath.Join(dir, "dovecot.conf")}
	port, err := testserver.FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(d.conf, []byte(dovecotConfig(dir, port)), 0o644); err != nil {
		return nil, err
	}
	d.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := d.run(); err != nil {
		return nil, err
	}
	cleanupDir = false
	t.Cleanup(func() {
		// A throw-away instance: kill the whole process group at once
		// rather than wait a second for Dovecot's graceful shutdown.
		d.proc.Stop()
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(dir, "dovecot.log")); err == nil {
				t.Logf("dovecot.log (tail):\n%s", testserver.Tail(log, 4000))
			}
		}
		_ = os.RemoveAll(dir)
	})
	return &Server{Kind: KindDovecot, Addr: d.addr, users: d, restart: d.restart}, nil
}

// run starts Dovecot on its config and waits until it listens.
func (d *dovecot) run() error {
	cmd := exec.Command(DovecotPath, "-F", "-c", d.conf)
	cmd.Dir = d.dir
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	proc, err := testserver.Start(cmd)
	if err != nil {
		return fmt.Errorf("run %s: %w", DovecotPath, err)
	}
	if err := waitListening(d.addr, proc.Exited()); err != nil {
		proc.Stop()
		log, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
		return fmt.Errorf("%w; output: %s; log: %s", err, out.String(), testserver.Tail(log, 2000))
	}
	d.proc = proc
	return nil
}

// restart stops Dovecot (every connection is cut) and starts it again on
// the same port, users and mail.
func (d *dovecot) restart() error {
	d.proc.Stop()
	var err error
	for range 5 { // the port may be busy for a moment
		if err = d.run(); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// addUser writes the user's own passwd-file (the passdb path has %u in it):
// a new file is read fresh on the user's first login, while an appended
// shared file could be missed within its mtime's second.
func (d *dovecot) addUser(user, pass string) error {
	if strings.ContainsAny(user+pass, ":\n\r/") || user == "" || user[0] == '.' {
		return errors.New("user or password contains ':', '/' or a line break, or the user name is empty or starts with '.'")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return os.WriteFile(filepath.Join(d.users, user), fmt.Appendf(nil, "%s:{PLAIN}%s\n", user, pass), 0o644)
}

func dovecotConfig(dir string, port int) string {
	return strings.NewReplacer("DIR", dir, "PORT", strconv.Itoa(port)).Replace(`protocols = imap
listen = 127.0.0.1
base_dir = DIR/run
state_dir = DIR/state
log_path = DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:DIR/mail/%u
first_valid_uid = 1
# Throw-away data: no fsync per message.
mail_fsync = never
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u DIR/users/%u
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=DIR/mail/%u
}
service imap-login {
  chroot =
  service_count = 0
  process_min_avail = 1
  inet_listener imap {
    port = PORT
  }
}
service imap {
  process_min_avail = 2
}
service anvil {
  chroot =
  # No auth penalty: tests log in with wrong passwords on purpose.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol imap {
  mail_max_userip_connections = 1000
}
`)
}

// waitListening polls until addr accepts a connection, Dovecot exits, or
// startTimeout passes.
func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("dovecot exited during start")
		case <-deadline.C:
			return fmt.Errorf("dovecot did not listen on %s within %v", addr, startTimeout)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
