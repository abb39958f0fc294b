// Package events turns "something may have changed in the portal" into calls
// of a Sink, de-duplicated and without ever losing a change.
//
// Three sources feed it:
//
//   - Handler serves POST /bitrix/events, the portal's outgoing webhook
//     (form-encoded, PHP-style keys). It checks the application token in
//     constant time, records the change in a durable Queue and answers 200 at
//     once; a Worker drains the queue into the Sink asynchronously, so a
//     crash after the answer loses nothing.
//   - OfflinePoller reads event.offline.get (clear=0) for app-context portals
//     that cannot reach the daemon, records each event and only then calls
//     event.offline.clear. A page taken with clear=0 is hidden from later
//     calls until cleared: a page that failed is reported with
//     event.offline.error (and read with error=1) or read again by its
//     process_id.
//   - Reconciler scans crm.lead.list by DATE_MODIFY from a persisted
//     high-water mark (minus a margin), because the portal never retries a
//     failed delivery; Sweep looks up every open ticket by ID and reports the
//     deleted ones.
//
// Only leads that are tickets (ORIGINATOR_ID b24desk or a ticket-type
// SOURCE_ID, decided by the caller's IsTicket) reach the Sink from reconcile
// and sweep. Webhook events carry only the lead ID, so the Sink (the daemon
// core) fetches the lead and applies the same scope.
//
// What to do with a change (fetch the lead, SLA, routing) is the daemon
// core's business, not this package's.
package events
