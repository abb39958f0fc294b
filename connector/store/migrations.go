package store

import (
	"context"

	"github.com/rs/zerolog"
)

// migration is one step of the schema. Steps are applied in order, each in
// its own transaction, and never edited once released: a change is a new
// step appended to the list.
type migration struct {
	name string
	sql  string
	// postgres is the step for PostgreSQL when pgDDL's translation of sql
	// does not fit (postgres.go); empty for most steps.
	postgres string
	// data, when set, moves data after the DDL, in the step's transaction,
	// on both engines: what portable SQL cannot do (reading JSON).
	data func(ctx context.Context, tx *Tx, log zerolog.Logger) error
}

// migrations is the schema history; len(migrations) is the version this
// binary writes (PRAGMA user_version).
var migrations = []migration{
	{name: "mail intake: cursors, messages, thread index, settings", sql: `
CREATE TABLE mailbox_cursors (
	mailbox     TEXT PRIMARY KEY,
	uidvalidity INTEGER NOT NULL DEFAULT 0,
	last_uid    INTEGER NOT NULL DEFAULT 0,
	last_ok_at  INTEGER
);
CREATE TABLE messages (
	id          INTEGER PRIMARY KEY,
	dedupe_key  TEXT NOT NULL UNIQUE,
	mailbox     TEXT NOT NULL DEFAULT '',
	uidvalidity INTEGER NOT NULL DEFAULT 0,
	uid         INTEGER NOT NULL DEFAULT 0,
	message_id  TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL DEFAULT 'spooled',
	raw         BLOB,
	lead_id     INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX messages_state ON messages(state, id);
CREATE INDEX messages_created ON messages(created_at);
CREATE TABLE thread_index (
	message_id TEXT PRIMARY KEY,
	lead_id    INTEGER NOT NULL,
	direction  TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX thread_index_lead ON thread_index(lead_id);
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`},
	{name: "tickets, escalation steps, routing, event dedupe", sql: `
CREATE TABLE tickets (
	lead_id              INTEGER PRIMARY KEY,
	origin_id            TEXT UNIQUE,
	type                 TEXT NOT NULL DEFAULT '',
	status               TEXT NOT NULL DEFAULT '',
	assignee             INTEGER NOT NULL DEFAULT 0,
	tier                 TEXT NOT NULL DEFAULT '',
	priority             TEXT NOT NULL DEFAULT '',
	policy               TEXT NOT NULL DEFAULT '',
	requester            TEXT NOT NULL DEFAULT '',
	created_at           INTEGER NOT NULL,
	first_response_due   INTEGER,
	first_response_met   INTEGER,
	next_response_due    INTEGER,
	next_response_met    INTEGER,
	resolution_due       INTEGER,
	resolution_met       INTEGER,
	paused_since         INTEGER,
	paused_total_seconds INTEGER NOT NULL DEFAULT 0,
	next_due_at          INTEGER,
	sla_state            TEXT NOT NULL DEFAULT '',
	last_date_modify     INTEGER,
	last_written         TEXT NOT NULL DEFAULT '{}',
	closed_at            INTEGER,
	deleted              INTEGER NOT NULL DEFAULT 0,
	updated_at           INTEGER NOT NULL
);
CREATE INDEX tickets_next_due ON tickets(next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX tickets_open ON tickets(lead_id) WHERE closed_at IS NULL AND deleted = 0;
CREATE TABLE escalation_steps_done (
	lead_id INTEGER NOT NULL,
	target  TEXT NOT NULL,
	step    TEXT NOT NULL,
	done_at INTEGER NOT NULL,
	PRIMARY KEY (lead_id, target, step)
);
CREATE TABLE routing_state (
	pool     TEXT PRIMARY KEY,
	position INTEGER NOT NULL
);
CREATE TABLE event_dedupe (
	event_key TEXT PRIMARY KEY,
	seen_at   INTEGER NOT NULL
);
CREATE INDEX event_dedupe_seen ON event_dedupe(seen_at);
`},
	{name: "outbox", sql: `
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	kind            TEXT NOT NULL,
	payload         TEXT NOT NULL,
	dedupe_key      TEXT NOT NULL UNIQUE,
	group_key       TEXT NOT NULL DEFAULT '',
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	state           TEXT NOT NULL DEFAULT 'pending',
	last_error      TEXT NOT NULL DEFAULT '',
	result          TEXT,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_group ON outbox(group_key, id);
CREATE INDEX outbox_finished ON outbox(updated_at) WHERE state IN ('done', 'dropped');
`},
	{name: "oauth tokens, portal schema map", sql: `
CREATE TABLE oauth_tokens (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	access_token  TEXT NOT NULL,
	refresh_token TEXT NOT NULL,
	expires_at    INTEGER,
	updated_at    INTEGER NOT NULL
);
CREATE TABLE schema_map (
	kind  TEXT NOT NULL,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (kind, key)
);
`},
	{name: "outbound mail: sent mail, acknowledgement counts, bounced addresses", sql: mailOutSchema},
	{name: "portal event queue", sql: eventQueueSchema},
	{name: "mail intake: pending thread entries, messages by mailbox", sql: `
ALTER TABLE thread_index ADD COLUMN origin_id TEXT NOT NULL DEFAULT '';
CREATE INDEX thread_index_pending ON thread_index(origin_id) WHERE lead_id = 0;
CREATE INDEX messages_mailbox_state ON messages(mailbox, state, id);
`},
	{name: "outbox state by key without reading the payload", sql: `
CREATE INDEX outbox_key_state ON outbox(dedupe_key, state);
`},
	{name: "portal event queue: repeats re-arm a change being processed", sql: `
ALTER TABLE event_queue ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_queue ADD COLUMN picked INTEGER NOT NULL DEFAULT -1;
`},
	{name: "ticket history: tickets, SLA targets, events, ratings", sql: historySchema},
	{name: "portal request bucket shared by every process on the state", sql: bucketSchema},
	{name: "installation ID: random, made once with the state", sql: `
INSERT INTO settings (key, value) VALUES ('` + InstallationIDKey + `', lower(hex(randomblob(16))))
ON CONFLICT(key) DO NOTHING;
`, postgres: `
INSERT INTO settings (key, value) VALUES ('` + InstallationIDKey + `', replace(gen_random_uuid()::text, '-', ''))
ON CONFLICT(key) DO NOTHING;
`},
	{name: "rules replay: classification inputs of mail tickets", sql: replayInputSchema},
	{name: "per-ticket state in tables (timeline, to-do, echoes, mail drafts and waits, spam lessons), moved from settings",
		sql: ticketStateSchema + mailDraftsSchema + spamLessonsSchema, data: moveTicketSettings},
}

// move runs the step's data move, if any.
func (m migration) move(ctx context.Context, tx *Tx, log zerolog.Logger) error {
	if m.data == nil {
		return nil
	}
	return m.data(ctx, tx, log)
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }
