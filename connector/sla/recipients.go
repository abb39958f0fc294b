package sla

import (
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/rules"
)

// Recipients expands notify entries of the rules (user IDs, "assignee",
// "pool:NAME") into user IDs the way escalation steps do, for other
// actions of the rules (a low rating).
func (c *Clock) Recipients(r *rules.Rules, t *ticket.Ticket, entries []string) []int {
	return c.recipients(r, t, entries)
}
