package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
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

// envInt reads a positive count from the environment (def when unset).
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
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
// leader is SIGKILLed (B24DESK_FAILOVER_KILLS times, default 1) and the
// standby takes over each time; then the leader is SIGSTOPped past its
// lease, the other takes over, and the stopped one, continued, steps down
// (exit 1) without writing. Every mail (B24DESK_FAILOVER_MAILS per round,
// default 1) becomes exactly one ticket. The clock moves 50 minutes just
// before each kill and stop, so the leader dies with SLA escalations of
// the enterprise tickets (first response 2 h: steps at 80% and 100%) just
// queued or in flight: each lands once (see escalations), and some do.
// The takeover times are logged.
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

	// The short version runs in the test command; scripts/failover-soak
	// runs more rounds and more mail.
	kills := envInt(t, "B24DESK_FAILOVER_KILLS", 1)
	perRound := envInt(t, "B24DESK_FAILOVER_MAILS", 1)
	var subjects []string
	sendRound := func() []string {
		var round []string
		for range perRound {
			i := len(subjects) + 1
			s := fmt.Sprintf("Failover mail [%d]", i)
			subjects = append(subjects, s)
			round = append(round, s)
			d.mail(fmt.Sprintf("c%d@enterprise-client.ru", i), s, "Body of mail "+s)
		}
		return round
	}
	waitTickets := func(round []string) {
		for _, s := range round {
			d.ticketBySubject(s)
		}
	}
	waitTickets(sendRound())

	// advance moves the simulator's clock and both nodes' debug clocks by
	// step; the leader ticks the SLA at once, a standby only moves its
	// clock. A node not running (or stopped) is skipped: it starts at the
	// simulator's time.
	advance := func(step time.Duration, nodes ...*node) {
		now := d.clk.Now().Add(step)
		d.clk.Set(now)
		for _, n := range nodes {
			leads := n.role() == "leader"
			ticked, err := postClock(n.listen, now)
			if err != nil {
				t.Fatalf("%s: %v", n.name, err)
			}
			if ticked != leads {
				t.Fatalf("%s (leading %v) ran an SLA tick on its debug clock: %v", n.name, leads, ticked)
			}
		}
	}

	// SIGKILL the leader, mail arriving meanwhile: the standby takes over;
	// the killed node comes back as a standby.
	leader, standby := a, b
	var takeovers []time.Duration
	for range kills {
		advance(50*time.Minute, leader, standby)
		_ = leader.proc.cmd.Process.Signal(syscall.SIGKILL)
		<-leader.proc.done
		killed := time.Now()
		round := sendRound()
		d.waitFor(standby.name+" leading", 40*time.Second, func() bool { return standby.role() == "leader" })
		takeovers = append(takeovers, time.Since(killed).Round(100*time.Millisecond))
		waitTickets(round)
		d.startNode(leader)
		if r := leader.role(); r != "standby" {
			t.Fatalf("restarted %s's role %q, want standby", leader.name, r)
		}
		leader, standby = standby, leader
	}

	// SIGSTOP the leader past its lease: the standby takes over, and the
	// stopped one, continued, steps down without writing.
	advance(50*time.Minute, leader, standby)
	_ = leader.proc.cmd.Process.Signal(syscall.SIGSTOP)
	stopped := time.Now()
	round := sendRound()
	d.waitFor(standby.name+" leading", 40*time.Second, func() bool { return standby.role() == "leader" })
	takeoverStop := time.Since(stopped).Round(100 * time.Millisecond)
	waitTickets(round)
	_ = leader.proc.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-leader.proc.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the continued %s did not step down within 60 s", leader.name)
	}
	if code := leader.proc.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("continued %s exit %d, want 1 (leadership lost)", leader.name, code)
	}
	if !strings.Contains(d.output(), "leadership lost") {
		t.Errorf("%s did not say it lost the leadership", leader.name)
	}
	a = standby
	waitTickets(sendRound())
	// Every first-response step due by now fires, and its writes land.
	advance(3*time.Hour, a)
	d.waitFor("an empty outbox", 2*time.Minute, func() bool {
		_, body := getFrom(a.listen, "/metrics")
		return strings.Contains(body, "\nb24desk_outbox_pending 0\n")
	})

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
	// 0 double escalations.
	esc := escalations(d.portal)
	if esc.Comments == 0 {
		t.Fatal("no SLA escalation reached the portal: the double-escalation check would prove nothing")
	}
	if n := esc.Twice(); n > 0 {
		t.Errorf("%d escalation side effects landed twice: comments %+v, notifications %+v",
			n, esc.RepeatedComments, esc.RepeatedNotifications)
	}
	if len(esc.DuplicateOrigins) > 0 {
		t.Errorf("leads created twice: %+v", esc.DuplicateOrigins)
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
	t.Logf("%s (leader, 1 mailbox): RSS %s, %d PostgreSQL connections; node b as a standby: RSS %s",
		a.name, rss(a.proc.cmd.Process.Pid), conns, standbyRSS)
	t.Logf("%d mails, one ticket each; %d escalations (%d notifications, %d sent again and replaced through their TAG), %d twice; takeover after SIGKILL: %v; after SIGSTOP: %s (lease TTL %s, renew %s, poll %s)",
		len(subjects), esc.Comments, esc.Notifications, esc.ReplacedNotifications, esc.Twice(), takeovers, takeoverStop, daemon.LeaseTTL, daemon.LeaseRenew, daemon.LeasePoll)
}
