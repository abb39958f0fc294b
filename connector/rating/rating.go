package rating

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// PagePath is where the daemon serves the rating page.
const PagePath = "/rate"

// Options configure New.
type Options struct {
	Store  *store.Store   // required
	Outbox *outbox.Outbox // required
	// Rules returns the rules in force (their ratings section).
	Rules func() *rules.Rules // required
	// Schema returns the portal schema map (FieldRating's item IDs).
	Schema func() *schema.Map
	// Recipients expands the low-rating notify entries (the SLA clock's
	// Recipients); nil: only user IDs are notified.
	Recipients func(r *rules.Rules, t *ticket.Ticket, entries []string) []int
	// PublicURL is http.public_base_url: with it answers carry links to
	// PagePath, without it the customer replies with the label or number.
	PublicURL string
	Clock     clock.Clock
	Log       zerolog.Logger
}

// Ratings offers the choices in answer mails and records the customers'
// ratings.
type Ratings struct {
	o      Options
	signer Signer
	log    zerolog.Logger
}

// New loads (or creates) the signing key and returns the ratings.
func New(ctx context.Context, o Options) (*Ratings, error) {
	if o.Store == nil || o.Outbox == nil || o.Rules == nil {
		return nil, errors.New("rating: store, outbox and rules are required")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Schema == nil {
		o.Schema = func() *schema.Map { return nil }
	}
	s, err := LoadSigner(ctx, o.Store)
	if err != nil {
		return nil, err
	}
	return &Ratings{o: o, signer: s, log: o.Log.With().Str("component", "rating").Logger()}, nil
}

// Block is the text an answer mail ends with when the rules turn ratings
// on: each choice with its link (with a public URL), or how to rate by
// reply; "" when ratings are off.
func (rt *Ratings) Block(lead int64, answer string) string {
	r := rt.o.Rules()
	if r == nil || r.Ratings == nil {
		return ""
	}
	var b strings.Builder
	if rt.o.PublicURL == "" {
		b.WriteString("Оцените, пожалуйста, этот ответ: ответьте на письмо, написав в первой строке вариант или его номер.\n" +
			"Please rate this answer: reply with the choice or its number on the first line.\n")
		for i, c := range r.Ratings.Choices {
			fmt.Fprintf(&b, "%d. %s\n", i+1, c.Label)
		}
		return b.String()
	}
	b.WriteString("Оцените, пожалуйста, этот ответ / Please rate this answer:\n")
	exp := rt.o.Clock.Now().Add(r.Ratings.ValidFor)
	for i, c := range r.Ratings.Choices {
		fmt.Fprintf(&b, "%d. %s: %s\n", i+1, c.Label, rt.Link(Claim{Lead: lead, Answer: answer, Choice: i, Expires: exp}))
	}
	return b.String()
}

// BlockFor is Block for the answer with the send key, and the answer's ID
// (outbound's Options.Rating).
func (rt *Ratings) BlockFor(lead int64, sendKey string) (block, answerID string) {
	answerID = AnswerID(sendKey)
	return rt.Block(lead, answerID), answerID
}

// Link is the rating page's address for a claim.
func (rt *Ratings) Link(c Claim) string {
	return strings.TrimSuffix(rt.o.PublicURL, "/") + PagePath + "?t=" + url.QueryEscape(rt.signer.Token(c))
}

// Result says what a rating changed.
type Result int

// Results of Record.
const (
	Recorded  Result = iota // the answer's first rating
	Changed                 // a different choice replaced the earlier one
	Unchanged               // the same choice again: nothing written
)

// Record keeps a customer's rating of an answer in one transaction: the
// ticket's history, the lead's rating field, a timeline comment naming the
// answer, and, for a low rating, the rules' actions (once per answer).
func (rt *Ratings) Record(ctx context.Context, lead int64, answer string, choice rules.RatingChoice, comment string) (Result, error) {
	r := rt.o.Rules()
	if r == nil || r.Ratings == nil {
		return Unchanged, errors.New("ratings are off in the rules")
	}
	var res Result
	err := rt.o.Store.WithTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = rt.record(ctx, tx, r, lead, answer, choice, comment)
		return err
	})
	if err != nil {
		return Unchanged, err
	}
	if res != Unchanged {
		rt.o.Outbox.Wake()
	}
	return res, nil
}

