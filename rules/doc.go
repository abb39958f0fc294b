// Package rules reads the b24desk rules file and answers every question a
// support manager decides in it: which type, priority and tier a mail or a
// lead gets (classify, tiers), who it goes to (route, pools), which lead
// stages mean answered, waiting or closed (statuses), and when the SLA targets
// and their escalation steps are due (calendars, sla).
//
// The package is pure: no network, no database, no clock. Time is passed in,
// routing state (round-robin positions, open counts, users away) is passed in
// and returned, and callers convert their mail or lead into Input.
//
// Load and Parse check the whole file and report every problem with its
// FILE:LINE:COL position and field path (Problems); questionable but valid
// constructs are returned as Warnings. docs/rules.md describes every key.
package rules
