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
// Opening a ticket is written once. The engine reads the routing
// positions and the rules decide (decide in open.go): they classify,
// route and pick the SLA policy. A pure step in the leaf package turns the
// decision into the new ticket and its plan of writes: ticket.Open for a
// mail (the lead.add's fields with the priority and SLA state by item ID
// and the first-response deadline, the type's workflow, the live-feed
// event on or off, the drafted ticket with its SLA times and what the
// lead.add wrote), ticket.TakeIn for a lead the portal made (the routed
// assignee and the priority and tier it lacks, the type's workflow). Both
// take the ticket's type, tier, priority, policy and routed assignee from
// the decision the same way. The engine then records what every new
// ticket records (open in open.go: the routing advance and the
// classification inputs for `rules replay`) and queues the plan; the
// type's business process is started unless the portal starts it by
// itself (Engine.workflow, the one place a workflow starts: a new ticket,
// a reclassification, an escalation step through
// sla.Options.StartWorkflow). A ticket opens from:
//
//   - a mail (NewTicket, the I/O around ticket.Open: the dedupe checks,
//     the routing state, the queueing): the lead.add is queued with the
//     ticket drafted in the state; the ticket is recorded when the lead
//     exists (RegisterHooks). Junk mail opens a closed ticket in the junk
//     stage: not routed (the positions stay), no SLA, no workflow, no
//     live-feed event;
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
// workflow (its plan: the routed assignee and the workflow start), a new
// assignee set by a person is recorded. A stage a person set (answered,
// waiting, closed, reopened: ticket.EnterStage) needs no write of its own:
// the lead has it already; the SLA clock's update that follows every
// transition writes the SLA fields and moves or completes the to-do. A lead created by
// b24desk whose ticket is not recorded yet (its add event came first) is
// ignored, never classified from its fields.
//
// Every portal write goes through the outbox; the SLA fields, to-do and
// escalation steps are the sla package's.
package desk
