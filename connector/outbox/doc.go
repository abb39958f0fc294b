// Package outbox is the one way b24desk writes to the portal: a durable
// queue of writes in the state database, delivered at least once and
// de-duplicated, so that nothing is lost while the portal or the network is
// down and nothing is done twice after a crash.
//
// A row (store.OutboxRow) has a kind, a typed payload stored as JSON (the
// kinds' types: LeadAdd, LeadUpdate, Comment, TodoAdd, Notify,
// WorkflowStart…, sent through the bitrix command builders), a dedupe key
// (enqueuing the same key again is a no-op) and a group key. Rows of one
// group run in the order they were enqueued: a row waits while an earlier
// row of its group is pending, unknown or parked. A ticket's core writes
// (the lead: add, fields, stage, assignee) share its group; its side writes
// (to-do, comment, notification, workflow) run in lanes of it (Laned), and
// wait for the ticket's lead.add to be done, so a parked side write never
// holds back the lead itself.
//
// The worker sends the due rows of command kinds (CommandKind) in batch
// requests of up to 50 commands with halt 0, one row per group at a time; a
// new lead's side writes ride along with its lead.add through $result
// references. Each command's outcome is handled as a row sent alone.
//
// Life of a row. Before each call the row is saved with one more attempt and
// the state "unknown", due again after Config.UnknownDelay: if the process
// dies during the call, the next run first asks the portal whether the write
// happened. Then:
//   - success: the row is done, its result kept, and the OnDone hooks of its
//     kind run in the same transaction;
//   - 503 QUERY_LIMIT_EXCEEDED, 429 OPERATION_TIME_LIMIT: the call was not
//     executed; the row is delayed and the attempt not counted;
//   - outcome unknown (a timeout or 5xx on a non-idempotent write): the row
//     stays unknown and is looked up no sooner than UnknownDelay, since a
//     cloud request may still be applied that long after the client gave up;
//   - transient failures (network, 5xx, expired token), a bad webhook secret
//     or a blocked portal: retried after a fixed backoff schedule with jitter
//     (5s, 15s, 1m, 5m, 15m, 1h, then hourly), never parked unless
//     Config.MaxAttempts says so; a human fixing the portal lets them flow;
//   - any other error (a final 4xx: access denied, invalid, not found): the
//     row is parked with its error, for Retry or Drop by an operator.
//
// An unknown row is handed to its kind's Lookup: a lead by ORIGINATOR_ID and
// ORIGIN_ID, a timeline comment or a to-do by the marker written into its
// text (see Marker), a workflow by its running instances; a notification is
// simply sent again with the same TAG, which replaces the earlier one.
// Found: done with the found result. Not found: sent again, with the next
// batch when the portal takes batches (else alone). A kind whose lookup is
// one list command (LookupKind: all the built-in ones) has it sent with
// the other due lookups in batch requests of up to 50 commands with halt
// 0, each answer handled as the single lookup's; a first page that does not
// hold the write (a lead with more than 50 newer comments) is read on alone.
//
// A payload may name the lead of its ticket's lead.add with the zero
// LeadRef (stored as the placeholder LeadID), so that intake can enqueue
// "add the lead, start its workflow, comment" in one transaction. A side
// write whose lead.add was dropped is dropped too.
//
// Finished rows stay as history until store.Prune removes them.
package outbox
