package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

// historySchema holds the ticket history: a compact record per ticket
// without mail content (no subjects, bodies or addresses, only the
// sender's domain) that outlives content retention and feeds reports and
// the rules replay. It is written by UpsertTicket (a diff of the ticket
// row), MarkStepDone, CustomerReplyHistory and RecordRating, and deleted
// by PruneHistory after its own retention.
const historySchema = `
CREATE TABLE history_tickets (
	lead_id       INTEGER PRIMARY KEY,
	created_at    INTEGER NOT NULL,
	type          TEXT NOT NULL DEFAULT '',
	tier          TEXT NOT NULL DEFAULT '',
	priority      TEXT NOT NULL DEFAULT '',
	policy        TEXT NOT NULL DEFAULT '',
	sender_domain TEXT NOT NULL DEFAULT '',
	assignee      INTEGER NOT NULL DEFAULT 0,
	stage         TEXT NOT NULL DEFAULT '',
	sla_state     TEXT NOT NULL DEFAULT '',
	paused_since  INTEGER,
	closed_at     INTEGER,
	close_stage   TEXT NOT NULL DEFAULT '',
	reopens       INTEGER NOT NULL DEFAULT 0,
	deleted       INTEGER NOT NULL DEFAULT 0,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX history_tickets_created ON history_tickets(created_at);
CREATE TABLE history_targets (
	lead_id  INTEGER NOT NULL,
	target   TEXT NOT NULL,
	cycle    INTEGER NOT NULL,
	start_at INTEGER NOT NULL,
	due      INTEGER,
	met      INTEGER,
	PRIMARY KEY (lead_id, target, cycle)
);
CREATE TABLE history_events (
	id      INTEGER PRIMARY KEY,
	lead_id INTEGER NOT NULL,
	at      INTEGER NOT NULL,
	kind    TEXT NOT NULL,
	value   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_events_lead ON history_events(lead_id, at, id);
CREATE TABLE history_ratings (
	lead_id  INTEGER NOT NULL,
	answer   TEXT NOT NULL,
	label    TEXT NOT NULL,
	score    INTEGER NOT NULL,
	rated_at INTEGER NOT NULL,
	acted    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (lead_id, answer)
);
`

// History event kinds. Value holds the new value (type, tier, policy,
// assignee user ID, stage, step ID, answer ID) where the kind has one.
const (
	EventCreated       = "created"
	EventType          = "type"
	EventTier          = "tier"
	EventPolicy        = "policy"
	EventAssignee      = "assignee"
	EventStage         = "stage"
	EventPaused        = "paused"
	EventResumed       = "resumed"
	EventAnswered      = "answered" // a target met by staff: value first_response or next_response
	EventCustomerReply = "customer_reply"
	EventClosed        = "closed"
	EventReopened      = "reopened"
	EventDeleted       = "deleted"
	EventEscalation    = "escalation" // value: the ladder step ID (policy/target/index)
	EventRated         = "rated"      // value: answer ID
)

// SLA target names as history_targets keeps them (rules.Target values).
const (
	TargetFirstResponse = "first_response"
	TargetNextResponse  = "next_response"
	TargetResolution    = "resolution"
)

// HistoryTicket is one ticket's lasting record.
type HistoryTicket struct {
	LeadID       int64
	CreatedAt    time.Time
	Type         string
	Tier         string
	Priority     string
	Policy       string
	SenderDomain string
	Assignee     int64 // the latest assignee
	Stage        string
	SLAState     string    // the SLA state the daemon last computed (as tickets shows it)
	PausedSince  time.Time // zero unless waiting for the customer now
	ClosedAt     time.Time // zero while open
	CloseStage   string    // the stage it was closed with
	Reopens      int
	Deleted      bool
	UpdatedAt    time.Time

	Targets []HistoryTarget
	Events  []HistoryEvent // oldest first
	Ratings []HistoryRating
}

