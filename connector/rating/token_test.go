package rating

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/store"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := LoadSigner(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadSigner(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	c := Claim{Lead: 42, Answer: AnswerID("reply:42:abc:1"), Choice: 1, Expires: now.Add(time.Hour)}
	tok := s.Token(c)
	got, err := again.Parse(tok, now) // the key outlives a restart
	if err != nil || got.Lead != 42 || got.Answer != c.Answer || got.Choice != 1 || !got.Expires.Equal(c.Expires) {
		t.Fatalf("Parse = %+v, %v", got, err)
	}
	if _, err := s.Parse(tok, now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	forged := Signer{key: []byte("0123456789abcdef0123456789abcdef")}.Token(Claim{Lead: 43, Answer: c.Answer, Expires: c.Expires})
	for _, bad := range []string{"", "x", tok + "x", "e" + tok, forged} {
		if _, err := s.Parse(bad, now); !errors.Is(err, ErrBadToken) {
			t.Errorf("Parse(%q) = %v, want ErrBadToken", bad, err)
		}
	}
}
