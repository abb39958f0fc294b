package rating

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors of Parse: the page tells the customer which one it was.
var (
	ErrBadToken = errors.New("rating link is not valid")
	ErrExpired  = errors.New("rating link has expired")
)

// keySetting names the state setting holding the signing key.
const keySetting = "rating.key"

// Settings is where the signing key is kept (store.Store and store.Tx have it).
type Settings interface {
	Setting(ctx context.Context, key string) (value string, found bool, err error)
	PutSetting(ctx context.Context, key, value string) error
}

// LoadSigner returns the signer with the state's key, creating a random
// key on first use: links stay valid across restarts, and no config holds
// the key.
func LoadSigner(ctx context.Context, st Settings) (Signer, error) {
	v, found, err := st.Setting(ctx, keySetting)
	if err != nil {
		return Signer{}, err
	}
	if !found {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return Signer{}, fmt.Errorf("rating key: %w", err)
		}
		v = hex.EncodeToString(b)
		if err := st.PutSetting(ctx, keySetting, v); err != nil {
			return Signer{}, err
		}
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return Signer{}, fmt.Errorf("rating key in the state is damaged")
	}
	return Signer{key: key}, nil
}

// Signer signs and checks rating links.
type Signer struct{ key []byte }

// Claim is what a rating link says: the ticket, the answer, the choice
// offered (0-based) and until when it can be used.
type Claim struct {
	Lead    int64
	Answer  string
	Choice  int
	Expires time.Time
}

// Token returns the link token of a claim: its fields and an HMAC, URL-safe.
func (s Signer) Token(c Claim) string {
	payload := fmt.Sprintf("%d.%s.%d.%d", c.Lead, c.Answer, c.Choice, c.Expires.Unix())
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.sig(payload)
}

func (s Signer) sig(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("b24desk rating\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Parse checks a token's signature and expiry and returns its claim.
func (s Signer) Parse(tok string, now time.Time) (Claim, error) {
	enc, sig, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 300 {
		return Claim{}, ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.sig(string(raw)))) {
		return Claim{}, ErrBadToken
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 4 {
		return Claim{}, ErrBadToken
	}
	lead, err1 := strconv.ParseInt(parts[0], 10, 64)
	choice, err2 := strconv.Atoi(parts[2])
	exp, err3 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Claim{}, ErrBadToken
	}
	c := Claim{Lead: lead, Answer: parts[1], Choice: choice, Expires: time.Unix(exp, 0)}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// AnswerID names a staff answer by its send key: short, stable, without
// content.
func AnswerID(sendKey string) string {
	sum := sha256.Sum256([]byte(sendKey))
	return hex.EncodeToString(sum[:5])
}