// HistoryTarget is one SLA target of a ticket: first response and
// resolution have one cycle; the next response one per customer reply.
type HistoryTarget struct {
	Target string
	Cycle  int
	Start  time.Time
	Due    time.Time // the latest deadline computed (zero while paused before it)
	Met    time.Time // zero while not met
}

// HistoryEvent is one fact of a ticket's life.
type HistoryEvent struct {
	At    time.Time
	Kind  string
	Value string
}

// HistoryRating is a customer's rating of one staff answer (the latest
// choice for that answer).
type HistoryRating struct {
	Answer  string
	Label   string
	Score   int
	RatedAt time.Time
	Acted   bool // the rules' low-rating actions were taken for this answer
}

// recordHistory writes what changed between the ticket as stored (old,
// found false for a new ticket) and as it is being saved (t) into the
// history tables. Times are the ticket's own where it has them (pause
// start, met, closed), else now.
func (a access) recordHistory(ctx context.Context, old ticket.Ticket, found bool, t ticket.Ticket, now time.Time) error {
	if found && sameForHistory(old, t) {
		return nil // e.g. an SLA tick that only moved the next due time
	}
	var evs []HistoryEvent
	add := func(at time.Time, kind, value string) {
		if at.IsZero() {
			at = now
		}
		evs = append(evs, HistoryEvent{At: at, Kind: kind, Value: value})
	}
	h, err := a.historyTicket(ctx, t.LeadID)
	if errors.Is(err, ErrNotFound) {
		h = HistoryTicket{LeadID: t.LeadID, CreatedAt: t.CreatedAt}
		add(t.CreatedAt, EventCreated, "")
		found = false
	} else if err != nil {
		return err
	}
	if !found {
		old = ticket.Ticket{}
	}
	if t.Type != old.Type && t.Type != "" {
		add(now, EventType, t.Type)
	}
	if t.Tier != old.Tier {
		add(now, EventTier, t.Tier)
	}
	if t.Policy != old.Policy {
		add(now, EventPolicy, t.Policy)
	}
	if t.Assignee != old.Assignee && t.Assignee > 0 {
		add(now, EventAssignee, strconv.FormatInt(t.Assignee, 10))
	}
	if t.Status != old.Status && t.Status != "" {
		add(now, EventStage, t.Status)
	}
	if !t.PausedSince.IsZero() && old.PausedSince.IsZero() {
		add(t.PausedSince, EventPaused, "")
	}
	if t.PausedSince.IsZero() && !old.PausedSince.IsZero() {
		// Resume adds the whole seconds waited to PausedTotal.
		add(old.PausedSince.Add(t.PausedTotal-old.PausedTotal), EventResumed, "")
	}
	if !t.FirstResponseMet.IsZero() && !t.FirstResponseMet.Equal(old.FirstResponseMet) {
		add(t.FirstResponseMet, EventAnswered, TargetFirstResponse)
	}
	if !t.NextResponseMet.IsZero() && !t.NextResponseMet.Equal(old.NextResponseMet) {
		add(t.NextResponseMet, EventAnswered, TargetNextResponse)
	}
	if !t.ClosedAt.IsZero() && old.ClosedAt.IsZero() {
		add(t.ClosedAt, EventClosed, t.Status)
		h.CloseStage = t.Status
	}
	if t.ClosedAt.IsZero() && !old.ClosedAt.IsZero() {
		add(now, EventReopened, "")
		h.Reopens++
		h.CloseStage = ""
	}
	if t.Deleted && !old.Deleted {
		add(now, EventDeleted, "")
	}
	h.CreatedAt, h.Type, h.Tier, h.Priority, h.Policy = t.CreatedAt, t.Type, t.Tier, t.Priority, t.Policy
	if h.SenderDomain == "" {
		h.SenderDomain = senderDomain(t.Requester)
	}
	h.SLAState = t.SLAState
	h.Assignee, h.Stage, h.PausedSince, h.ClosedAt, h.Deleted = t.Assignee, t.Status, t.PausedSince, t.ClosedAt, t.Deleted
	if err := a.putHistoryTicket(ctx, h, now); err != nil {
		return err
	}
	for _, e := range evs {
		if err := a.historyEvent(ctx, t.LeadID, e); err != nil {
			return err
		}
	}
	targets := []struct {
		name     string
		due, met time.Time
	}{
		{TargetFirstResponse, t.FirstResponseDue, t.FirstResponseMet},
		{TargetNextResponse, t.NextResponseDue, t.NextResponseMet},
		{TargetResolution, t.ResolutionDue, t.ResolutionMet},
	}
	for _, tg := range targets {
		if err := a.syncTarget(ctx, t.LeadID, t.CreatedAt, tg.name, tg.due, tg.met); err != nil {
			return err
		}
	}
	return nil
}

