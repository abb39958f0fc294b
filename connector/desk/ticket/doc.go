// Package ticket holds the values a ticket's life is told in, with no I/O
// and no dependency on the state or the portal client: the mail the intake
// hands the ticket engine (Mail) and what opening a ticket from it came to
// (Opened).
//
// It is a leaf so that connector/mail can hand connector/desk a typed
// mail without importing the engine (and through it the SLA clock): mail
// fetches, spools, parses and threads; desk decides.
package ticket
