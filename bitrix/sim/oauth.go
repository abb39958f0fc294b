package sim

import (
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// token is an issued OAuth token.
type token struct {
	user    int
	expires time.Time
}

// OAuthURL returns the token endpoint on base, e.g. base + "/oauth/token/".
func (p *Portal) OAuthURL(base string) string { return strings.TrimRight(base, "/") + "/oauth/token/" }

// ClientID returns the OAuth client_id the token endpoint accepts.
func (p *Portal) ClientID() string { return p.opts.ClientID }

// ClientSecret returns the OAuth client_secret the token endpoint accepts.
func (p *Portal) ClientSecret() string { return p.opts.ClientSecret }

// IssueTokens issues an access and a refresh token for a user, as an app
// install does.
func (p *Portal) IssueTokens(user int) (access, refresh string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issue(user)
}

// AuthCode issues a one-time authorization code for a user.
func (p *Portal) AuthCode(user int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	code := p.randHex(16)
	p.st.authCode[code] = true
	p.st.codeUser[code] = user
	return code
}

// ExpireAccessTokens makes every access token expired (refresh tokens live on).
func (p *Portal) ExpireAccessTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, t := range p.st.tokens {
		t.expires = time.Time{}
		p.st.tokens[k] = t
	}
}

func (p *Portal) issue(user int) (string, string) {
	now := p.clk.Now()
	access, refresh := p.randHex(32), p.randHex(32)
	p.st.tokens[access] = token{user: user, expires: now.Add(p.opts.TokenTTL)}
	p.st.refresh[refresh] = token{user: user, expires: now.Add(p.opts.RefreshTTL)}
	return access, refresh
}

func (p *Portal) randHex(n int) string {
	b := make([]byte, n/2)
	for i := range b {
		b[i] = byte(p.st.rng.Uint32())
	}
	return hex.EncodeToString(b)
}

// serveOAuth is the token endpoint: refresh_token and authorization_code grants.
func (p *Portal) serveOAuth(w http.ResponseWriter, r *http.Request) {
	prm, perr := readParams(r)
	if perr != nil {
		prm = params{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fail := func(status int, code, desc string) {
		writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
		p.st.calls = append(p.st.calls, Call{Method: "oauth.token", At: p.clk.Now(), Status: status, Code: code})
	}
	if str(prm["client_id"]) != p.opts.ClientID ||
		subtle.ConstantTimeCompare([]byte(str(prm["client_secret"])), []byte(p.opts.ClientSecret)) != 1 {
		fail(http.StatusUnauthorized, "invalid_client", "Invalid client credentials")
		return
	}
	var user int
	switch str(prm["grant_type"]) {
	case "refresh_token":
		rt := str(prm["refresh_token"])
		t, ok := p.st.refresh[rt]
		if !ok || !p.clk.Now().Before(t.expires) {
			fail(http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
			return
		}
		delete(p.st.refresh, rt)
		user = t.user
	case "authorization_code":
		code := str(prm["code"])
		if !p.st.authCode[code] {
			fail(http.StatusBadRequest, "invalid_grant", "Invalid authorization code")
			return
		}
		delete(p.st.authCode, code)
		user = p.st.codeUser[code]
	default:
		fail(http.StatusBadRequest, "invalid_request", "Unsupported grant_type")
		return
	}
	access, refresh := p.issue(user)
	now := p.clk.Now()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "expires": now.Add(p.opts.TokenTTL).Unix(), "expires_in": int(p.opts.TokenTTL.Seconds()),
		"scope": strings.Join(p.st.scopes, ","), "domain": "oauth.bitrix.info",
		"server_endpoint": "https://oauth.bitrix.info/rest/", "status": "L",
		"client_endpoint": "https://" + p.opts.Domain + "/rest/", "member_id": p.memberID(),
		"user_id": user, "refresh_token": refresh,
	})
	p.st.calls = append(p.st.calls, Call{Method: "oauth.token", At: now, Status: http.StatusOK})
}
