package main

// b24desk check: a checklist of everything b24desk needs, one line each.
//
// Adding lines (mail intake: mailboxes; outbound mail: SMTP): write a
// checkFunc in your own file (e.g. check_mail.go) and add it to the list in
// checkGroups below, one line. A checkFunc gets the checkEnv (config, rules,
// portal client, state; client and state may be nil when unavailable) and
// returns its lines; a failed line carries the fix. Never put a secret in a
// line: print hosts and user names, not passwords or URLs with secrets.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

const checkUsage = `Usage:
  b24desk check [--config FILE]

check prints a checklist: config and rules valid, state directory writable,
portal reachable, webhook scopes, CRM mode, administrator rights, portal
schema, lead stages the rules do not map, mailboxes. Each line is ✓ (fine),
! (a warning) or ✗ followed by how to fix it. No secret is printed. Run it
after setup (before, the schema lines fail with "run b24desk setup") and
after any change in the portal or the config; it runs beside a daemon.

Flags:
  --config FILE   the daemon's config file (default b24desk.yaml)

Example:
  b24desk check --config /etc/b24desk/b24desk.yaml

Exit status: 0 all fine (warnings allowed), 1 a check failed, 2 bad command
line, config or rules, or a state file that is damaged (restore the backup)
or cannot be written.
`

// neededScopes are the scopes b24desk uses (bitrix24-api.md §1).
var neededScopes = []string{"crm", "bizproc", "im", "user", "department"}

// checkEnv is what the checks work with.
type checkEnv struct {
	cfg    *config.Config
	rules  *rules.Rules
	client *bitrix.Client // nil when the portal client could not be built
	state  *store.Store   // nil when the state could not be opened
	// stateBroken: the state file is damaged or cannot be written (exit 2).
	stateBroken bool
	log         zerolog.Logger
	// reachable is set by checkPortal: false skips the other portal lines.
	reachable bool
}

// checkLine is one line of the checklist.
type checkLine struct {
	ok   bool
	warn bool   // ok, but worth reading
	what string // what was checked and found
	fix  string // for a failed line: what to do
}

func pass(format string, args ...any) checkLine {
	return checkLine{ok: true, what: fmt.Sprintf(format, args...)}
}

func warnLine(format string, args ...any) checkLine {
	return checkLine{ok: true, warn: true, what: fmt.Sprintf(format, args...)}
}

func fail(what, fix string) checkLine { return checkLine{what: what, fix: fix} }

// checkFunc produces some lines of the checklist.
type checkFunc func(ctx context.Context, env *checkEnv) []checkLine

// checkGroups lists the checks in the order they print. Add yours here.
func checkGroups() []checkFunc {
	return []checkFunc{
		checkState,
		checkPortal,
		checkScopes,
		checkCRMMode,
		checkAdmin,
		checkSchema,
		checkStages,
		// mailboxes (mail intake) and SMTP (outbound mail) go here
		checkMailboxes,
		checkSMTP,
		checkOutbox,
		checkSpamd,
	}
}

// cmdCheck prints the checklist.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, checkUsage)
		return exitOK
	}
	if err != nil || len(pos) != 0 {
		fmt.Fprint(stderr, checkUsage)
		return exitUsage
	}
	clk := clock.System{}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		fmt.Fprintf(stdout, "✗ config %s is not valid\n    fix: correct the problems listed above\n", *cfgPath)
		return code
	}
	fmt.Fprintf(stdout, "✓ config %s is valid\n", cfg.File)
	r, warns, code := loadConfigRules(cfg, clk, stderr)
	if r == nil {
		fmt.Fprintf(stdout, "✗ rules %s are not valid\n    fix: correct the problems listed above (b24desk rules check %s)\n", cfg.Rules.Path, cfg.Rules.Path)
		return code
	}
	fmt.Fprintf(stdout, "✓ rules %s are valid (%d types)\n", cfg.Rules.Path, len(r.Types))
	for _, n := range calendarNames(r) {
		fmt.Fprintf(stdout, "✓ calendar %s: %s\n", n, calendarCoverage(r.Calendars[n]))
	}
	for _, w := range warns {
		fmt.Fprintf(stdout, "! rules: %s\n", w.String())
	}

	env := &checkEnv{cfg: cfg, rules: r, log: newLogger(config.Log{Level: "error", Format: "console"}, stderr)}
	failed := false
	for _, group := range checkGroups() {
		for _, l := range group(ctx, env) {
			printCheckLine(stdout, l)
			failed = failed || !l.ok
		}
	}
	if env.state != nil {
		_ = env.state.Close()
	}
	switch {
	case env.stateBroken:
		return exitUsage
	case failed:
		return exitFailed
	}
	return exitOK
}

