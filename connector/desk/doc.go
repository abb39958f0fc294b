// Package desk owns a ticket's life: it decides every transition of a
// ticket (the pure ones are methods of ticket.Ticket, in the leaf package
// connector/desk/ticket) and queues the typed plan of portal writes each
// one needs (ticket.Plan; a new mail's lead.add) through the outbox, in the
// state transaction that records it. The other parts of the daemon only bring it
// what happened: connector/mail fetches, spools, parses and threads a mail
// and hands desk a typed ticket.Mail (NewTicket, CustomerReplied);
// connector/events brings lead changes (Engine implements events.Sink);
// connector/outbound sends staff answers (StaffReplied); connector/sla's
// clock, which desk builds, runs the deadlines.
//
// Opening a ticket is written once (decide and open in open.go): the
// rules classify, route (the round-robin positions advanced in the state)
// and pick the SLA policy; the routing advance and the classification
// inputs for `rules replay` are recorded; the type's business process is
// started unless the portal starts it by itself (Engine.workflow, the one
// place a workflow starts: a new ticket, a reclassification, an escalation
// step through sla.Options.StartWorkflow). A ticket opens from:
//
//   - a mail (NewTicket): the lead.add is queued with the ticket drafted
//     in the state; the ticket is recorded when the lead exists
//     (RegisterHooks). Junk mail opens a closed ticket in the junk stage:
//     not routed, no SLA, no workflow, no live-feed event;
//   - a lead made by hand in the portal with a ticket type: classified
//     from its fields, routed when nobody real is assigned, given an SLA
//     counting from its creation;
//   - a lead of one of the rules' intake sources (a web form, a callback):
//     adopted, classified like a mail from its title, comments and e-mail,
//     its type written as SOURCE_ID and the channel kept in a field.
//
// For a changed lead the engine fetches it (crm.lead.get), keeps to the
// scope (DESIGN.md: ORIGINATOR_ID b24desk or a ticket-type SOURCE_ID;
// every other lead is left alone without a write), recognises the echo of
// b24desk's own writes (the lead's stage, type and assignee compared with
// what the ticket last saw and wrote), and acts on a real change: an
// answered or closed stage meets the first response, a waiting stage
// pauses the SLA clock and leaving it resumes the clock, a closed stage
// meets the resolution and stops the clock, reopening starts it again, a
// type change routes the ticket and applies the new type's SLA policy and
// workflow, a new assignee set by a person is recorded. A lead created by
// b24desk whose ticket is not recorded yet (its add event came first) is
// ignored, never classified from its fields.
//
// Every portal write goes through the outbox; the SLA fields, to-do and
// escalation steps are the sla package's.
package desk
