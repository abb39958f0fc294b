package main

import (
	"context"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/outbound"
	"github.com/b24desk/b24desk/connector/schema"
)

// smtpCheckTimeout bounds one mailbox's SMTP check.
const smtpCheckTimeout = 15 * time.Second

// checkSMTP checks outbound mail: for each mailbox with smtp.host, connect,
// TLS as configured and AUTH (no mail is sent); an enabled acknowledgement
// must name a template of the rules; the canned answers must be in the
// portal's list (setup puts them there).
func checkSMTP(ctx context.Context, env *checkEnv) []checkLine {
	var lines []checkLine
	for _, mb := range env.cfg.Mailboxes {
		if !mb.SMTP.Enabled() {
			lines = append(lines, warnLine("smtp %s: no smtp.host: staff answers and acknowledgements are not sent from this mailbox", mb.Name))
			continue
		}
		cfg := outbound.SMTPConfigFor(mb)
		cfg.Timeout = smtpCheckTimeout
		who := "without AUTH"
		if cfg.Username != "" {
			who = "authenticated as " + cfg.Username
		}
		cctx, cancel := context.WithTimeout(ctx, smtpCheckTimeout)
		err := outbound.NewSender(cfg).Check(cctx)
		cancel()
		if err != nil {
			lines = append(lines, fail(fmt.Sprintf("smtp %s: %s (%s): %v", mb.Name, cfg.Addr, cfg.Security, err),
				fmt.Sprintf("check mailboxes[%s].smtp host, port, security, username and password", mb.Name)))
		} else {
			lines = append(lines, pass("smtp %s: %s (%s) answers, %s; no mail sent", mb.Name, cfg.Addr, cfg.Security, who))
		}
		if mb.Ack.Enabled {
			if _, ok := env.rules.TemplateByName(mb.Ack.Template); !ok {
				lines = append(lines, fail(fmt.Sprintf("smtp %s: acknowledgement template %q is not in the rules", mb.Name, mb.Ack.Template),
					"add it under templates: in the rules file, or change mailboxes[].ack.template"))
			}
		}
	}
	if env.state == nil || len(env.rules.Templates) == 0 {
		return lines
	}
	m, err := schema.Load(ctx, env.state)
	if err != nil {
		return lines
	}
	var missing []string
	for _, name := range env.rules.TemplateNames() {
		if _, ok := m.EnumID(schema.FieldCanned, name); !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		lines = append(lines, fail(fmt.Sprintf("canned answers not in the portal's %s list: %v", schema.FieldCanned, missing),
			"run b24desk setup to add them"))
	} else {
		lines = append(lines, pass("canned answers: %d templates in the portal's list", len(env.rules.Templates)))
	}
	return lines
}
