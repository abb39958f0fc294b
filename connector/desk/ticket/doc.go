// Package ticket is the ticket itself, owned by the ticket engine
// (connector/desk) and persisted by connector/store: the Ticket type (a
// lead b24desk manages, with its SLA times), the pure transitions of its
// life (EnterStage: answered, waiting, closed, reopened by a stage;
// Answered: a staff answer; CustomerReplied: a reply that resumes or
// reopens it; Pause, Resume, Reopen; Delete: the lead was deleted;
// Observe: a person set a field), what b24desk last wrote to the lead for
// echo detection (Written, kept as the ticket's LastWritten), the portal
// writes a transition needs (Plan), the mail the intake hands the engine
// (Mail), opening a ticket (Open: a mail's new ticket and its Opening
// plan, the lead.add and the type's workflow; TakeIn: a lead the portal
// made, and its Plan) and what opening a ticket from a mail came to
// (Opened).
//
// It is a leaf with no I/O, importing only the rules, the portal's value
// types and the portal schema's field names and enumeration item IDs
// (connector/schema): the store cannot import the engine (the engine uses the
// store), and connector/mail hands desk a typed mail without importing
// the engine and, through it, the SLA clock. The engine decides which
// transition applies, stores the ticket and queues the transition's plan
// of writes through the outbox in one state transaction.
package ticket
