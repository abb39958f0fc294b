// Package spamdtest starts a private SpamAssassin spamd for tests: loopback
// port, its own directory for configuration, the helper home and the Bayes
// database, TELL allowed, no network tests. It must run as root (spamd's
// children switch to the debian-spamd user).
//
// When spamd cannot run here the test is skipped, or failed when
// B24DESK_REQUIRE_SPAMD=1 or CI=true (scripts/test installs Debian's
// spamd package when it is missing).
package spamdtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/connector/testserver"
)

// SpamdPath is where Debian's spamd package installs the daemon.
const SpamdPath = "/usr/sbin/spamd"

// startTimeout bounds how long Start waits for spamd's first answer (its
// children compile the rules first; a loaded machine is slow).
const startTimeout = 60 * time.Second

// Options configure Start.
type Options struct {
	// RequiredScore is spamd's required_score (default 5.0).
	RequiredScore float64
	// MinLearned is how many spam and how many ham mails Bayes needs before
	// it votes (bayes_min_spam_num / bayes_min_ham_num; default 10).
	MinLearned int
	// Extra is appended to local.cf.
	Extra string
}

// Spamd is a running private spamd.
type Spamd struct {
	// Addr is its 127.0.0.1:port.
	Addr string
	// Dir holds etc/, home/, bayes/, tmp/ and spamd.log.
	Dir string
}

// Required reports whether a missing spamd must fail the tests.
func Required() bool {
	return os.Getenv("B24DESK_REQUIRE_SPAMD") == "1" || os.Getenv("CI") == "true"
}

// Start starts a private spamd and stops it on t.Cleanup. It skips the
// test when spamd cannot run here (fails it when Required).
func Start(t testing.TB, o Options) *Spamd {
	t.Helper()
	if reason := unavailable(); reason != "" {
		testserver.Unavailable(t, Required(), "spamdtest: spamd", reason, "B24DESK_REQUIRE_SPAMD")
	}
	if o.RequiredScore == 0 {
		o.RequiredScore = 5
	}
	if o.MinLearned <= 0 {
		o.MinLearned = 10
	}
	return testserver.StartRetry(t, "spamdtest: spamd", func() (*Spamd, error) { return start(t, o) })
}

func unavailable() string {
	if _, err := os.Stat(SpamdPath); err != nil {
		return SpamdPath + " is not installed (apt-get install spamd spamassassin)"
	}
	if os.Geteuid() != 0 {
		return "the test does not run as root"
	}
	if _, err := user.Lookup("debian-spamd"); err != nil {
		return "system user debian-spamd is missing"
	}
	if pre, _ := filepath.Glob("/etc/spamassassin/*.pre"); len(pre) == 0 {
		return "/etc/spamassassin/*.pre are missing (plugin loading)"
	}
	return ""
}

func start(t testing.TB, o Options) (*Spamd, error) {
	dir, _, _, err := testserver.Dir("b24d-spamd-", "debian-spamd", []string{"etc"}, []string{"home", "bayes", "tmp"})
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			_ = os.RemoveAll(dir)
		}
	}()
	etc := filepath.Join(dir, "etc")
	// --siteconfigpath replaces /etc/spamassassin: the .pre files load the
	// plugins (without them spamd dies at start).
	pre, _ := filepath.Glob("/etc/spamassassin/*.pre")
	for _, p := range pre {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(etc, filepath.Base(p)), b, 0o644); err != nil {
			return nil, err
		}
	}
	local := fmt.Sprintf(`bayes_path %s/bayes/bayes
bayes_auto_learn 0
bayes_min_spam_num %d
bayes_min_ham_num %d
required_score %.1f
dns_available no
skip_rbl_checks 1
use_razor2 0
use_pyzor 0
%s
`, dir, o.MinLearned, o.MinLearned, o.RequiredScore, o.Extra)
	if err := os.WriteFile(filepath.Join(etc, "local.cf"), []byte(local), 0o644); err != nil {
		return nil, err
	}
	port, err := testserver.FreePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(dir, "spamd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(SpamdPath, "-L", "-x", "-u", "debian-spamd", "-g", "debian-spamd",
		"--helper-home-dir="+filepath.Join(dir, "home"), "--siteconfigpath="+etc,
		"-i", addr, "-A", "127.0.0.1", "--allow-tell",
		"--min-children=1", "--max-children=2", "-s", "stderr")
	cmd.Dir = dir
	// Its own temp dir: spamd preloads with a temporary HOME there.
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(dir, "tmp"))
	cmd.Stdout, cmd.Stderr = logf, logf
	proc, err := testserver.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", SpamdPath, err)
	}
	stop := proc.Stop
	if err := waitReady(addr, proc.Exited()); err != nil {
		stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w; log: %s", err, testserver.Tail(log, 2000))
	}
	keep = true
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			if log, err := os.ReadFile(logPath); err == nil {
				t.Logf("spamd.log (tail):\n%s", testserver.Tail(log, 4000))
			}
		}
		_ = os.RemoveAll(dir)
	})
	return &Spamd{Addr: addr, Dir: dir}, nil
}

// waitReady pings until spamd answers: connects are refused for a moment,
// then accepted and held until the children are ready.
func waitReady(addr string, exited <-chan struct{}) error {
	c, err := spam.New(spam.Options{Addr: addr, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			return fmt.Errorf("spamd exited at start")
		default:
		}
		err := c.Ping(context.Background())
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("spamd did not answer on %s within %v: %w", addr, startTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Learned returns how many spam and ham mails the Bayes database holds
// (sa-learn --dump magic, run as debian-spamd).
func (s *Spamd) Learned(t testing.TB) (nspam, nham int) {
	t.Helper()
	out, err := exec.Command("runuser", "-u", "debian-spamd", "--", "sa-learn",
		"--dbpath", filepath.Join(s.Dir, "bayes", "bayes"), "--dump", "magic").CombinedOutput()
	if err != nil {
		t.Fatalf("spamdtest: sa-learn --dump magic: %v: %s", err, out)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		// "0.000          0         12          0  non-token data: nspam"
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			continue
		}
		n, _ := strconv.Atoi(f[2])
		switch f[len(f)-1] {
		case "nspam":
			nspam = n
		case "nham":
			nham = n
		}
	}
	return nspam, nham
}