// sameForHistory reports whether nothing the history keeps differs.
func sameForHistory(a, b ticket.Ticket) bool {
	return a.Type == b.Type && a.Tier == b.Tier && a.Priority == b.Priority && a.Policy == b.Policy &&
		a.Assignee == b.Assignee && a.Status == b.Status && a.SLAState == b.SLAState && a.Deleted == b.Deleted &&
		a.Requester == b.Requester && a.CreatedAt.Equal(b.CreatedAt) && a.PausedSince.Equal(b.PausedSince) &&
		a.PausedTotal == b.PausedTotal && a.ClosedAt.Equal(b.ClosedAt) &&
		a.FirstResponseDue.Equal(b.FirstResponseDue) && a.FirstResponseMet.Equal(b.FirstResponseMet) &&
		a.NextResponseDue.Equal(b.NextResponseDue) && a.NextResponseMet.Equal(b.NextResponseMet) &&
		a.ResolutionDue.Equal(b.ResolutionDue) && a.ResolutionMet.Equal(b.ResolutionMet)
}

// syncTarget keeps the target's current cycle's deadline and met time.
// First response and resolution have one cycle from the creation; the
// next response's cycles are opened by CustomerReplyHistory, and a met
// time before the cycle's start belongs to an earlier one.
func (a access) syncTarget(ctx context.Context, leadID int64, created time.Time, target string, due, met time.Time) error {
	var cycle int
	var start int64
	var oldDue, oldMet sql.NullInt64
	err := a.q.QueryRowContext(ctx, `SELECT cycle, start_at, due, met FROM history_targets
WHERE lead_id = ? AND target = ? ORDER BY cycle DESC LIMIT 1`, leadID, target).Scan(&cycle, &start, &oldDue, &oldMet)
	if errors.Is(err, sql.ErrNoRows) {
		if target == TargetNextResponse || (due.IsZero() && met.IsZero()) {
			return nil
		}
		_, err = a.q.ExecContext(ctx, `INSERT INTO history_targets (lead_id, target, cycle, start_at, due, met)
VALUES (?, ?, 1, ?, ?, ?)`, leadID, target, tsNN(created), ts(due), ts(met))
		if err != nil {
			return fmt.Errorf("history target: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("history target: %w", err)
	}
	if !met.IsZero() && met.Before(fromTSNN(start)) {
		met = time.Time{}
	}
	if fromTS(oldDue).Equal(due) && fromTS(oldMet).Equal(met) {
		return nil
	}
	_, err = a.q.ExecContext(ctx, `UPDATE history_targets SET due = ?, met = ?
WHERE lead_id = ? AND target = ? AND cycle = ?`, ts(due), ts(met), leadID, target, cycle)
	if err != nil {
		return fmt.Errorf("history target: %w", err)
	}
	return nil
}

// CustomerReplyHistory records a customer's reply to a ticket at at: an
// event and a new next-response cycle starting then (its deadline is
// filled in when the ticket is saved).
func (a access) CustomerReplyHistory(ctx context.Context, leadID int64, at time.Time) error {
	if err := a.historyEvent(ctx, leadID, HistoryEvent{At: at, Kind: EventCustomerReply}); err != nil {
		return err
	}
	_, err := a.q.ExecContext(ctx, `INSERT INTO history_targets (lead_id, target, cycle, start_at)
SELECT ?, ?, COALESCE(MAX(cycle), 0) + 1, ? FROM history_targets WHERE lead_id = ? AND target = ?`,
		leadID, TargetNextResponse, tsNN(at), leadID, TargetNextResponse)
	if err != nil {
		return fmt.Errorf("history customer reply: %w", err)
	}
	return nil
}

func (a access) historyEvent(ctx context.Context, leadID int64, e HistoryEvent) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO history_events (lead_id, at, kind, value) VALUES (?, ?, ?, ?)`,
		leadID, tsNN(e.At), e.Kind, e.Value)
	if err != nil {
		return fmt.Errorf("history event: %w", err)
	}
	return nil
}

func (a access) putHistoryTicket(ctx context.Context, h HistoryTicket, now time.Time) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO history_tickets (lead_id, created_at, type, tier, priority,
policy, sender_domain, assignee, stage, sla_state, paused_since, closed_at, close_stage, reopens, deleted, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(lead_id) DO UPDATE SET created_at = excluded.created_at, type = excluded.type, tier = excluded.tier,
	priority = excluded.priority, policy = excluded.policy, sender_domain = excluded.sender_domain,
	assignee = excluded.assignee, stage = excluded.stage, sla_state = excluded.sla_state, paused_since = excluded.paused_since,
	closed_at = excluded.closed_at, close_stage = excluded.close_stage, reopens = excluded.reopens,
	deleted = excluded.deleted, updated_at = excluded.updated_at`,
		h.LeadID, tsNN(h.CreatedAt), h.Type, h.Tier, h.Priority, h.Policy, h.SenderDomain, h.Assignee, h.Stage,
		h.SLAState, ts(h.PausedSince), ts(h.ClosedAt), h.CloseStage, h.Reopens, h.Deleted, tsNN(now))
	if err != nil {
		return fmt.Errorf("history ticket %d: %w", h.LeadID, err)
	}
	return nil
}

