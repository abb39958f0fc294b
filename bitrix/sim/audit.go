package sim

import (
	"cmp"
	"slices"
	"strings"
)

// Audit is what the portal ended up with, in the terms a soak checks: leads
// created twice under one external ID, and side effects (timeline comments,
// notifications, workflow starts) it keeps more than once. It is the
// simulator's own inspection (no portal method answers it), for tests and
// the control endpoint (control.go).
type Audit struct {
	Leads int `json:"leads"`
	// DuplicateOrigins are the groups of two or more leads created under
	// one ORIGINATOR_ID and ORIGIN_ID (the external system and its ID of
	// the element, api-reference/crm/leads/crm-lead-add.md).
	DuplicateOrigins []OriginRepeat `json:"duplicate_origins"`
	// Comments counts the timeline comments on leads that the key names,
	// one per lead and key.
	Comments int `json:"comments"`
	// Notifications counts the notifications the portal keeps that the key
	// names, one per recipient and key.
	Notifications int `json:"notifications"`
	// ReplacedNotifications counts the notifications the key names that a
	// later one with the same TAG removed (a notification sent again: the
	// portal keeps one per TAG, api-reference/chats/notifications/
	// im-notify-personal-add.md, so the user is left with one).
	ReplacedNotifications int `json:"replaced_notifications"`
	// RepeatedComments: a lead got the comment of one key more than once.
	RepeatedComments []Repeat `json:"repeated_comments"`
	// RepeatedNotifications: the portal keeps the notification of one key
	// for one user more than once (under different TAGs, or none).
	RepeatedNotifications []Repeat `json:"repeated_notifications"`
	// RepeatedWorkflows: bizproc.workflow.start ran one template on one
	// lead more than once (starts by AUTO_EXECUTE are not counted).
	RepeatedWorkflows []Repeat `json:"repeated_workflows"`
}

// OriginRepeat is one external ID that has several leads.
type OriginRepeat struct {
	Originator string `json:"originator"`
	Origin     string `json:"origin"`
	LeadIDs    []int  `json:"lead_ids"`
}

// Repeat is one side effect that landed Count (≥ 2) times.
type Repeat struct {
	LeadID     int    `json:"lead_id,omitempty"`
	UserID     int    `json:"user_id,omitempty"`
	Tag        string `json:"tag,omitempty"`
	TemplateID int    `json:"template_id,omitempty"`
	Key        string `json:"key,omitempty"`
	Count      int    `json:"count"`
}

// Twice is how many comments and notifications the portal keeps more than
// once: the copies beyond the first of every repeated one (a notification
// replaced through its TAG is not among them).
func (a Audit) Twice() int {
	n := 0
	for _, r := range a.RepeatedComments {
		n += r.Count - 1
	}
	for _, r := range a.RepeatedNotifications {
		n += r.Count - 1
	}
	return n
}

// AuditKey maps the text of a comment or notification to what identifies
// its side effect; "" leaves the text out of the audit. nil: the whole text.
type AuditKey func(text string) string

// FirstLineWithPrefix keeps the texts that start with prefix and names each
// by its first line (a client may add lines of its own, e.g. a marker, that
// differ between two sends of the same thing).
func FirstLineWithPrefix(prefix string) AuditKey {
	return func(text string) string {
		if !strings.HasPrefix(text, prefix) {
			return ""
		}
		line, _, _ := strings.Cut(text, "\n")
		return strings.TrimSpace(line)
	}
}

// Audit inspects the portal's leads, comments, notifications and workflow
// starts (see Audit); key picks and names the comments and notifications.
func (p *Portal) Audit(key AuditKey) Audit {
	if key == nil {
		key = func(text string) string { return text }
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	a := Audit{Leads: len(p.st.leadIDs)}

	type origin struct{ originator, id string }
	byOrigin := map[origin][]int{}
	for _, id := range p.st.leadIDs {
		l := p.st.leads[id]
		if o := (origin{l.f["ORIGINATOR_ID"], l.f["ORIGIN_ID"]}); o.id != "" {
			byOrigin[o] = append(byOrigin[o], id)
		}
	}
	for o, ids := range byOrigin {
		if len(ids) > 1 {
			a.DuplicateOrigins = append(a.DuplicateOrigins, OriginRepeat{Originator: o.originator, Origin: o.id, LeadIDs: ids})
		}
	}
	slices.SortFunc(a.DuplicateOrigins, func(x, y OriginRepeat) int { return cmp.Compare(x.LeadIDs[0], y.LeadIDs[0]) })

	comments := counter{}
	for _, c := range p.st.comments {
		if k := key(c.Text); k != "" {
			comments.add(Repeat{LeadID: c.LeadID, Key: k})
		}
	}
	a.Comments, a.RepeatedComments = comments.result()
	notes := counter{}
	for _, n := range p.st.notes {
		if k := key(n.Message); k != "" {
			notes.add(Repeat{UserID: n.UserID, Key: k})
			a.ReplacedNotifications--
		}
	}
	a.Notifications, a.RepeatedNotifications = notes.result()
	for _, n := range p.st.notesSent {
		if key(n.Message) != "" {
			a.ReplacedNotifications++ // sent, less those kept
		}
	}
	workflows := counter{}
	for _, w := range p.st.workflows {
		if !w.Auto {
			workflows.add(Repeat{LeadID: w.LeadID, TemplateID: w.TemplateID})
		}
	}
	_, a.RepeatedWorkflows = workflows.result()
	return a
}

// counter counts side effects by identity, in the order first seen.
type counter struct {
	order []Repeat
	n     map[Repeat]int
}

func (c *counter) add(r Repeat) {
	if c.n == nil {
		c.n = map[Repeat]int{}
	}
	if c.n[r] == 0 {
		c.order = append(c.order, r)
	}
	c.n[r]++
}

// result is the number of distinct side effects and those seen twice or more.
func (c *counter) result() (int, []Repeat) {
	var rep []Repeat
	for _, r := range c.order {
		if n := c.n[r]; n > 1 {
			r.Count = n
			rep = append(rep, r)
		}
	}
	return len(c.order), rep
}
