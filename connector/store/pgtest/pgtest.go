// Package pgtest runs a private PostgreSQL cluster for tests (Debian's
// postgresql package: initdb and postgres from /usr/lib/postgresql/N/bin):
// a temporary data directory, a free loopback port, fsync off, started
// once per test binary (from TestMain) and stopped at its end.
//
// When PostgreSQL cannot run here (not installed; as root, no postgres
// user), Start returns ErrUnavailable; Required says whether that must fail
// the run (B24DESK_REQUIRE_POSTGRES=1 or CI=true) instead of skipping the
// PostgreSQL half of the tests.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/b24desk/b24desk/connector/testserver"
)

// ErrUnavailable: PostgreSQL cannot run on this machine.
var ErrUnavailable = errors.New("PostgreSQL is unavailable")

// RequireVar makes a missing PostgreSQL fail the tests.
const RequireVar = "B24DESK_REQUIRE_POSTGRES"

// Required reports whether a missing PostgreSQL must fail the tests.
func Required() bool {
	return os.Getenv(RequireVar) == "1" || os.Getenv("CI") == "true"
}

// Cluster is a running private PostgreSQL.
type Cluster struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}

	mu    sync.Mutex
	n     int
	admin *pgx.Conn
}

// role and password of the databases NewDatabase makes.
const (
	role     = "b24"
	password = "secret"
)

// Start initialises and starts a cluster.
func Start(ctx context.Context) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("%w: running as root and there is no postgres user to run the server as", ErrUnavailable)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// A short path: the socket's path must fit 107 bytes.
	dir, err := os.MkdirTemp("", "pgt")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, done: make(chan struct{})}
	fail := func(err error) (*Cluster, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(err)
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w: %s", err, tail(out)))
	}
	for attempt := 0; ; attempt++ {
		err := c.start(ctx, bin, cred)
		if err == nil {
			return c, nil
		}
		if attempt == 3 {
			return fail(err)
		}
	}
}

func (c *Cluster) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	logf, err := os.Create(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(c.dir, "data"), "-p", strconv.Itoa(c.port),
		"-k", c.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200")
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return err
	}
	c.done = make(chan struct{})
	go func(done chan struct{}) { _ = c.cmd.Wait(); close(done) }(c.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, c.adminDSN())
		if err == nil {
			c.admin = conn
			_, err = conn.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, password))
			return err
		}
		select {
		case <-c.done:
			log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
			return fmt.Errorf("postgres exited: %s", tail(log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Stop()
			return fmt.Errorf("postgres did not answer within 30 s: %w", err)
		}
	}
}

func (c *Cluster) adminDSN() string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", c.dir, c.port)
}

// Port is the cluster's loopback TCP port.
func (c *Cluster) Port() int { return c.port }

// NewDatabase creates an empty database (named after hint, made unique)
// owned by a password role and returns its postgres:// URL.
func (c *Cluster) NewDatabase(ctx context.Context, hint string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	name := fmt.Sprintf("t%d_%s", c.n, sanitize(hint))
	if _, err := c.admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", name, role)); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// URL is the postgres:// URL of database name.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", role, password, c.port, name)
}

// Stop shuts the cluster down (fast shutdown) and removes its files.
func (c *Cluster) Stop() {
	if c.admin != nil {
		_ = c.admin.Close(context.Background())
		c.admin = nil
	}
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
	_ = os.RemoveAll(c.dir)
}

// binDir finds the newest /usr/lib/postgresql/N/bin holding initdb.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", fmt.Errorf("%w: initdb not found (install Debian's postgresql package)", ErrUnavailable)
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// StartT starts a cluster for one test, stopped at its end; when
// PostgreSQL cannot run here the test is skipped, or failed when Required.
func StartT(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start(context.Background())
	if err != nil {
		testserver.Unavailable(t, Required(), "PostgreSQL", err.Error(), RequireVar)
	}
	t.Cleanup(c.Stop)
	return c
}