// record is Record inside the caller's transaction.
func (rt *Ratings) record(ctx context.Context, tx *store.Tx, r *rules.Rules, lead int64, answer string,
	choice rules.RatingChoice, comment string) (Result, error) {
	now := rt.o.Clock.Now()
	res := Recorded
	err := func() error {
		t, err := tx.Ticket(ctx, lead)
		if err != nil {
			return err
		}
		old, found, err := tx.RatingOf(ctx, lead, answer)
		if err != nil {
			return err
		}
		if found && old.Label == choice.Label {
			res = Unchanged
			return nil
		}
		if found {
			res = Changed
		}
		if _, err := tx.RecordRating(ctx, lead, store.HistoryRating{Answer: answer, Label: choice.Label,
			Score: choice.Score, RatedAt: now}); err != nil {
			return err
		}
		fields := map[string]string{}
		if id, ok := ticket.EnumID(rt.o.Schema(), schema.FieldRating, choice.Label); ok {
			fields[schema.FieldRating] = id
		}
		text := fmt.Sprintf("Оценка ответа %s / Rating of answer %s: «%s» (%d)", answer, answer, choice.Label, choice.Score)
		if c := strings.TrimSpace(comment); c != "" {
			text += "\n" + c
		}
		if _, _, err := rt.o.Outbox.Enqueue(ctx, tx, outbox.Entry{
			DedupeKey: "rating.comment:" + strconv.FormatInt(lead, 10) + ":" + answer + ":" + choiceKey(choice) + ":" + strconv.FormatInt(now.UnixNano(), 36),
			GroupKey:  sla.Group(lead),
			Payload:   outbox.Comment(outbox.LeadOf(lead), mimeparse.EscapeBBCode(text), nil),
		}); err != nil {
			return err
		}
		if low := r.Ratings.Low; low != nil && choice.Score <= r.Ratings.LowAtMost {
			acted, err := tx.MarkRatingActed(ctx, lead, answer)
			if err != nil {
				return err
			}
			if acted {
				for k, v := range sla.SetFields(rt.o.Schema(), &t, low.Set) {
					fields[k] = v
				}
				if err := rt.notify(ctx, tx, r, &t, answer, choice, low.Notify); err != nil {
					return err
				}
			}
		}
		if err := sla.LeadUpdate(ctx, rt.o.Outbox, tx, &t, fields, "rating:"+answer+":"+choiceKey(choice), now); err != nil {
			return err
		}
		return tx.UpsertTicket(ctx, t, now)
	}()
	if err != nil {
		return Unchanged, fmt.Errorf("record rating of ticket %d: %w", lead, err)
	}
	if res != Unchanged {
		rt.log.Info().Int64("lead", lead).Str("answer", answer).Int("score", choice.Score).Msg("answer rated")
	}
	return res, nil
}

// RateReply reads a customer's reply as a rating when the rules turn
// ratings on and there is no public URL (the answers asked for a reply):
// the reply must answer one of our staff answers (ids: its In-Reply-To and
// References) sent less than the rules' valid_for ago, and its first line
// must be a choice's label or number. It records the rating in the
// intake's transaction; false: an ordinary reply.
func (rt *Ratings) RateReply(ctx context.Context, tx *store.Tx, lead int64, ids []string, firstLine string) (bool, error) {
	r := rt.o.Rules()
	if r == nil || r.Ratings == nil || rt.o.PublicURL != "" {
		return false, nil
	}
	choice, ok := r.Ratings.Match(firstLine)
	if !ok {
		return false, nil
	}
	m, found, err := tx.MailOutByMessageID(ctx, ids...)
	if err != nil || !found || m.LeadID != lead || m.Kind != "reply" || m.State != store.MailSent {
		return false, err
	}
	if rt.o.Clock.Now().Sub(m.CreatedAt) > r.Ratings.ValidFor {
		return false, nil
	}
	_, err = rt.record(ctx, tx, r, lead, AnswerID(m.Key), choice, "")
	return err == nil, err
}

// notify tells the low-rating recipients, one tagged notification each.
func (rt *Ratings) notify(ctx context.Context, tx *store.Tx, r *rules.Rules, t *ticket.Ticket, answer string,
	choice rules.RatingChoice, entries []string) error {
	var users []int
	if rt.o.Recipients != nil {
		users = rt.o.Recipients(r, t, entries)
	} else {
		for _, e := range entries {
			if id, err := strconv.Atoi(e); err == nil {
				users = append(users, id)
			}
		}
	}
	msg := fmt.Sprintf("Низкая оценка ответа по обращению #%d / Low rating of an answer on ticket #%d: «%s» (%d)",
		t.LeadID, t.LeadID, choice.Label, choice.Score)
	for _, u := range users {
		tag := fmt.Sprintf("b24d:%d:rating:%s", t.LeadID, answer)
		_, _, err := rt.o.Outbox.Enqueue(ctx, tx, outbox.Entry{
			DedupeKey: "rating.notify:" + strconv.FormatInt(t.LeadID, 10) + ":" + answer + ":" + strconv.Itoa(u),
			GroupKey:  sla.Group(t.LeadID),
			Payload:   outbox.Notify{UserID: int64(u), Message: msg, Tag: tag, ClientID: sla.NotifyClientID},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// choiceKey names a choice in dedupe keys: two choices made at the same
// instant (a manual clock) must not share a write.
func choiceKey(c rules.RatingChoice) string {
	sum := sha256.Sum256([]byte(c.Label))
	return hex.EncodeToString(sum[:4])
}
