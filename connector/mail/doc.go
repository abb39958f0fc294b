// Package mail is the mail intake: for one support mailbox it reads new mail
// over IMAP (imapbox), spools every raw mail into the state before the
// mailbox cursor moves past it, turns each spooled mail into portal work
// through the outbox (a new ticket, a reply on an existing ticket, a bounce
// note) in one state transaction, and only after that work is durably done
// marks the mail \Seen and moves it to the processed folder (or to the
// quarantine folder).
//
// The stages of a mail, as recorded in the state (store.Message):
//
//	spooled      raw copy saved; ticket work pending (resumed after a crash)
//	ticketed     lead.add (and workflow) queued in the outbox
//	replied      timeline comment queued (reply, bounce) or nothing to do
//	             (automatic mail, skipped spam)
//	quarantined  nothing usable came out of it
//	done         flagged/moved in the mailbox: finished
//
// A ticketed or replied mail is finished (moved) only when the outbox row it
// waits for is done; while the portal is down the mail stays untouched in
// the intake folder and other mail goes on. docs/mail.md tells the whole
// story for operators.
package mail
