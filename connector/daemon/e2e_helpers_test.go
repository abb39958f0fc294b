package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/daemon"
)

// binPath is the b24desk binary built once for the package's tests by
// TestMain (empty when the build failed; the tests then fail).
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "b24desk-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "b24desk")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/b24desk/b24desk/cmd/b24desk")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err == nil {
		binPath = bin
	} else {
		fmt.Fprintln(os.Stderr, "build b24desk:", err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2eSecret is the simulator's webhook secret: it must never appear in the
// daemon's output.
const e2eSecret = "e2es3cr3tw3bh00kv4lu3xyz"

// rig is one installation for an end-to-end test: the portal simulator in
// this process (over HTTP) with a manual clock, a config file and a state
// directory, and the daemon subprocesses started on it.
type rig struct {
	t       testing.TB
	clk     *clock.Manual
	portal  *sim.Portal
	simURL  string
	dir     string
	config  string
	rules   string
	listen  string // the daemon's http.listen
	extra   string // more config YAML
	proxy   string // the outgoing webhook's URL: forwards to the daemon
	drop    atomic.Bool
	dropped atomic.Int64
	loc     *time.Location
	logsMu  sync.Mutex
	logs    bytes.Buffer
	running *daemonProc
	limits  string // the portal's rate and burst in the config
	timing  string // the reconcile and SLA intervals in the config
	// realTime: the simulator runs on the caller's clock and the daemon
	// without --debug-clock.
	realTime bool
}

// daemonProc is a running `b24desk run`.
type daemonProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func newRig(t *testing.T, start time.Time, extraYAML string) *rig {
	t.Helper()
	return newRigWith(t, start, extraYAML, sim.Options{NoLimits: true, EventDelay: time.Millisecond})
}

// newRigWith is newRig with the simulator's options (its clock, webhook
// secret and time are the rig's).
func newRigWith(t testing.TB, start time.Time, extraYAML string, opts sim.Options) *rig {
	t.Helper()
	if binPath == "" {
		t.Fatal("the b24desk binary could not be built")
	}
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clk: clock.NewManual(start), dir: t.TempDir(), extra: extraYAML, loc: loc,
		limits: "  rate: 1000\n  burst: 10000\n",
		timing: "reconcile:\n  interval: 1s\n  sweep_interval: 2s\n" + "sla:\n  tick: 1s\n"}
	if opts.Clock == nil {
		opts.Clock = r.clk
	} else {
		r.realTime = true // the daemon runs on its system clock
	}
	opts.WebhookSecret = e2eSecret
	r.portal = sim.New(opts)
	srv := httptest.NewServer(r.portal)
	t.Cleanup(func() { srv.Close(); r.portal.Close() })
	r.simURL = srv.URL
	r.listen = freeAddr(t)
	proxy := httptest.NewServer(http.HandlerFunc(r.forwardEvent))
	t.Cleanup(proxy.Close)
	r.proxy = proxy.URL + "/bitrix/events"

	if r.rules, err = config.WriteRulesExample(r.dir); err != nil { // with the calendar files it imports
		t.Fatal(err)
	}
	r.config = filepath.Join(r.dir, "b24desk.yaml")
	r.writeConfig(r.config, filepath.Join(r.dir, "state"))
	t.Cleanup(func() {
		if r.running != nil {
			r.stop(syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("daemon output:\n%s", r.output())
		}
	})
	return r
}

// writeConfig writes a config for the rig's portal with the state in dir.
func (r *rig) writeConfig(path, stateDir string) {
	cfg := "portal:\n  webhook_url: " + r.portal.WebhookURL(r.simURL) + "\n" + r.limits +
		"rules:\n  path: " + r.rules + "\nstate:\n  dir: " + stateDir + "\n" +
		"http:\n  listen: " + r.listen + "\n  public_base_url: http://" + r.listen + "\n  application_token: " + r.portal.AppToken() + "\n" +
		"events:\n  mode: webhook\n" +
		r.timing +
		"log:\n  level: debug\n  format: json\n" + r.extra
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// freeAddr returns a loopback address with a port free right now, for the
// daemon to listen on later (and again after a restart). The port is taken
// below the kernel's ephemeral range when it can be: a port from that range
// (127.0.0.1:0) could be handed to any other test's listener or connection
// in the meantime, and the daemon would then fail to start.
func freeAddr(t testing.TB) string {
	t.Helper()
	if low := ephemeralLow(); low > 11024 {
		for range 100 {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(low-10000+rand.IntN(10000)))
			if ln, err := net.Listen("tcp", addr); err == nil {
				_ = ln.Close()
				return addr
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// ephemeralLow is the first port of Linux's ephemeral range, 0 when unknown.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	low, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return low
}

// command runs a short b24desk command to its end and returns its exit code
// and output.
func (r *rig) command(args ...string) (int, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	out, err := cmd.CombinedOutput()
	r.checkNoSecret(string(out))
	if err != nil && cmd.ProcessState == nil {
		r.t.Fatalf("b24desk %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

func (r *rig) checkNoSecret(out string) {
	r.t.Helper()
	if strings.Contains(out, e2eSecret) {
		r.t.Fatalf("the webhook secret leaked into the output:\n%s", out)
	}
}

// setup runs `b24desk setup` and registers the daemon's event handler as
// the portal's outgoing webhook.
func (r *rig) setup() {
	r.t.Helper()
	code, out := r.command("setup", "--config", r.config)
	if code != 0 {
		r.t.Fatalf("setup exit %d:\n%s", code, out)
	}
	r.portal.AddOutgoingWebhook(r.proxy, "ONCRMLEADADD", "ONCRMLEADUPDATE", "ONCRMLEADDELETE")
}

// forwardEvent passes the portal's event posts to the daemon, or drops them
// (answering 200, as a lost delivery looks to the portal) while r.drop is set.
func (r *rig) forwardEvent(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if r.drop.Load() {
		r.dropped.Add(1)
		return
	}
	resp, err := http.Post("http://"+r.listen+"/bitrix/events", req.Header.Get("Content-Type"), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// start runs `b24desk run --debug-clock` at the simulator's time and waits
// until /healthz answers.
func (r *rig) start() {
	r.t.Helper()
	if r.running != nil {
		r.t.Fatal("daemon already running")
	}
	p := r.spawn(r.config)
	r.running = p
	r.waitFor("daemon /healthz", 20*time.Second, func() bool {
		select {
		case <-p.done:
			r.t.Fatalf("daemon exited at start: %v\n%s", p.err, r.output())
		default:
		}
		code, _ := r.get("/healthz")
		return code == http.StatusOK
	})
}

// spawn starts `b24desk run --debug-clock` with config at the simulator's
// time, its output going to the rig's log.
func (r *rig) spawn(config string) *daemonProc {
	r.t.Helper()
	args := []string{"run", "--config", config, "--debug-clock", "--debug-clock-start", r.clk.Now().Format(time.RFC3339)}
	if r.realTime {
		args = args[:3]
	}
	cmd := exec.Command(binPath, args...)
	w := &lockedWriter{mu: &r.logsMu, b: &r.logs}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	p := &daemonProc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p
}

// stop sends sig to the daemon and returns its exit code.
func (r *rig) stop(sig os.Signal) int {
	r.t.Helper()
	p := r.running
	r.running = nil
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		r.t.Fatalf("daemon did not stop within 30s after %v", sig)
	}
	r.checkNoSecret(r.output())
	return p.cmd.ProcessState.ExitCode()
}

// output is everything the daemons wrote so far.
func (r *rig) output() string {
	r.logsMu.Lock()
	defer r.logsMu.Unlock()
	return r.logs.String()
}

// get fetches a daemon path and returns the status and body.
func (r *rig) get(path string) (int, string) {
	resp, err := http.Get("http://" + r.listen + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// setTime moves the simulator's clock and the daemon's to t. The daemon's
// POST /debug/clock runs an SLA tick before it answers.
func (r *rig) setTime(t time.Time) {
	r.t.Helper()
	r.clk.Set(t)
	if r.running == nil {
		return
	}
	if _, err := postClock(r.listen, t); err != nil {
		r.t.Fatal(err)
	}
}

// postClock sets the debug clock of the daemon listening on listen to t;
// a leading daemon runs an SLA tick at t before it answers (ticked).
func postClock(listen string, t time.Time) (ticked bool, err error) {
	body, _ := json.Marshal(daemon.ClockRequest{Set: t.Format(time.RFC3339Nano)})
	c := http.Client{Timeout: 2 * time.Minute} // a tick over many due tickets, under -race
	resp, err := c.Post("http://"+listen+daemon.PathDebugClock, "application/json", bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("POST /debug/clock: %w", err)
	}
	defer resp.Body.Close()
	var ans daemon.ClockAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != http.StatusOK || !ans.Now.Equal(t) {
		return false, fmt.Errorf("POST /debug/clock: status %d, now %v, err %v", resp.StatusCode, ans.Now, err)
	}
	return ans.Ticked, nil
}

// escalations audits the SLA escalations the portal ended up with. An
// escalation is one step of a ticket's SLA policy firing; its side effects
// are a timeline comment on the lead and a notification to each recipient
// (connector/sla fire), each starting with the step's text "SLA: <target>
// due at <time> (<step>) for ticket #N, policy P" (the outbox adds a
// marker line). An escalation done twice is a lead left with two comments
// of one step's text, or a user left with two notifications of it
// (Audit.Twice counts the copies beyond the first). A notification sent
// again after an unknown outcome carries the same TAG
// (b24d:LEAD:TARGET:STEP:USER) and replaces the first, as docs/sla.md
// says: the portal keeps one, so it is not done twice (it is counted in
// ReplacedNotifications). A step firing for a new deadline (a next
// response after a reply) has another due time, so another text. The
// rules of these tests have no reassign or workflow step, the other side
// effects a step can have.
func escalations(p *sim.Portal) sim.Audit {
	return p.Audit(sim.FirstLineWithPrefix("SLA: "))
}

// waitFor polls cond until it holds or the deadline passes.
func (r *rig) waitFor(what string, within time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// metric returns the value of the first metrics line starting with prefix
// (name and labels), or -1.
func (r *rig) metric(prefix string) float64 {
	_, body := r.get("/metrics")
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, prefix) {
			var v float64
			if _, err := fmt.Sscanf(strings.TrimSpace(line[len(prefix):]), "%g", &v); err == nil {
				return v
			}
		}
	}
	return -1
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