const historyCols = `lead_id, created_at, type, tier, priority, policy, sender_domain, assignee, stage, sla_state,
paused_since, closed_at, close_stage, reopens, deleted, updated_at`

func scanHistoryTicket(sc interface{ Scan(...any) error }) (HistoryTicket, error) {
	var h HistoryTicket
	var created, updated int64
	var paused, closed sql.NullInt64
	err := sc.Scan(&h.LeadID, &created, &h.Type, &h.Tier, &h.Priority, &h.Policy, &h.SenderDomain, &h.Assignee,
		&h.Stage, &h.SLAState, &paused, &closed, &h.CloseStage, &h.Reopens, &h.Deleted, &updated)
	if err != nil {
		return HistoryTicket{}, err
	}
	h.CreatedAt, h.UpdatedAt = fromTSNN(created), fromTSNN(updated)
	h.PausedSince, h.ClosedAt = fromTS(paused), fromTS(closed)
	return h, nil
}

func (a access) historyTicket(ctx context.Context, leadID int64) (HistoryTicket, error) {
	h, err := scanHistoryTicket(a.q.QueryRowContext(ctx, `SELECT `+historyCols+` FROM history_tickets WHERE lead_id = ?`, leadID))
	if errors.Is(err, sql.ErrNoRows) {
		return HistoryTicket{}, fmt.Errorf("history of ticket %d: %w", leadID, ErrNotFound)
	}
	if err != nil {
		return HistoryTicket{}, fmt.Errorf("history of ticket %d: %w", leadID, err)
	}
	return h, nil
}

