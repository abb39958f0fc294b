package mail

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail/imapbox"
)

// CheckLine is one line of `b24desk check` about a mailbox.
type CheckLine struct {
	// OK is false for a problem that stops the mailbox from working.
	OK bool
	// Text says what was checked and what came out (never a secret).
	Text string
}

// String renders the line as "ok  …" or "FAIL …".
func (l CheckLine) String() string {
	if l.OK {
		return "ok   " + l.Text
	}
	return "FAIL " + l.Text
}

// CheckMailbox logs in to the mailbox and reports: login, the folders
// (created when absent, as the intake would), IDLE support, and how many
// mails an import_since would take in (or that a first start imports
// nothing). It stops at the first failing step.
func CheckMailbox(ctx context.Context, mb config.Mailbox, log zerolog.Logger) []CheckLine {
	cfg := BoxConfig(mb, log)
	var lines []CheckLine
	add := func(ok bool, format string, args ...any) {
		lines = append(lines, CheckLine{OK: ok, Text: fmt.Sprintf("mailbox %s: ", mb.Name) + fmt.Sprintf(format, args...)})
	}
	box, err := imapbox.Dial(ctx, cfg)
	if err != nil {
		add(false, "login as %q on %s: %v", cfg.Username, cfg.Addr, err)
		return lines
	}
	defer box.Close()
	add(true, "login as %q on %s (%s, %s)", cfg.Username, cfg.Addr, cfg.Security, cfg.Auth)
	if err := box.EnsureFolders(ctx); err != nil {
		add(false, "folders: %v", err)
		return lines
	}
	st, err := box.Select(ctx)
	if err != nil {
		add(false, "select %q: %v", box.Config().Folder, err)
		return lines
	}
	c := box.Config()
	add(true, "folders %q (%d mails), processed %q, quarantine %q", c.Folder, st.Messages, c.Processed, c.Quarantine)
	if box.HasIDLE() {
		add(true, "IDLE supported: new mail is seen at once")
	} else {
		add(true, "no IDLE: polling every %s", c.PollInterval)
	}
	if mb.ImportSince.IsZero() {
		add(true, "first start imports no old mail (%d mails in %q are left as they are)", st.Messages, c.Folder)
		return lines
	}
	n, err := box.CountSince(ctx, mb.ImportSince)
	if err != nil {
		add(false, "count mail since %s: %v", mb.ImportSince.Format("2006-01-02"), err)
		return lines
	}
	add(true, "import_since %s would take in %d mails on first start", mb.ImportSince.Format("2006-01-02"), n)
	return lines
}
