// Package outbound sends b24desk's mail: staff answers written in the lead
// card (UF_CRM_B24D_REPLY, UF_CRM_B24D_CANNED), canned answers from the
// rules file's templates, and acknowledgements of new tickets.
//
// Every mail is built once (its own Message-ID, In-Reply-To and References
// of the customer's thread, text and HTML parts, the loop header) and queued
// as an outbox row of kind KindMailSend in the ticket's mail group, together
// with a mail_out row in state "sending" and the Message-ID in the thread
// index (direction out, so the customer's answer threads). The outbox marks
// the row "unknown" before SMTP is called; when the server takes the mail
// the row is done and, in the same transaction, the mail_out row becomes
// "sent" and the follow-ups are queued: the timeline comment, the cleared
// fields, the stage move and the response target met.
//
// After a crash inside that window the row is looked up: with a Sent folder
// configured the mail is searched there by Message-ID (found: not sent
// again); without one it is sent again. SMTP 4xx answers are retried with
// the outbox's backoff; 5xx answers park the row with the server's reason,
// mark the mail_out row failed and put a comment on the ticket.
package outbound