// HistoryTicket returns the ticket's whole record (targets, events,
// ratings), or ErrNotFound.
func (a access) HistoryTicket(ctx context.Context, leadID int64) (HistoryTicket, error) {
	h, err := a.historyTicket(ctx, leadID)
	if err != nil {
		return h, err
	}
	list := []HistoryTicket{h}
	if err := a.historyDetails(ctx, list, `?`, leadID); err != nil {
		return HistoryTicket{}, err
	}
	return list[0], nil
}

// History returns the records of every ticket created before to that was
// still open at from or closed at or after it (from zero: all), by lead
// ID, with their targets, events and ratings (four queries in all).
func (a access) History(ctx context.Context, from, to time.Time) ([]HistoryTicket, error) {
	toTS := int64(1<<63 - 1)
	if !to.IsZero() {
		toTS = tsNN(to)
	}
	const where = `created_at < ? AND (closed_at IS NULL OR closed_at >= ?)`
	args := []any{toTS, tsNN(from)}
	rows, err := a.q.QueryContext(ctx, `SELECT `+historyCols+` FROM history_tickets WHERE `+where+` ORDER BY lead_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	var out []HistoryTicket
	for rows.Next() {
		h, err := scanHistoryTicket(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read history: %w", err)
		}
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return out, a.historyDetails(ctx, out, `SELECT lead_id FROM history_tickets WHERE `+where, args...)
}

// historyDetails fills in the targets, events and ratings of the records
// (by lead ID), reading those of the tickets the subquery selects.
func (a access) historyDetails(ctx context.Context, list []HistoryTicket, leads string, args ...any) error {
	if len(list) == 0 {
		return nil
	}
	byID := make(map[int64]*HistoryTicket, len(list))
	for i := range list {
		byID[list[i].LeadID] = &list[i]
	}
	read := func(what, query string, scan func(rows *sql.Rows, h *HistoryTicket) error) error {
		rows, err := a.q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("read history %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var h HistoryTicket
			if err := scan(rows, &h); err != nil {
				return fmt.Errorf("read history %s: %w", what, err)
			}
			id = h.LeadID
			if dst := byID[id]; dst != nil {
				dst.Targets = append(dst.Targets, h.Targets...)
				dst.Events = append(dst.Events, h.Events...)
				dst.Ratings = append(dst.Ratings, h.Ratings...)
			}
		}
		return rows.Err()
	}
	err := read("targets", `SELECT lead_id, target, cycle, start_at, due, met FROM history_targets
WHERE lead_id IN (`+leads+`) ORDER BY lead_id, target, cycle`, func(rows *sql.Rows, h *HistoryTicket) error {
		var tg HistoryTarget
		var start int64
		var due, met sql.NullInt64
		if err := rows.Scan(&h.LeadID, &tg.Target, &tg.Cycle, &start, &due, &met); err != nil {
			return err
		}
		tg.Start, tg.Due, tg.Met = fromTSNN(start), fromTS(due), fromTS(met)
		h.Targets = []HistoryTarget{tg}
		return nil
	})
	if err != nil {
		return err
	}
	err = read("events", `SELECT lead_id, at, kind, value FROM history_events
WHERE lead_id IN (`+leads+`) ORDER BY lead_id, at, id`, func(rows *sql.Rows, h *HistoryTicket) error {
		var e HistoryEvent
		var at int64
		if err := rows.Scan(&h.LeadID, &at, &e.Kind, &e.Value); err != nil {
			return err
		}
		e.At = fromTSNN(at)
		h.Events = []HistoryEvent{e}
		return nil
	})
	if err != nil {
		return err
	}
	return read("ratings", `SELECT lead_id, answer, label, score, rated_at, acted FROM history_ratings
WHERE lead_id IN (`+leads+`) ORDER BY lead_id, rated_at, answer`, func(rows *sql.Rows, h *HistoryTicket) error {
		var r HistoryRating
		var at int64
		if err := rows.Scan(&h.LeadID, &r.Answer, &r.Label, &r.Score, &at, &r.Acted); err != nil {
			return err
		}
		r.RatedAt = fromTSNN(at)
		h.Ratings = []HistoryRating{r}
		return nil
	})
}

// PruneHistory deletes the records of tickets closed (or deleted) more
// than olderThan before now, with their targets, events and ratings. Open
// tickets' records are kept however old.
func (s *Store) PruneHistory(ctx context.Context, now time.Time, olderThan time.Duration) (int64, error) {
	cutoff := tsNN(now.Add(-olderThan))
	var n int64
	err := s.WithTx(ctx, func(tx *Tx) error {
		old := `SELECT lead_id FROM history_tickets WHERE (closed_at IS NOT NULL AND closed_at < ?)
	OR (deleted = 1 AND updated_at < ?)`
		for _, table := range []string{"history_targets", "history_events", "history_ratings"} {
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM `+table+` WHERE lead_id IN (`+old+`)`, cutoff, cutoff); err != nil {
				return fmt.Errorf("prune history: %w", err)
			}
		}
		res, err := tx.q.ExecContext(ctx, `DELETE FROM history_tickets WHERE lead_id IN (`+old+`)`, cutoff, cutoff)
		if err != nil {
			return fmt.Errorf("prune history: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.log.Info().Int64("tickets", n).Msg("history retention prune")
	return n, nil
}

// senderDomain is the domain of an e-mail address, lower case ("" when
// there is none): the history keeps no address.
func senderDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(strings.TrimSuffix(addr[i+1:], ">")))
}

