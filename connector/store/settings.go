package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// InstallationIDKey names the setting holding the installation ID: 32 hex
// digits of randomness made once with the state (a migration), so that two
// installations, or a rehearsal against the simulator and the live portal,
// never make the same identifiers (outgoing Message-IDs).
const InstallationIDKey = "installation.id"

// InstallationID returns the state's installation ID.
func (a access) InstallationID(ctx context.Context) (string, error) {
	id, found, err := a.Setting(ctx, InstallationIDKey)
	if err != nil {
		return "", err
	}
	if !found || id == "" {
		return "", fmt.Errorf("state has no installation ID (%s)", InstallationIDKey)
	}
	return id, nil
}

// Setting returns an installation-wide value kept in the state (found is
// false when it was never set). Per-ticket state has tables of its own
// (ticketstate.go, maildrafts.go, spamlessons.go).
func (a access) Setting(ctx context.Context, key string) (value string, found bool, err error) {
	err = a.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get setting %q: %w", key, err)
	}
	return value, true, nil
}

// PutSetting stores a small named value.
func (a access) PutSetting(ctx context.Context, key, value string) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("put setting %q: %w", key, err)
	}
	return nil
}

// DeleteSetting removes a named value (absent is not an error).
func (a access) DeleteSetting(ctx context.Context, key string) error {
	if _, err := a.q.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key); err != nil {
		return fmt.Errorf("delete setting %q: %w", key, err)
	}
	return nil
}

// SchemaValue returns a portal schema fact recorded by setup: kind names the
// map (e.g. "enum:UF_CRM_B24D_PRIORITY", "stage"), key the local name, value
// the portal's ID or code.
func (a access) SchemaValue(ctx context.Context, kind, key string) (value string, found bool, err error) {
	err = a.q.QueryRowContext(ctx, `SELECT value FROM schema_map WHERE kind = ? AND key = ?`, kind, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get schema value %s/%s: %w", kind, key, err)
	}
	return value, true, nil
}

// PutSchemaValue records a portal schema fact (see SchemaValue).
func (a access) PutSchemaValue(ctx context.Context, kind, key, value string) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO schema_map (kind, key, value) VALUES (?, ?, ?)
ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value`, kind, key, value)
	if err != nil {
		return fmt.Errorf("put schema value %s/%s: %w", kind, key, err)
	}
	return nil
}

// SchemaMap returns every key → value of one kind.
func (a access) SchemaMap(ctx context.Context, kind string) (map[string]string, error) {
	rows, err := a.q.QueryContext(ctx, `SELECT key, value FROM schema_map WHERE kind = ?`, kind)
	if err != nil {
		return nil, fmt.Errorf("schema map %s: %w", kind, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("schema map %s: %w", kind, err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// RoutingPosition returns the pool's round-robin position (0 when unset).
func (a access) RoutingPosition(ctx context.Context, pool string) (int, error) {
	var pos int
	err := a.q.QueryRowContext(ctx, `SELECT position FROM routing_state WHERE pool = ?`, pool).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("routing position %q: %w", pool, err)
	}
	return pos, nil
}

// SetRoutingPosition stores the pool's round-robin position.
func (a access) SetRoutingPosition(ctx context.Context, pool string, pos int) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO routing_state (pool, position) VALUES (?, ?)
ON CONFLICT(pool) DO UPDATE SET position = excluded.position`, pool, pos)
	if err != nil {
		return fmt.Errorf("set routing position %q: %w", pool, err)
	}
	return nil
}
