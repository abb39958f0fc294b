package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/b24desk/b24desk/connector/daemon"
	"github.com/b24desk/b24desk/connector/store/pgtest"
)

// node is one `b24desk run` of a failover test.
type node struct {
	name   string
	listen string
	config string
	proc   *daemonProc
}

// startNode runs `b24desk run` with the node's config and waits for /healthz.
func (d *desk) startNode(n *node) {
	d.t.Helper()
	p := d.spawn(n.config)
	n.proc = p
	d.t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Process.Signal(syscall.SIGCONT); <-p.done })
	d.waitFor(n.name+" /healthz", 30*time.Second, func() bool {
		select {
		case <-p.done:
			d.t.Fatalf("%s exited at start: %v\n%s", n.name, p.err, d.output())
		default:
		}
		code, _ := getFrom(n.listen, "/healthz")
		return code == http.StatusOK
	})
}

// role is what the node's /readyz says it is ("" when it does not answer).
func (n *node) role() string {
	_, body := getFrom(n.listen, "/readyz")
	var rd daemon.Readiness
	_ = json.Unmarshal([]byte(body), &rd)
	return rd.Role
}

// rss is a process's resident memory as /proc says it.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func getFrom(listen, path string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + listen + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestFailoverTwoNodes: two daemons on one PostgreSQL state, mail flowing
// through Dovecot. One leads, the other stands by (and says so); the
// leader is SIGKILLed and the standby takes over; the new leader is
// SIGSTOPped past its lease, the other takes over, and the stopped one,
// continued, steps down (exit 1) without writing. Every mail becomes
// exactly one ticket. The takeover times are logged.
func TestFailoverTwoNodes(t *testing.T) {
	cluster := pgtest.StartT(t)
	url, err := cluster.NewDatabase(context.Background(), "failover")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("B24DESK_STATE_POSTGRES_URL", url) // every b24desk the test runs
	d := newDesk(t)
	d.setup()
	a := &node{name: "node a", listen: d.listen, config: d.config}
	b := &node{name: "node b", listen: freeAddr(t), config: d.config + ".b"}
	cfg, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.config, []byte(strings.ReplaceAll(string(cfg), d.listen, b.listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	d.startNode(a)
	d.waitFor("node a leading", 30*time.Second, func() bool { return a.role() == "leader" })
	d.startNode(b)
	if r := b.role(); r != "standby" {
		t.Fatalf("node b's role %q, want standby", r)
	}
	standbyRSS := rss(b.proc.cmd.Process.Pid)
	if _, body := getFrom(b.listen, "/metrics"); !strings.Contains(body, "b24desk_leader 0") {
		t.Fatal("node b's metrics lack b24desk_leader 0")
	}
	if _, body := getFrom(a.listen, "/metrics"); !strings.Contains(body, "b24desk_leader 1") {
		t.Fatal("node a's metrics lack b24desk_leader 1")
	}

	var subjects []string
	send := func(i int) {
		s := fmt.Sprintf("Failover mail %d", i)
		subjects = append(subjects, s)
		d.mail(fmt.Sprintf("c%d@enterprise-client.ru", i), s, "Body of mail "+s)
	}
	send(1)
	d.ticketBySubject("Failover mail 1")

	// SIGKILL the leader: b takes over.
	_ = a.proc.cmd.Process.Signal(syscall.SIGKILL)
	<-a.proc.done
	killed := time.Now()
	send(2)
	d.waitFor("node b leading", 40*time.Second, func() bool { return b.role() == "leader" })
	takeoverKill := time.Since(killed)
	d.ticketBySubject("Failover mail 2")

	// a comes back as a standby; SIGSTOP b past its lease: a takes over.
	d.startNode(a)
	if r := a.role(); r != "standby" {
		t.Fatalf("restarted node a's role %q, want standby", r)
	}
	_ = b.proc.cmd.Process.Signal(syscall.SIGSTOP)
	stopped := time.Now()
	send(3)
	d.waitFor("node a leading", 40*time.Second, func() bool { return a.role() == "leader" })
	takeoverStop := time.Since(stopped)
	d.ticketBySubject("Failover mail 3")
	_ = b.proc.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-b.proc.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the continued node b did not step down within 60 s")
	}
	if code := b.proc.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("continued node b exit %d, want 1 (leadership lost)", code)
	}
	if !strings.Contains(d.output(), "leadership lost") {
		t.Error("node b did not say it lost the leadership")
	}
	send(4)
	d.ticketBySubject("Failover mail 4")

	// 0 lost, 0 duplicates: one ticket per mail.
	for _, s := range subjects {
		n := 0
		for _, l := range d.portal.Leads() {
			if str(l["ORIGINATOR_ID"]) == "b24desk" && strings.Contains(str(l["TITLE"]), s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q: %d tickets, want 1", s, n)
		}
	}
	// What one node costs (docs/scaling.md): its memory and its database
	// connections.
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var conns int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&conns); err != nil {
		t.Fatal(err)
	}
	t.Logf("node a (leader, 1 mailbox): RSS %s, %d PostgreSQL connections; node b as a standby: RSS %s",
		rss(a.proc.cmd.Process.Pid), conns, standbyRSS)
	t.Logf("takeover after SIGKILL: %s; after SIGSTOP: %s (lease TTL %s, renew %s, poll %s)",
		takeoverKill.Round(100*time.Millisecond), takeoverStop.Round(100*time.Millisecond), daemon.LeaseTTL, daemon.LeaseRenew, daemon.LeasePoll)
}
