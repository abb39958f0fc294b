package ticket

import (
	"time"

	"github.com/b24desk/b24desk/rules"
)

// The transitions of a ticket's life, pure: each changes the ticket and
// its timeline (rules.Timeline: the customer's latest reply and the pause
// spans); the ticket engine (connector/desk) stores them and queues the
// portal writes they need in one transaction.

// EnterStage applies the ticket entering a lead stage at at: first (and
// next) response met on an answered or closed stage, a pause on waiting,
// resumed on leaving it, resolution met and the clock stopped on closed,
// the clock running again on reopening.
func (t *Ticket) EnterStage(r *rules.Rules, tl *rules.Timeline, stage string, at time.Time) {
	from, to := r.StateOf(t.Status), r.StateOf(stage)
	if t.Status == "" {
		from = rules.StateNew
	}
	t.Status = stage
	if from == rules.StateWaiting && to != rules.StateWaiting {
		t.Resume(tl, at)
	}
	if r.Statuses.MeetsFirstResponse(stage) {
		t.Answered(tl, at)
	}
	switch {
	case to == rules.StateWaiting && from != rules.StateWaiting:
		t.Pause(tl, at)
	case to == rules.StateClosed:
		if t.ResolutionMet.IsZero() {
			t.ResolutionMet = at
		}
		if t.ClosedAt.IsZero() {
			t.ClosedAt = at
		}
		t.NextDueAt = time.Time{}
	case from == rules.StateClosed:
		t.Reopen()
	}
}

// Answered records a staff answer at at: the first response and, after a
// customer reply, the next response are met.
func (t *Ticket) Answered(tl *rules.Timeline, at time.Time) {
	if t.FirstResponseMet.IsZero() {
		t.FirstResponseMet = at
	}
	if !tl.CustomerReply.IsZero() && t.NextResponseMet.Before(tl.CustomerReply) {
		t.NextResponseMet = at
	}
}

// CustomerReplied records a customer's reply at at: a ticket waiting for
// the customer moves to the rules' on_customer_reply stage and its clock
// resumes; a closed ticket within the reopen window (≤ 0: never) is
// reopened (stage on_customer_reply, else the first `new` stage, else
// NEW). The plan writes the new stage, if any.
func (t *Ticket) CustomerReplied(r *rules.Rules, tl *rules.Timeline, at time.Time, reopenWindow time.Duration) Plan {
	tl.CustomerReply = at
	stage := ""
	switch r.StateOf(t.Status) {
	case rules.StateWaiting:
		if stage = r.Statuses.OnCustomerReply; stage != "" {
			t.Resume(tl, at)
		}
	case rules.StateClosed:
		if !t.ClosedAt.IsZero() && reopenWindow > 0 && at.Sub(t.ClosedAt) <= reopenWindow {
			stage = reopenStage(r)
			t.Reopen()
		}
	}
	if stage == "" || stage == t.Status {
		return Plan{}
	}
	t.Status = stage
	return Plan{Fields: map[string]string{"STATUS_ID": stage}, Why: "reply:" + stage}
}

// reopenStage is the stage a reopened ticket goes to.
func reopenStage(r *rules.Rules) string {
	if r.Statuses.OnCustomerReply != "" {
		return r.Statuses.OnCustomerReply
	}
	return newStage(r)
}

// Delete records that the ticket's lead was deleted at at: the ticket is
// closed (when it was not) and its clock stopped. It needs no write: the
// lead is gone, and its to-do with it.
func (t *Ticket) Delete(at time.Time) {
	t.Deleted = true
	if t.ClosedAt.IsZero() {
		t.ClosedAt = at
	}
	t.NextDueAt = time.Time{}
}

// Reopen starts the clock of a closed ticket again: the resolution target
// counts again from the ticket's creation (time spent waiting stays paused).
func (t *Ticket) Reopen() {
	t.ClosedAt, t.ResolutionMet = time.Time{}, time.Time{}
}

// Pause starts a pause span at at on the ticket and its timeline; when
// already paused it only makes sure the timeline holds the open span.
func (t *Ticket) Pause(tl *rules.Timeline, at time.Time) {
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
func (t *Ticket) Resume(tl *rules.Timeline, at time.Time) {
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