func printCheckLine(w io.Writer, l checkLine) {
	switch {
	case !l.ok:
		fmt.Fprintf(w, "✗ %s\n    fix: %s\n", l.what, l.fix)
	case l.warn:
		fmt.Fprintf(w, "! %s\n", l.what)
	default:
		fmt.Fprintf(w, "✓ %s\n", l.what)
	}
}

// checkState opens the state (creating it) and builds the portal client,
// which needs the state in OAuth mode.
func checkState(ctx context.Context, env *checkEnv) []checkLine {
	dir := stateName(env.cfg)
	var lines []checkLine
	st, locked, err := openStateShared(ctx, env.cfg, env.log)
	switch {
	case errors.Is(err, store.ErrDamaged):
		env.stateBroken = true
		lines = append(lines, fail(fmt.Sprintf("state %s is damaged: %v", dir, err),
			"restore the state dir from the backup (docs/operations.md, \"State file\"); b24desk never replaces an existing state file"))
	case errors.Is(err, store.ErrNotWritable):
		env.stateBroken = true
		lines = append(lines, fail(fmt.Sprintf("state %s cannot be written: %v", dir, err),
			fmt.Sprintf("give the b24desk user write access to %s and its files, or free disk space", dir)))
	case err != nil && locked:
		lines = append(lines, fail(fmt.Sprintf("state dir %s is locked by a running daemon and cannot be read: %v", dir, err),
			"make sure the running daemon uses the same b24desk version"))
	case err != nil:
		lines = append(lines, fail(fmt.Sprintf("state dir %s cannot be opened: %v", dir, err),
			fmt.Sprintf("make %s a directory the b24desk user can write (mkdir -p, chown)", dir)))
	case locked:
		env.state = st
		lines = append(lines, pass("state dir %s is in use by a running daemon (fine)", dir))
	default:
		env.state = st
		if werr := probeWritable(dir); werr != nil {
			lines = append(lines, fail(fmt.Sprintf("state dir %s is not writable: %v", dir, werr),
				fmt.Sprintf("give the b24desk user write access to %s", dir)))
		} else {
			lines = append(lines, pass("state dir %s is writable and not locked", dir))
		}
	}
	c, err := newCommandClient(env.cfg, env.log, env.state, clock.System{}, 1)
	if err != nil {
		lines = append(lines, fail(fmt.Sprintf("portal client: %v", err), "fix the portal section of the config"))
		return lines
	}
	env.client = c
	return lines
}

// probeWritable creates and removes a file in dir.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(filepath.Clean(name))
}

// checkPortal calls the portal once.
func checkPortal(ctx context.Context, env *checkEnv) []checkLine {
	if env.client == nil {
		return nil
	}
	name := portalName(env.cfg)
	_, err := env.client.Scope(ctx)
	switch {
	case err == nil:
		env.reachable = true
		return []checkLine{pass("portal %s is reachable", name)}
	case errors.Is(err, bitrix.ErrUnauthorized):
		return []checkLine{fail(fmt.Sprintf("portal %s refused the credentials: %v", name, err),
			"create a new inbound webhook (or reinstall the application) and put it in the config")}
	case errors.Is(err, store.ErrNotFound):
		return []checkLine{fail(fmt.Sprintf("portal %s: %v", name, err), "install the local application on the portal")}
	}
	what, fix := portalProblem(bitrix.MethodScope, err)
	return []checkLine{fail(fmt.Sprintf("portal %s: %s", name, what), fix)}
}

