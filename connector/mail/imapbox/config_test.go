package imapbox

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	token := func(context.Context) (string, error) { return "t", nil }
	ok := Config{Addr: "127.0.0.1:143", Username: "u", Password: "p"}
	for _, tc := range []struct {
		name string
		mod  func(c *Config)
		want []string // substrings of the error; none means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"xoauth2 with token", func(c *Config) { c.Auth, c.Token = AuthXOAuth2, token }, nil},
		{"everything wrong", func(c *Config) {
			c.Addr, c.Username, c.Security, c.Auth = "", "", "ssl", "cram"
			c.Processed, c.MaxSize = "INBOX", -1
		}, []string{"addr is empty", `security "ssl"`, `auth "cram"`, "username is empty", "must differ", "max size"}},
		{"xoauth2 without token", func(c *Config) { c.Auth = AuthXOAuth2 }, []string{"token source"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Validate = %v, want ErrConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestXOAuth2InitialResponse(t *testing.T) {
	mech, ir, err := (&xoauth2Client{user: "support@example.test", token: "tok"}).Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=support@example.test\x01auth=Bearer tok\x01\x01" {
		t.Fatalf("Start = %q, %q, %v", mech, ir, err)
	}
}

func TestWriteHeaderWithout(t *testing.T) {
	hdr := "Subject: a\r\nContent-Type: multipart/mixed;\r\n boundary=x\r\nFrom: b\r\n\r\n"
	var buf bytes.Buffer
	writeHeaderWithout(&buf, []byte(hdr), "content-type")
	want := "Subject: a\r\nFrom: b\r\nX-B24desk-Truncated: yes\r\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}
