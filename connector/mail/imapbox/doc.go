// Package imapbox is one connection to one IMAP mailbox, as the mail intake
// needs it: log in (LOGIN, AUTHENTICATE PLAIN or XOAUTH2), make sure the
// processed and quarantine folders exist, select the intake folder, fetch
// new mail by UID with BODY.PEEK[] (nothing is marked read), wait for new
// mail with IDLE (or by polling), and, once a mail's ticket work is durably
// done, mark it \Seen and move it away.
//
// A Box is synchronous and not safe for concurrent use: one goroutine owns
// it. Any error leaves the connection in an unknown state; the caller closes
// the Box and dials again after a pause (mail.DefaultBackoff). Cancelling a method's
// context closes the connection. Errors and log lines never carry the
// password or token.
//
// Typical loop:
//
//	box, err := imapbox.Dial(ctx, cfg)
//	err = box.EnsureFolders(ctx)
//	st, err := box.Select(ctx)        // UIDVALIDITY, UIDNEXT: the cursor
//	for {
//		mails, err := box.FetchSince(ctx, cursor, 100)
//		// spool each, move the cursor, do the ticket work, then box.Done
//		if len(mails) < 100 {
//			err = box.Wait(ctx, 10*time.Minute)
//		}
//	}
package imapbox