// checkScopes compares the granted scopes with what b24desk needs.
func checkScopes(ctx context.Context, env *checkEnv) []checkLine {
	if !env.reachable {
		return nil
	}
	got, err := env.client.Scope(ctx)
	if err != nil {
		return []checkLine{fail(fmt.Sprintf("scopes cannot be read: %v", err), "check the webhook's rights")}
	}
	have := map[string]bool{}
	for _, s := range got {
		have[s] = true
	}
	var missing []string
	for _, s := range neededScopes {
		if !have[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return []checkLine{fail("webhook scopes lack "+strings.Join(missing, ", "),
			"edit the inbound webhook (or the application) in the portal and tick "+strings.Join(neededScopes, ", "))}
	}
	return []checkLine{pass("scopes include %s", strings.Join(neededScopes, ", "))}
}

// checkCRMMode needs the classic CRM (with leads).
func checkCRMMode(ctx context.Context, env *checkEnv) []checkLine {
	if !env.reachable {
		return nil
	}
	mode, err := env.client.CRMMode(ctx)
	switch {
	case err != nil:
		what, fix := portalProblem(bitrix.MethodCRMMode, err)
		return []checkLine{fail("CRM mode cannot be read: "+what, fix)}
	case mode != bitrix.CRMModeClassic:
		return []checkLine{fail("CRM is in simple mode: it has no leads",
			"switch the CRM to classic mode (CRM → Settings → CRM mode → Classic)")}
	}
	return []checkLine{pass("CRM is in classic mode (leads on)")}
}

// checkAdmin: starting workflows through REST needs an administrator.
func checkAdmin(ctx context.Context, env *checkEnv) []checkLine {
	if !env.reachable {
		return nil
	}
	uses := schema.Workflows(env.rules)
	if len(uses) == 0 {
		return []checkLine{pass("no workflows configured: administrator rights not needed")}
	}
	admin, err := env.client.IsAdmin(ctx)
	switch {
	case err != nil:
		what, fix := portalProblem(bitrix.MethodIsAdmin, err)
		return []checkLine{fail("administrator rights cannot be read: "+what, fix)}
	case !admin:
		return []checkLine{fail(fmt.Sprintf("the webhook user is not a portal administrator, but the rules start %d workflow(s)", len(uses)),
			"create the inbound webhook as an administrator (REST workflow starts need one, and a paid plan)")}
	}
	return []checkLine{pass("the webhook user is an administrator (the rules start %d workflow(s))", len(uses))}
}

// checkSchema: setup ran on this state, and the portal still has what the
// rules name.
func checkSchema(ctx context.Context, env *checkEnv) []checkLine {
	const fix = "run b24desk setup"
	var lines []checkLine
	if env.state != nil {
		m, err := schema.Load(ctx, env.state)
		if err == nil {
			err = m.Present()
		}
		if err != nil {
			lines = append(lines, fail(fmt.Sprintf("portal schema not recorded: %v", err), fix))
		} else {
			lines = append(lines, pass("portal schema recorded by setup"))
		}
	}
	if !env.reachable {
		return lines
	}
	rep, err := schema.Ensure(ctx, env.client, env.rules, schema.Options{DryRun: true, EventsMode: config.EventsPoll,
		Canned: env.rules.TemplateNames()})
	if err != nil {
		method := bitrix.MethodLeadUserFieldList
		var ae *bitrix.APIError
		if errors.As(err, &ae) && ae.Method != "" {
			method = ae.Method
		}
		what, fix := portalProblem(method, err)
		return append(lines, fail("portal schema cannot be read: "+what, fix))
	}
	var todo []string
	for _, l := range rep.Lines {
		if l.Verb == schema.VerbWouldCreate || l.Verb == schema.VerbWouldUpdate {
			todo = append(todo, l.What)
		}
	}
	if len(todo) > 0 {
		sort.Strings(todo)
		return append(lines, fail(fmt.Sprintf("portal lacks %d schema item(s): %s", len(todo), strings.Join(todo, "; ")), fix))
	}
	lines = append(lines, pass("portal has the b24desk fields, types and stages"))
	for _, p := range rep.Problems() {
		lines = append(lines, fail(p.What, "see b24desk setup"))
	}
	for _, w := range rep.Warnings() {
		lines = append(lines, warnLine("%s", w.What))
	}
	return lines
}

// checkStages lists portal lead stages the rules do not name: they count
// as open.
func checkStages(ctx context.Context, env *checkEnv) []checkLine {
	if !env.reachable {
		return nil
	}
	list, err := env.client.StatusList(ctx, "STATUS")
	if err != nil {
		what, fix := portalProblem(bitrix.MethodStatusList, err)
		return []checkLine{fail("lead stages cannot be read: "+what, fix)}
	}
	named := map[string]bool{}
	for _, s := range schema.NamedStages(env.rules) {
		named[s] = true
	}
	var unmapped []string
	for _, s := range list {
		if !named[string(s.StatusID)] {
			unmapped = append(unmapped, fmt.Sprintf("%s «%s»", s.StatusID, s.Name))
		}
	}
	if len(unmapped) > 0 {
		return []checkLine{warnLine("lead stages not in the rules' statuses (they count as open): %s", strings.Join(unmapped, ", "))}
	}
	return []checkLine{pass("every lead stage of the portal is mapped by the rules")}
}

// checkOutbox fails when portal writes are parked: each waits for an
// operator (b24desk outbox retry|drop).
func checkOutbox(ctx context.Context, env *checkEnv) []checkLine {
	if env.state == nil {
		return nil
	}
	rows, err := env.state.OutboxInState(ctx, store.OutboxParked, 10)
	switch {
	case err != nil:
		return []checkLine{fail(fmt.Sprintf("outbox: cannot be read: %v", err), "see the state dir line above")}
	case len(rows) == 0:
		return []checkLine{pass("outbox: no parked portal write")}
	}
	lines := make([]checkLine, 0, len(rows))
	for _, r := range rows {
		lines = append(lines, fail("outbox: parked "+outbox.ParkedLine(r),
			fmt.Sprintf("fix the cause, then b24desk outbox retry %d, or give it up with b24desk outbox drop %d", r.ID, r.ID)))
	}
	return lines
}
