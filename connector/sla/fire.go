package sla

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// targetNames are the targets as the messages name them.
var targetNames = map[rules.Target]string{
	rules.FirstResponse: "first response",
	rules.NextResponse:  "next response",
	rules.Resolution:    "resolution",
}

// NotifyClientID is the CLIENT_ID sent with every tagged notification:
// through a webhook the portal needs one for a TAG (bitrix24-api.md §10).
// It is stable, so a repeat with the same TAG replaces the earlier one.
const NotifyClientID = "b24desk"

// NotifyTag is the TAG of a step's notification to user: a repeat of the
// same step to the same person replaces the earlier notification instead
// of piling up. The portal keeps one notification per TAG within the
// application, whoever it went to
// (api-reference/chats/notifications/im-notify-personal-add.md: "When
// adding a notification with an existing tag, other notifications will be
// removed"), so the tag names the recipient too.
func NotifyTag(leadID int64, target rules.Target, index, user int) string {
	return fmt.Sprintf("b24d:%d:%s:%d:%d", leadID, target, index, user)
}

// fire enqueues a step's actions: notifications, a timeline comment
// carrying the step ID, field changes and reassignment (one lead.update),
// and a workflow start.
func (c *Clock) fire(ctx context.Context, tx *store.Tx, r *rules.Rules, p *rules.Policy, t *ticket.Ticket,
	st rules.StepTime, due time.Time, now time.Time) error {
	lead := strconv.FormatInt(t.LeadID, 10)
	stepKey := lead + ":" + st.ID + ":" + strconv.FormatInt(st.FireAt.Unix(), 10)
	text := fmt.Sprintf("SLA: %s due at %s (%s) for ticket #%d, policy %q",
		targetNames[st.Target], due.In(p.Calendar.Location).Format("2006-01-02 15:04 MST"), st.At, t.LeadID, p.Name)
	if due.IsZero() {
		text = fmt.Sprintf("SLA: %s step %s for ticket #%d, policy %q", targetNames[st.Target], st.At, t.LeadID, p.Name)
	}
	group := Group(t.LeadID)
	var fields map[string]string
	if len(st.Actions.Set) > 0 {
		fields = SetFields(c.o.Schema(), t, st.Actions.Set)
	}
	if st.Actions.Reassign != "" && r != nil {
		next, err := tx.RoutingPositions(ctx, maps.Keys(r.Pools))
		if err != nil {
			return err
		}
		before := rules.RouteState{Next: next, Departments: c.DepartmentMembers()}
		user, _, after := r.Pick(st.Actions.Reassign, before)
		if err := tx.SetRoutingPositions(ctx, before.Next, after.Next); err != nil {
			return err
		}
		if user > 0 {
			if fields == nil {
				fields = map[string]string{}
			}
			fields["ASSIGNED_BY_ID"] = strconv.Itoa(user)
			t.Assignee = int64(user)
		}
	}
	if len(fields) > 0 {
		if err := LeadUpdate(ctx, c.o.Outbox, tx, t, fields, "step:"+st.ID, now); err != nil {
			return err
		}
	}
	for _, user := range c.recipients(r, t, st.Actions.Notify) {
		_, _, err := c.o.Outbox.Enqueue(ctx, tx, outbox.Entry{
			DedupeKey: "sla.notify:" + stepKey + ":" + strconv.Itoa(user), GroupKey: group,
			Payload: outbox.Notify{UserID: int64(user), Message: text, Tag: NotifyTag(t.LeadID, st.Target, st.Index, user),
				ClientID: NotifyClientID},
		})
		if err != nil {
			return err
		}
	}
	_, _, err := c.o.Outbox.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: "sla.step:" + stepKey, GroupKey: group,
		Payload: outbox.Comment(outbox.LeadOf(t.LeadID), text, nil),
	})
	if err != nil {
		return err
	}
	if st.Actions.Workflow <= 0 {
		return nil
	}
	if c.o.StartWorkflow == nil {
		// A wiring error, never a rules one: the ticket engine (desk)
		// builds the clock with its starter. Failing the step keeps it
		// due instead of skipping the workflow without a word.
		return fmt.Errorf("sla: step %s starts workflow %d, but the clock was built without Options.StartWorkflow", st.ID, st.Actions.Workflow)
	}
	return c.o.StartWorkflow(ctx, tx, t, st.Actions.Workflow, "step:"+st.ID, now)
}

// recipients expands notify entries (user IDs, "assignee", "pool:NAME":
// the pool's users and its department's members, else its fallback) into
// user IDs without repeats.
func (c *Clock) recipients(r *rules.Rules, t *ticket.Ticket, entries []string) []int {
	var out []int
	seen := map[int]bool{}
	add := func(u int) {
		if u > 0 && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, e := range entries {
		switch {
		case e == "assignee":
			add(int(t.Assignee))
		case strings.HasPrefix(e, "pool:"):
			if r == nil {
				continue
			}
			if pool, ok := r.Pools[strings.TrimPrefix(e, "pool:")]; ok {
				members := c.poolMembers(pool)
				for _, u := range members {
					add(u)
				}
				if len(members) == 0 {
					add(pool.Fallback)
				}
			}
		default:
			if id, err := strconv.Atoi(e); err == nil {
				add(id)
			}
		}
	}
	return out
}