// RecordRating keeps a customer's rating of one staff answer: the first
// for the answer, or a changed choice replacing the earlier one (isNew
// false then). An event records every choice.
func (a access) RecordRating(ctx context.Context, leadID int64, r HistoryRating) (isNew bool, err error) {
	var n int
	if err := a.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM history_ratings WHERE lead_id = ? AND answer = ?`,
		leadID, r.Answer).Scan(&n); err != nil {
		return false, fmt.Errorf("record rating: %w", err)
	}
	_, err = a.q.ExecContext(ctx, `INSERT INTO history_ratings (lead_id, answer, label, score, rated_at)
VALUES (?, ?, ?, ?, ?) ON CONFLICT(lead_id, answer) DO UPDATE SET label = excluded.label,
	score = excluded.score, rated_at = excluded.rated_at`, leadID, r.Answer, r.Label, r.Score, tsNN(r.RatedAt))
	if err != nil {
		return false, fmt.Errorf("record rating: %w", err)
	}
	return n == 0, a.historyEvent(ctx, leadID, HistoryEvent{At: r.RatedAt, Kind: EventRated, Value: r.Answer})
}

// MarkRatingActed records that the rules acted on the answer's rating;
// isNew is false when they already had (they act at most once per answer).
func (a access) MarkRatingActed(ctx context.Context, leadID int64, answer string) (isNew bool, err error) {
	res, err := a.q.ExecContext(ctx, `UPDATE history_ratings SET acted = 1 WHERE lead_id = ? AND answer = ? AND acted = 0`,
		leadID, answer)
	if err != nil {
		return false, fmt.Errorf("rating acted: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RatingOf returns the rating of one answer; found is false when the
// answer was not rated.
func (a access) RatingOf(ctx context.Context, leadID int64, answer string) (r HistoryRating, found bool, err error) {
	var at int64
	err = a.q.QueryRowContext(ctx, `SELECT answer, label, score, rated_at, acted FROM history_ratings
WHERE lead_id = ? AND answer = ?`, leadID, answer).Scan(&r.Answer, &r.Label, &r.Score, &at, &r.Acted)
	if errors.Is(err, sql.ErrNoRows) {
		return HistoryRating{}, false, nil
	}
	if err != nil {
		return HistoryRating{}, false, fmt.Errorf("rating of answer: %w", err)
	}
	r.RatedAt = fromTSNN(at)
	return r, true, nil
}
