// Package sla runs the SLA clock of the tickets: it fires the escalation
// steps whose time has come and keeps the portal's SLA fields and the
// ticket's to-do in step with the deadlines.
//
// A Tick reads only the tickets whose next due time has come (the store's
// next_due_at index, never a scan). For each it computes the policy's
// schedule from the ticket's timeline (created, the customer's latest reply,
// the spans spent waiting), fires the latest due step of each open target
// (after downtime only the latest one: no burst of 80% and 100%), records it
// done in the same transaction as its outbox writes, then derives the SLA
// state and due time (Evaluate, a pure function shared with the desk
// engine), writes them to UF_CRM_B24D_SLA_STATE / UF_CRM_B24D_SLA_DUE when
// they changed, creates or moves the ticket's to-do (so the portal's own
// counters and red overdue marks show what is late; completed with
// crm.activity.update when the ticket closes, opened again when it is
// reopened), and sets the next due time.
//
// A step's workflow starts through the ticket engine (Options.StartWorkflow:
// connector/desk starts every workflow), the routing positions of a
// step's reassignment are the store's, shared with the engine's routing.
//
// Every portal write goes through the outbox with a dedupe key; what was
// written is kept in the ticket's LastWritten (ticket.Written) so that the
// echo of b24desk's own writes is recognised and nothing is written twice.
// Time always comes from the caller (Tick(now)) or the injected clock; the
// cron Scheduler only triggers ticks.
package sla
