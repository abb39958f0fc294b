package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rs/zerolog"
)

// The PostgreSQL engine. Every table's SQL is written once, in SQLite's
// words, and runs on both engines; the differences live here:
//
//   - placeholders: the connection rewrites "?" into "$1", "$2"... in every
//     statement it is given (pgConn, rebind), so no file changes its
//     queries; SQLite's index hints (INDEXED BY) are dropped, Go bools are
//     passed as 0/1 as SQLite stores them;
//   - write transactions: SQLite's BEGIN IMMEDIATE lets one writer in at a
//     time, and the store's read-then-write transactions rely on it. Each
//     PostgreSQL transaction takes one transaction-scoped advisory lock
//     first (pg_advisory_xact_lock on writeLockKey): the same one-writer
//     rule, released by COMMIT, ROLLBACK or a dropped connection;
//   - schema: a migration's SQLite DDL is translated by pgDDL (INTEGER →
//     BIGINT, INTEGER PRIMARY KEY → an identity column, BLOB → BYTEA,
//     REAL → DOUBLE PRECISION) unless it carries its own postgres twin; the
//     version lives in the table schema_version instead of PRAGMA
//     user_version.
//
// What is left to authors of new SQL: write portable SQL (no SQLite-only
// functions: CASE instead of a two-argument MIN, RETURNING instead of
// LastInsertId, no rowid, no bare columns beside an aggregate).

// engine is the database behind a Store.
type engine int

const (
	engineSQLite engine = iota
	enginePostgres
)

func (e engine) String() string {
	if e == enginePostgres {
		return "postgres"
	}
	return "sqlite"
}

// writeLockKey is the advisory lock every PostgreSQL write transaction
// takes (the text "b24desk" read as a number); advisory locks are scoped
// to one database, so two b24desk states on one server do not meet.
const writeLockKey int64 = 0x6232346465736b

// idleInTx is the session's idle_in_transaction_session_timeout.
const idleInTx = "8s"

// daemonLockKey is the session advisory lock OpenPostgres and
// OpenPostgresNode hold, the PostgreSQL twin of the state directory's flock.
const daemonLockKey int64 = writeLockKey + 1

// OpenPostgres opens the state in the PostgreSQL database at dsn (a
// postgres:// URL or keyword string) for one writer, as Open does for a
// directory (setup, state migrate): it holds the session advisory lock
// exclusively on a connection of its own (a second opener, or a running
// daemon, gives ErrLocked; the server releases the lock when the process
// or its connection dies), applies pending migrations and checks that the
// state can be written. The dsn is a secret: errors never include it.
func OpenPostgres(ctx context.Context, dsn string, log zerolog.Logger) (*Store, error) {
	return openPostgresLocked(ctx, dsn, log, false)
}

// OpenPostgresNode opens the state for one of several daemons sharing it
// (each holds the lock shared: setup waits until they are stopped), with
// OpenPostgres's migrations and checks. Which node does the work is the
// leader lease's decision (lease.go).
func OpenPostgresNode(ctx context.Context, dsn string, log zerolog.Logger) (*Store, error) {
	return openPostgresLocked(ctx, dsn, log, true)
}

