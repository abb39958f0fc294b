// Package desk is the daemon's ticket engine: it keeps each ticket's state
// in step with its lead in the portal.
//
// Engine implements events.Sink. For a changed lead it fetches the lead
// (crm.lead.get), keeps to the scope (DESIGN.md: ORIGINATOR_ID b24desk or a
// ticket-type SOURCE_ID; every other lead is left alone without a write),
// recognises the echo of b24desk's own writes (the lead's stage, type and
// assignee compared with what the ticket last saw and wrote), and acts on a
// real change: an answered or closed stage meets the first response, a
// waiting stage pauses the SLA clock and leaving it resumes the clock, a
// closed stage meets the resolution and stops the clock, reopening starts
// it again, a type change routes the ticket and applies the new type's SLA
// policy and workflow, a new assignee set by a person is recorded. A lead
// made by hand in the portal with a ticket type is classified from its
// fields, routed when nobody real is assigned, given an SLA and its type's
// workflow. A lead created by b24desk whose ticket is not recorded yet (its
// add event came first) is ignored, never classified from its fields.
//
// The mail intake calls CustomerReplied inside its transaction; the
// outbound mail calls StaffReplied. Every portal write goes through the
// outbox; the SLA fields, to-do and escalations are the sla package's.
package desk
