// Package report computes the SLA report from the ticket history: per group
// (type, level, assignee, tier, policy or week) tickets opened and closed,
// first-response and resolution targets met and breached with the breach
// rate, median and 90th percentile times in working hours on each ticket's
// policy calendar, time paused waiting for the customer, reopen rate,
// escalations fired and the customers' ratings; the open backlog by age and
// the tickets at risk or breached now; and the data of the /report page's
// charts. Compute is pure; the CLI and the daemon read the history
// (store.History) and print or serve the result (Write, Page).
//
// docs/reports.md defines every figure for managers; keep it in step.
package report
