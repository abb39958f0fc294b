package store

import (
	"context"
	"fmt"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
)

// BitrixTokens keeps the client's OAuth pair in the state: it implements
// bitrix.TokenStore, and Refresh lets a refresh run under the database's
// write lock so that a CLI command and the daemon never spend the same
// refresh token twice.
type BitrixTokens struct {
	s   *Store
	clk clock.Clock
}

var _ bitrix.TokenStore = (*BitrixTokens)(nil)

// Tokens returns the state's OAuth token store.
func (s *Store) Tokens(clk clock.Clock) *BitrixTokens { return &BitrixTokens{s: s, clk: clk} }

// Load returns the stored pair; ErrNotFound when none is stored (the app
// was never installed).
func (b *BitrixTokens) Load(ctx context.Context) (bitrix.Token, error) {
	t, found, err := b.s.LoadToken(ctx)
	if err != nil {
		return bitrix.Token{}, err
	}
	if !found {
		return bitrix.Token{}, fmt.Errorf("OAuth token: %w (install the app first)", ErrNotFound)
	}
	return bitrix.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expires: t.ExpiresAt}, nil
}

// Save replaces the stored pair in one statement.
func (b *BitrixTokens) Save(ctx context.Context, t bitrix.Token) error {
	return b.s.SaveToken(ctx, Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: t.Expires},
		b.clk.Now())
}

// Refresh replaces the stale access token under the write lock: it re-reads
// the stored pair first and, when another process already replaced stale,
// returns the stored pair without calling fetch; otherwise it calls fetch
// with the stored refresh token and saves the answer before releasing the
// lock.
func (b *BitrixTokens) Refresh(ctx context.Context, staleAccess string,
	fetch func(ctx context.Context, refreshToken string) (bitrix.Token, error)) (bitrix.Token, error) {
	t, err := b.s.RefreshToken(ctx, b.clk.Now(), func(ctx context.Context, cur Token, found bool) (Token, error) {
		if !found {
			return Token{}, fmt.Errorf("OAuth token: %w (install the app first)", ErrNotFound)
		}
		if cur.AccessToken != staleAccess {
			return cur, nil
		}
		nt, err := fetch(ctx, cur.RefreshToken)
		if err != nil {
			return Token{}, err
		}
		return Token{AccessToken: nt.AccessToken, RefreshToken: nt.RefreshToken, ExpiresAt: nt.Expires}, nil
	})
	if err != nil {
		return bitrix.Token{}, err
	}
	return bitrix.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expires: t.ExpiresAt}, nil
}
