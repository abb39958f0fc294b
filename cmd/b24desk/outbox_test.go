package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// TestOutboxTicketColumn checks the TICKET column: the lead ID for a group
// keyed by lead ID or by an origin whose lead.add is done, the origin
// shortened and marked pending otherwise.
func TestOutboxTicketColumn(t *testing.T) {
	in := newInstall(t, "")
	ctx := context.Background()
	st, err := store.Open(ctx, in.state, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
	const (
		created = "ticket:m-58d0aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		waiting = "ticket:m-77e1bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	rows := []struct {
		kind, key, group string
		state            store.OutboxState
		result           string
	}{
		{outbox.KindLeadAdd, "add-created", created, store.OutboxDone, `58`},
		{outbox.KindWorkflowStart, "wf-created", created, store.OutboxPending, ""},
		{outbox.KindLeadAdd, "add-waiting", waiting, store.OutboxParked, ""},
		{outbox.KindLeadUpdate, "upd-11", "ticket:11", store.OutboxPending, ""},
		{"mail.send", "mail-12", "mail:12", store.OutboxPending, ""},
	}
	ids := map[string]int64{}
	for _, r := range rows {
		id, _, err := st.EnqueueOutbox(ctx, store.OutboxRow{Kind: r.kind, Payload: json.RawMessage(`{}`),
			DedupeKey: r.key, GroupKey: r.group}, now)
		if err != nil {
			t.Fatal(err)
		}
		ids[r.key] = id
		if r.state == store.OutboxPending {
			continue
		}
		row, err := st.OutboxRowByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		row.State = r.state
		if r.result != "" {
			row.Result = json.RawMessage(r.result)
		}
		if err := st.UpdateOutbox(ctx, row, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	code, out := in.run(t, cmdOutbox, "list", "--all")
	if code != exitOK {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	want := map[string]string{
		"add-created": "58", "wf-created": "58", "add-waiting": "m-77e1… (pending)", "upd-11": "11", "mail-12": "12",
	}
	for key, ticket := range want {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == itoa(ids[key]) {
				line = l
			}
		}
		if !strings.Contains(line, "  "+ticket+"  ") {
			t.Errorf("row %s: TICKET should be %q:\n%s", key, ticket, out)
		}
	}
	if strings.Contains(out, "58d0") {
		t.Errorf("the group key of a created ticket is shown:\n%s", out)
	}

	_, js := in.run(t, cmdOutbox, "list", "--all", "--json")
	var views []outboxRowView
	if err := json.Unmarshal([]byte(js), &views); err != nil {
		t.Fatalf("json: %v\n%s", err, js)
	}
	for _, v := range views {
		if v.ID == ids["wf-created"] && (v.Ticket != "58" || v.Group != created) {
			t.Errorf("json row %+v: want ticket 58, group %s", v, created)
		}
		if v.ID == ids["add-waiting"] && v.Ticket != "" {
			t.Errorf("json row %+v: a pending lead.add has no ticket yet", v)
		}
	}
}
