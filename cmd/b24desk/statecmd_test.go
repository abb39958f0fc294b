package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/connector/store/pgtest"
)

// TestStateMigrateToPostgres copies an SQLite state into PostgreSQL with
// b24desk state migrate (a dry run first), then reads it with tickets
// through state.postgres_url given in the environment; the URL's password
// never shows.
func TestStateMigrateToPostgres(t *testing.T) {
	cluster := pgtest.StartT(t)
	ctx := context.Background()
	in := newInstall(t, "events:\n  mode: poll\n")
	st, err := store.Open(ctx, in.state, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertTicket(ctx, ticket.Ticket{LeadID: 41, Status: "NEW", CreatedAt: time.Unix(1_800_000_000, 0)}, time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	url, err := cluster.NewDatabase(ctx, "cmd")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("B24DESK_STATE_POSTGRES_URL", url)
	state := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := cmdState(ctx, append([]string{"migrate", "--config", in.config}, args...), &out, &out)
		if strings.Contains(out.String(), "secret@") {
			t.Fatalf("the PostgreSQL password leaked:\n%s", out.String())
		}
		return code, out.String()
	}
	if code, out := state("--from", in.state, "--dry-run"); code != exitOK || !strings.Contains(out, "dry run") || !strings.Contains(out, "tickets                         1") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if code, out := in.run(t, cmdTickets, "--state", "all"); code != exitOK || strings.Contains(out, "41") {
		t.Fatalf("tickets after the dry run: exit %d, want no ticket 41\n%s", code, out)
	}
	if code, out := state("--from", in.state); code != exitOK || !strings.Contains(out, "copied into postgres://b24@127.0.0.1") {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	if code, out := in.run(t, cmdTickets, "--state", "all"); code != exitOK || !strings.Contains(out, "41") {
		t.Fatalf("tickets on PostgreSQL: exit %d, want ticket 41\n%s", code, out)
	}
	if code, out := state("--from", in.state); code != exitFailed || !strings.Contains(out, "not empty") {
		t.Fatalf("second migrate: exit %d, want %d (not empty)\n%s", code, exitFailed, out)
	}
}
