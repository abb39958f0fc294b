package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/rules"
)

// moveTicketSettings is the data step of the migration that made the
// per-ticket state tables: it moves the settings rows older versions kept
// that state in (under the keys below, as they wrote them) into the tables
// and deletes them, so that a state keeps its tickets' timelines, to-dos,
// pending drafts and waits across the upgrade. A row that does not read
// (which the old readers skipped as well) is dropped with a warning.
//
// It writes through the typed methods of this version; a later migration
// changing these tables must keep it working from this version
// (TestMigrateFromEveryVersion and TestMoveTicketSettings tell).
func moveTicketSettings(ctx context.Context, tx *Tx, log zerolog.Logger) error {
	moves := []struct {
		prefix string
		move   func(key, value string) error
	}{
		{"sla.timeline:", func(key, value string) error {
			lead, err := leadKey(key)
			var rec struct {
				CustomerReply time.Time        `json:"customer_reply"`
				Paused        []rules.Interval `json:"paused"`
			}
			if err == nil {
				err = json.Unmarshal([]byte(value), &rec)
			}
			if err != nil {
				return unreadable{err}
			}
			return tx.PutTicketTimeline(ctx, lead, Timeline{CustomerReply: rec.CustomerReply, Paused: rec.Paused})
		}},
		{"sla.todo:", func(key, value string) error {
			lead, err := leadKey(key)
			if err != nil {
				return unreadable{err}
			}
			id, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return unreadable{err}
			}
			return tx.PutTicketTodo(ctx, lead, id)
		}},
		{"desk.echo:", func(key, value string) error {
			lead, err := leadKey(key)
			var x struct {
				N     int       `json:"n"`
				Until time.Time `json:"until"`
			}
			if err == nil {
				err = json.Unmarshal([]byte(value), &x)
			}
			if err != nil {
				return unreadable{err}
			}
			return tx.PutExpectedEchoes(ctx, lead, Echoes{N: x.N, Until: x.Until})
		}},
		{"mail.draft:", func(origin, value string) error {
			var d struct {
				Ticket    ticket.Ticket `json:"ticket"`
				MessageID string        `json:"message_id"`
				Row       string        `json:"row"`
			}
			if err := json.Unmarshal([]byte(value), &d); err != nil || origin == "" {
				return unreadable{fmt.Errorf("draft of %q: %v", origin, err)}
			}
			d.Ticket.LeadID, d.Ticket.OriginID = 0, origin
			return tx.PutMailDraft(ctx, MailDraft{Ticket: d.Ticket, MessageID: d.MessageID, Row: d.Row}, d.Ticket.CreatedAt)
		}},
		{"mail.wait:", func(key, value string) error {
			var w struct {
				Outbox     string `json:"outbox"`
				Lead       int64  `json:"lead"`
				Quarantine bool   `json:"quarantine"`
			}
			if err := json.Unmarshal([]byte(value), &w); err != nil {
				return unreadable{err}
			}
			return tx.PutMailWait(ctx, key, MailWait(w))
		}},
		{"spam.lesson:", func(key, value string) error {
			lead, err := leadKey(key)
			var l struct {
				Class string    `json:"class"`
				At    time.Time `json:"at"`
			}
			if err == nil {
				err = json.Unmarshal([]byte(value), &l)
			}
			if err != nil {
				return unreadable{err}
			}
			return tx.QueueSpamLesson(ctx, SpamLesson{Lead: lead, Class: l.Class, QueuedAt: l.At})
		}},
		{"spam.taught:", func(key, value string) error {
			lead, err := leadKey(key)
			if err != nil {
				return unreadable{err}
			}
			return tx.PutSpamTaught(ctx, lead, value)
		}},
	}
	for _, m := range moves {
		rows, err := settingsWithPrefix(ctx, tx.q, m.prefix)
		if err != nil {
			return err
		}
		for _, r := range rows {
			err := m.move(r.key[len(m.prefix):], r.value)
			var bad unreadable
			if errors.As(err, &bad) {
				log.Warn().Err(bad.err).Str("setting", r.key).Msg("unreadable ticket state dropped")
			} else if err != nil {
				return fmt.Errorf("move setting %q: %w", r.key, err)
			}
		}
		_, err = tx.q.ExecContext(ctx, `DELETE FROM settings WHERE substr(key, 1, ?) = ?`, utf8.RuneCountInString(m.prefix), m.prefix)
		if err != nil {
			return fmt.Errorf("delete settings %q*: %w", m.prefix, err)
		}
	}
	return nil
}

// unreadable is a settings row the move cannot read.
type unreadable struct{ err error }

func (u unreadable) Error() string { return u.err.Error() }

// leadKey parses the lead ID of a settings key's tail.
func leadKey(tail string) (int64, error) {
	lead, err := strconv.ParseInt(tail, 10, 64)
	if err != nil || lead <= 0 {
		return 0, fmt.Errorf("%q is not a lead ID", tail)
	}
	return lead, nil
}

type settingRow struct{ key, value string }

// settingsWithPrefix returns every settings row whose key starts with
// prefix, by key.
func settingsWithPrefix(ctx context.Context, q querier, prefix string) ([]settingRow, error) {
	// substr counts characters in SQLite and PostgreSQL alike; a range on
	// key would depend on PostgreSQL's collation.
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM settings WHERE substr(key, 1, ?) = ? ORDER BY key`,
		utf8.RuneCountInString(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("settings %q*: %w", prefix, err)
	}
	defer rows.Close()
	var out []settingRow
	for rows.Next() {
		var r settingRow
		if err := rows.Scan(&r.key, &r.value); err != nil {
			return nil, fmt.Errorf("settings %q*: %w", prefix, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