func openPostgresLocked(ctx context.Context, dsn string, log zerolog.Logger, shared bool) (*Store, error) {
	s, err := openPostgres(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open state %s: %w", s.dir, err)
	}
	lock := `SELECT pg_try_advisory_lock(?)`
	if shared {
		lock = `SELECT pg_try_advisory_lock_shared(?)`
	}
	var got bool
	if err := conn.QueryRowContext(ctx, lock, daemonLockKey).Scan(&got); err != nil || !got {
		_ = conn.Close()
		_ = s.Close()
		if err != nil {
			return nil, fmt.Errorf("lock state %s: %w", s.dir, err)
		}
		return nil, fmt.Errorf("%w: another b24desk is using state %s", ErrLocked, s.dir)
	}
	s.pgLock = conn
	if err := s.migrate(ctx, len(migrations)); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.CheckWritable(ctx, 10*time.Second); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// OpenPostgresShared opens a current PostgreSQL state without migrating,
// for CLI commands beside the daemon (PostgreSQL needs no lock, so the
// read-only and the shared opens of a state directory are one here).
func OpenPostgresShared(ctx context.Context, dsn string, log zerolog.Logger) (*Store, error) {
	s, err := openPostgres(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	if err := s.checkCurrent(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string, log zerolog.Logger) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("state.postgres_url: not a valid PostgreSQL URL or keyword string")
	}
	where := PostgresName(dsn)
	// A process frozen inside a transaction (SIGSTOP, a long GC, a cut
	// network) would hold the state's write lock, and every other node
	// would wait for it: the server ends such a session, rolling its
	// transaction back, once it has been idle in it for idleInTx (less
	// than the leader lease's TTL, so a standby's takeover never waits
	// for a frozen leader).
	if _, set := cfg.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = idleInTx
	}
	// Every session names this process, so that a node taking over an
	// expired lease can end the sessions of the node that held it.
	host, _ := os.Hostname()
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	node := fmt.Sprintf("b24desk/%s/%d/%x", host, os.Getpid(), tag)
	if len(node) > 63 {
		node = node[len(node)-63:]
	}
	cfg.RuntimeParams["application_name"] = node
	fence := &atomic.Pointer[Lease]{}
	db := sql.OpenDB(pgConnector{base: stdlib.GetConnector(*cfg), fence: fence})
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, dir: where, engine: enginePostgres, fence: fence, node: node, log: log.With().Str("component", "store").Str("engine", "postgres").Logger(), health: &writeHealth{}}
	s.access = access{q: tracked{querier: db, health: s.health}}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open state %s: %w", where, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
)`); err != nil && !s.readOnlyErr(err) {
		_ = db.Close()
		return nil, fmt.Errorf("open state %s: %w", where, err)
	}
	return s, nil
}

// readOnlyErr reports a PostgreSQL read-only refusal (SQLSTATE 25006).
func (s *Store) readOnlyErr(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "25006"
}

// pgStorageFailure: PostgreSQL's disk full, out of memory, read-only
// transaction and I/O error classes (SQLSTATE 53xxx, 25006, 58xxx).
func pgStorageFailure(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "58") || pe.Code == "25006"
}

// pgVersion reads the schema version (0 for a new database).
func pgVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT version FROM schema_version WHERE id = 1`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// pgSetVersion records the schema version.
func pgSetVersion(ctx context.Context, q querier, v int) error {
	_, err := q.ExecContext(ctx, `INSERT INTO schema_version (id, version) VALUES (1, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version`, v)
	return err
}

var (
	ddlCreateTable = regexp.MustCompile(`(?s)CREATE TABLE [^(]*\(.*?\n\);`)
	ddlIntegerKey  = regexp.MustCompile(`\bINTEGER PRIMARY KEY\b`)
	ddlInteger     = regexp.MustCompile(`\bINTEGER\b`)
	ddlBlob        = regexp.MustCompile(`\bBLOB\b`)
	ddlReal        = regexp.MustCompile(`\bREAL\b`)
)

// pgDDL translates a migration's SQLite DDL for PostgreSQL: integers are
// 64-bit (times are Unix nanoseconds), an INTEGER PRIMARY KEY (SQLite's
// rowid alias) is an identity column that still accepts given values,
// BLOB is BYTEA and REAL is DOUBLE PRECISION. A table without an integer
// key gets a rowid identity column, so that "ORDER BY rowid" (insertion
// order) means the same on both engines.
func pgDDL(ddl string) string {
	ddl = ddlCreateTable.ReplaceAllStringFunc(ddl, func(table string) string {
		if ddlIntegerKey.MatchString(table) {
			return table
		}
		head, body, _ := strings.Cut(table, "(")
		return head + "(\n\trowid BIGINT GENERATED ALWAYS AS IDENTITY," + body
	})
	ddl = ddlIntegerKey.ReplaceAllString(ddl, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
	ddl = ddlInteger.ReplaceAllString(ddl, "BIGINT")
	ddl = ddlBlob.ReplaceAllString(ddl, "BYTEA")
	return ddlReal.ReplaceAllString(ddl, "DOUBLE PRECISION")
}

var indexedBy = regexp.MustCompile(`\s+INDEXED BY \w+`)

// rebind turns SQLite's "?" placeholders into PostgreSQL's "$n", leaving
// string literals, quoted names and comments alone, and drops SQLite's
// index hints (INDEXED BY name: PostgreSQL's planner picks by itself).
func rebind(query string) string {
	if strings.Contains(query, "INDEXED BY") {
		query = indexedBy.ReplaceAllString(query, "")
	}
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) && query[j] != c {
				j++
			}
			b.WriteString(query[i:min(j+1, len(query))])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// pgConnector hands out pgConns.
type pgConnector struct {
	base  driver.Connector
	fence *atomic.Pointer[Lease]
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn), fence: c.fence}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.base.Driver() }

