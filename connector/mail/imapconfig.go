package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail/imapbox"
)

// tokenTimeout bounds a token_command run.
const tokenTimeout = 30 * time.Second

// BoxConfig converts a mailbox's config into the imapbox connection config:
// default ports (993 for tls, 143 otherwise), folders, size cap, polling and
// the XOAUTH2 token source (token_file read, or token_command run, at each
// login).
func BoxConfig(mb config.Mailbox, log zerolog.Logger) imapbox.Config {
	port := mb.IMAP.Port
	if port == 0 {
		port = 143
		if mb.IMAP.Security == config.SecurityTLS || mb.IMAP.Security == "" {
			port = 993
		}
	}
	cfg := imapbox.Config{
		Addr:         net.JoinHostPort(mb.IMAP.Host, strconv.Itoa(port)),
		Security:     imapbox.Security(mb.IMAP.Security),
		Username:     mb.IMAP.Username,
		Password:     mb.IMAP.Password.Value(),
		Auth:         imapbox.AuthMethod(mb.IMAP.Auth),
		Folder:       mb.Folder,
		Processed:    mb.ProcessedFolder,
		Quarantine:   mb.QuarantineFolder,
		MaxSize:      int64(mb.MaxSize),
		PollInterval: mb.PollInterval,
		Logger:       log,
	}
	if cfg.Auth == imapbox.AuthXOAuth2 {
		cfg.Token = tokenSource(mb.IMAP.TokenFile, mb.IMAP.TokenCommand)
	}
	return cfg
}

// tokenSource reads the OAuth2 access token from a file or a command's
// standard output. Errors never carry the token.
func tokenSource(file, command string) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		var out []byte
		var err error
		switch {
		case file != "":
			out, err = os.ReadFile(file)
			if err != nil {
				return "", fmt.Errorf("read token file: %w", err)
			}
		case command != "":
			ctx, cancel := context.WithTimeout(ctx, tokenTimeout)
			defer cancel()
			out, err = exec.CommandContext(ctx, "/bin/sh", "-c", command).Output()
			if err != nil {
				return "", fmt.Errorf("run token command: %w", err)
			}
		default:
			return "", errors.New("no token_file or token_command configured")
		}
		tok := strings.TrimSpace(string(out))
		if tok == "" {
			return "", errors.New("the token source gave an empty token")
		}
		return tok, nil
	}
}
