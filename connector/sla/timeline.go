package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// timelineKeyPrefix names the state setting holding a ticket's timeline.
// The store's ticket row keeps only PausedSince and PausedTotal; the SLA
// schedule needs the pause spans and the customer's latest reply.
const timelineKeyPrefix = "sla.timeline:"

// timelineRecord is the persisted part of a ticket's rules.Timeline.
type timelineRecord struct {
	CustomerReply time.Time        `json:"customer_reply,omitzero"`
	Paused        []rules.Interval `json:"paused,omitempty"`
}

// Settings is what the timeline needs from the state (store.Tx has it).
type Settings interface {
	Setting(ctx context.Context, key string) (value string, found bool, err error)
	PutSetting(ctx context.Context, key, value string) error
}

// LoadTimeline returns the ticket's timeline: created, the customer's
// latest reply and the pause spans (an open span while it waits).
func LoadTimeline(ctx context.Context, st Settings, t store.Ticket) (rules.Timeline, error) {
	tl := rules.Timeline{Created: t.CreatedAt}
	v, found, err := st.Setting(ctx, timelineKeyPrefix+strconv.FormatInt(t.LeadID, 10))
	if err != nil {
		return tl, err
	}
	if found {
		var rec timelineRecord
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			return tl, fmt.Errorf("ticket %d timeline: %w", t.LeadID, err)
		}
		tl.CustomerReply, tl.Paused = rec.CustomerReply, rec.Paused
	}
	// A pause recorded on the ticket row but not in the spans (a ticket
	// stored by another part) still counts.
	if !t.PausedSince.IsZero() && !openPause(tl.Paused) {
		tl.Paused = append(tl.Paused, rules.Interval{Start: t.PausedSince})
	}
	return tl, nil
}

// SaveTimeline stores the ticket's customer reply and pause spans.
func SaveTimeline(ctx context.Context, st Settings, leadID int64, tl rules.Timeline) error {
	b, err := json.Marshal(timelineRecord{CustomerReply: tl.CustomerReply, Paused: tl.Paused})
	if err != nil {
		return fmt.Errorf("ticket %d timeline: %w", leadID, err)
	}
	return st.PutSetting(ctx, timelineKeyPrefix+strconv.FormatInt(leadID, 10), string(b))
}

// Pause starts a pause span at at on the ticket and its timeline (no-op
// when already paused).
func Pause(t *store.Ticket, tl *rules.Timeline, at time.Time) {
	if !t.PausedSince.IsZero() {
		if !openPause(tl.Paused) {
			tl.Paused = append(tl.Paused, rules.Interval{Start: t.PausedSince})
		}
		return
	}
	t.PausedSince = at
	tl.Paused = append(tl.Paused, rules.Interval{Start: at})
}

// Resume ends the open pause span at at: PausedTotal grows by the wall
// time spent waiting and the deadlines move by the paused business time.
func Resume(t *store.Ticket, tl *rules.Timeline, at time.Time) {
	if t.PausedSince.IsZero() {
		return
	}
	if at.After(t.PausedSince) {
		t.PausedTotal += at.Sub(t.PausedSince).Truncate(time.Second)
	}
	for i := range tl.Paused {
		if tl.Paused[i].End.IsZero() {
			end := at
			if end.Before(tl.Paused[i].Start) {
				end = tl.Paused[i].Start
			}
			tl.Paused[i].End = end
		}
	}
	t.PausedSince = time.Time{}
}

func openPause(ps []rules.Interval) bool {
	for _, p := range ps {
		if p.End.IsZero() {
			return true
		}
	}
	return false
}
