// Package replay answers "what would this period have looked like under
// other rules?": it runs a new rules file's classification, routing,
// tiers, SLA policies, calendars and escalation ladders over the recorded
// tickets of a period (the ticket history plus the classification inputs
// kept at intake) and sets the result beside what really happened, with
// the figures of connector/report.
//
// Staff behaviour is taken as it was: when staff answered, paused, closed,
// reopened, reclassified or reassigned a ticket stays as recorded; the
// replay does not guess that a tighter target would have made anyone
// faster. The package is pure: the caller reads the history and the
// inputs (store.History, store.ReplayInputs) and prints the Result.
package replay
