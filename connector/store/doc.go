// Package store is b24desk's local state: one SQLite database (pure Go,
// modernc.org/sqlite) in the state directory, guarded by an exclusive flock so
// that only one daemon uses a state directory at a time.
//
// It holds the mailbox cursors, the spooled mails, the tickets and their SLA
// times, the per-ticket state beside them (timeline, to-do, expected
// echoes, mail drafts and waits, spam lessons), the escalation steps done,
// the thread index, the round-robin positions, the event dedupe keys, the
// OAuth token pair, the portal schema map, a few installation-wide settings
// and the outbox rows (whose logic lives in connector/outbox); the list is
// in docs/operations.md, "What the state holds". Callers never write SQL: each table has typed methods,
// available both on *Store (one statement, auto-commit) and on *Tx (inside
// WithTx, so that several changes commit together).
//
// The schema is an ordered list of migrations, one transaction each, the
// version kept in PRAGMA user_version. A database written by a newer binary
// is refused with ErrSchemaTooNew. Times are stored as Unix nanoseconds
// (NULL for the zero time) and read back in UTC.
package store
