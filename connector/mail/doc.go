// Package mail is the mail intake: for one support mailbox it reads new mail
// over IMAP (imapbox), spools every raw mail into the state before the
// mailbox cursor moves past it, parses it, finds the ticket it answers
// (threading), and turns each spooled mail into portal work in one state
// transaction: a new mail is handed to the ticket engine as a typed
// ticket.Mail (connector/desk decides the ticket and queues its lead.add),
// a reply becomes a timeline comment and the engine is told the customer
// replied, a bounce becomes a note. Only after that work is durably done
// it marks the mail \Seen and moves it to the processed folder (or to the
// quarantine folder). The intake decides no ticket itself: it neither
// classifies, routes nor starts workflows.
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
