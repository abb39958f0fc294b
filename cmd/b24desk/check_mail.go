package main

import (
	"context"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/mail"
)

// mailboxCheckTimeout bounds the check of one mailbox.
const mailboxCheckTimeout = 30 * time.Second

// checkMailboxes logs in to each configured mailbox (mail.CheckMailbox):
// login, folders, IDLE support and what a first start would import. A
// failing step is a failed line.
func checkMailboxes(ctx context.Context, env *checkEnv) []checkLine {
	var lines []checkLine
	for _, mb := range env.cfg.Mailboxes {
		if mb.IMAP.Host == "" {
			lines = append(lines, warnLine("mailbox %s: no IMAP server configured, no mail is read from it", mb.Name))
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, mailboxCheckTimeout)
		for _, l := range mail.CheckMailbox(cctx, mb, env.log) {
			if l.OK {
				lines = append(lines, pass("%s", l.Text))
				continue
			}
			lines = append(lines, fail(l.Text, fmt.Sprintf(
				"check the imap section of mailbox %s (host, port, security, auth, username, password) and its folders", mb.Name)))
		}
		cancel()
	}
	return lines
}
