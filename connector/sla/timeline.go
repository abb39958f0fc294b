package sla

import (
	"context"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Timelines is what the timeline needs from the state (store.Tx has it).
// The store's ticket row keeps only PausedSince and PausedTotal; the SLA
// schedule needs the pause spans and the customer's latest reply, kept
// beside it (store.Timeline).
type Timelines interface {
	TicketTimeline(ctx context.Context, lead int64) (tl store.Timeline, found bool, err error)
	PutTicketTimeline(ctx context.Context, lead int64, tl store.Timeline) error
}

// LoadTimeline returns the ticket's timeline: created, the customer's
// latest reply and the pause spans (an open span while it waits).
func LoadTimeline(ctx context.Context, st Timelines, t ticket.Ticket) (rules.Timeline, error) {
	tl := rules.Timeline{Created: t.CreatedAt}
	rec, found, err := st.TicketTimeline(ctx, t.LeadID)
	if err != nil {
		return tl, err
	}
	if found {
		tl.CustomerReply, tl.Paused = rec.CustomerReply, rec.Paused
	}
	// A pause recorded on the ticket row but not in the spans (a ticket
	// stored by another part) still counts.
	if !t.PausedSince.IsZero() {
		t.Pause(&tl, t.PausedSince)
	}
	return tl, nil
}

// SaveTimeline stores the ticket's customer reply and pause spans.
func SaveTimeline(ctx context.Context, st Timelines, leadID int64, tl rules.Timeline) error {
	return st.PutTicketTimeline(ctx, leadID, store.Timeline{CustomerReply: tl.CustomerReply, Paused: tl.Paused})
}
