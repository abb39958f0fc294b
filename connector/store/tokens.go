package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Token is the stored OAuth pair. It is a secret: never log it.
type Token struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
}

// String hides the secrets, so a Token printed by mistake leaks nothing.
func (t Token) String() string { return "store.Token{redacted}" }

// LoadToken returns the stored OAuth pair; found is false when none is stored.
func (a access) LoadToken(ctx context.Context) (t Token, found bool, err error) {
	var exp sql.NullInt64
	err = a.q.QueryRowContext(ctx, `SELECT access_token, refresh_token, expires_at FROM oauth_tokens WHERE id = 1`).
		Scan(&t.AccessToken, &t.RefreshToken, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, fmt.Errorf("load token: %w", err)
	}
	t.ExpiresAt = fromTS(exp)
	return t, true, nil
}

// SaveToken replaces the stored OAuth pair.
func (a access) SaveToken(ctx context.Context, t Token, now time.Time) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO oauth_tokens (id, access_token, refresh_token, expires_at, updated_at)
VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET access_token = excluded.access_token,
	refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
		t.AccessToken, t.RefreshToken, ts(t.ExpiresAt), tsNN(now))
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

// RefreshToken runs one token refresh under the database's write lock
// (BEGIN IMMEDIATE), so that a CLI command and the daemon refreshing at the
// same time take turns: refresh gets the pair stored right now (found false
// when none) and returns the pair to store. A caller whose failed access
// token differs from current.AccessToken should return current unchanged
// (someone else already refreshed) instead of spending the refresh token.
// An error from refresh stores nothing.
func (s *Store) RefreshToken(ctx context.Context, now time.Time,
	refresh func(ctx context.Context, current Token, found bool) (Token, error)) (Token, error) {
	var out Token
	err := s.WithTx(ctx, func(tx *Tx) error {
		cur, found, err := tx.LoadToken(ctx)
		if err != nil {
			return err
		}
		next, err := refresh(ctx, cur, found)
		if err != nil {
			return err
		}
		if found && next == cur {
			out = cur
			return nil
		}
		out = next
		return tx.SaveToken(ctx, next, now)
	})
	return out, err
}