// pgConn is pgx's database/sql connection speaking SQLite's placeholders,
// taking the write lock at the start of every read-write transaction and,
// on a node that leads, checking the lease there (lease.go): a write
// outside a transaction then runs in one of its own.
type pgConn struct {
	*stdlib.Conn
	fence *atomic.Pointer[Lease]
	inTx  bool
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

// fenced reports whether a write outside a transaction must be fenced.
func (c *pgConn) fenced(query string) bool {
	if c.inTx {
		return false
	}
	l := c.fence.Load()
	if l == nil || !l.active() {
		return false
	}
	head := strings.ToUpper(strings.TrimLeft(query, " \t\r\n("))
	return !strings.HasPrefix(head, "SELECT")
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	query, args = rebind(query), sqliteArgs(args)
	if !c.fenced(query) {
		return c.Conn.ExecContext(ctx, query, args)
	}
	tx, err := c.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return nil, err
	}
	res, err := c.Conn.ExecContext(ctx, query, args)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return res, tx.Commit()
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	query, args = rebind(query), sqliteArgs(args)
	if !c.fenced(query) {
		return c.Conn.QueryContext(ctx, query, args)
	}
	// A write returning rows (UPDATE ... RETURNING): its rows are read
	// before the commit.
	tx, err := c.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return nil, err
	}
	rows, err := c.Conn.QueryContext(ctx, query, args)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	mem, err := readRows(rows)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return mem, tx.Commit()
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil || opts.ReadOnly {
		return tx, err
	}
	c.inTx = true
	wrapped := pgTx{Tx: tx, c: c}
	if _, err := c.Conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", []driver.NamedValue{{Ordinal: 1, Value: writeLockKey}}); err != nil {
		_ = wrapped.Rollback()
		return nil, fmt.Errorf("take the state's write lock: %w", err)
	}
	if l := c.fence.Load(); l != nil {
		if err := l.fenceCheck(ctx, c.queryBool); err != nil {
			_ = wrapped.Rollback()
			return nil, err
		}
	}
	return wrapped, nil
}

// queryBool runs a query answering one boolean.
func (c *pgConn) queryBool(ctx context.Context, query string, args ...any) (bool, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := c.Conn.QueryContext(ctx, query, nv)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return false, err
	}
	b, _ := dest[0].(bool)
	return b, nil
}

// pgTx notes the transaction's end on its connection.
type pgTx struct {
	driver.Tx
	c *pgConn
}

func (t pgTx) Commit() error   { t.c.inTx = false; return t.Tx.Commit() }
func (t pgTx) Rollback() error { t.c.inTx = false; return t.Tx.Rollback() }

// memRows are rows read in full.
type memRows struct {
	cols []string
	rows [][]driver.Value
}

func readRows(r driver.Rows) (*memRows, error) {
	defer r.Close()
	m := &memRows{cols: r.Columns()}
	for {
		dest := make([]driver.Value, len(m.cols))
		err := r.Next(dest)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		m.rows = append(m.rows, dest)
	}
}

func (m *memRows) Columns() []string { return m.cols }
func (m *memRows) Close() error      { m.rows = nil; return nil }
func (m *memRows) Next(dest []driver.Value) error {
	if len(m.rows) == 0 {
		return io.EOF
	}
	copy(dest, m.rows[0])
	m.rows = m.rows[1:]
	return nil
}

// sqliteArgs passes a Go bool as SQLite stores it, 0 or 1 (the schema's
// flags are integer columns on both engines).
func sqliteArgs(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		if b, ok := a.Value.(bool); ok {
			args[i].Value = int64(0)
			if b {
				args[i].Value = int64(1)
			}
		}
	}
	return args
}

// PostgresName names a PostgreSQL state for messages: the URL without its
// password (postgres://USER@HOST:PORT/DB), or "PostgreSQL" when dsn cannot
// be read.
func PostgresName(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "PostgreSQL"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", url.PathEscape(cfg.User), cfg.Host, cfg.Port, url.PathEscape(cfg.Database))
}
