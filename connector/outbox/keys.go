package outbox

import (
	"strconv"
	"strings"

	"github.com/b24desk/b24desk/connector/store"
)

// Keys. The outbox's dedupe and group keys that other packages build and
// read back are made here, each beside the function that parses it, so
// that a key's spelling lives in one place. Keys no one reads back (a
// comment's, a notification's) stay with their writer.

const (
	ticketGroupPrefix = "ticket:"
	mailGroupPrefix   = "mail:"
	mailLeadPrefix    = store.MailLeadKeyPrefix // the store prunes drafts by it
	bouncePrefix      = "mail.bounce:"
	todoPrefix        = "todo:"
)

// GroupFor is the conventional group key of a ticket: pass the ORIGIN_ID
// used for its lead.add, or the lead ID for an existing lead. Callers must
// use the same key for all writes of one ticket.
func GroupFor(key string) string { return ticketGroupPrefix + key }

// LeadGroup is GroupFor of an existing lead.
func LeadGroup(lead int64) string { return GroupFor(strconv.FormatInt(lead, 10)) }

// TicketOfGroup returns the key GroupFor was given (an ORIGIN_ID or a
// lead ID) for a ticket's group or any of its lanes; ok is false for
// other groups.
func TicketOfGroup(group string) (key string, ok bool) {
	key, ok = strings.CutPrefix(CoreGroup(group), ticketGroupPrefix)
	return key, ok && key != ""
}

// MailGroup is the group of a ticket's outgoing mails (connector/outbound):
// they leave in order, apart from the ticket's portal writes.
func MailGroup(lead int64) string { return mailGroupPrefix + strconv.FormatInt(lead, 10) }

// LeadOfMailGroup returns the lead of a MailGroup key.
func LeadOfMailGroup(group string) (lead int64, ok bool) {
	return leadAfter(group, mailGroupPrefix)
}

// MailLeadKey is the dedupe key of the lead.add of a ticket made from a
// mail (connector/mail), by the ORIGIN_ID the lead is created with.
func MailLeadKey(origin string) string { return mailLeadPrefix + origin }

// MailLeadOrigin returns the ORIGIN_ID of a MailLeadKey; ok is false for
// any other key (a lead made by hand, another kind's row).
func MailLeadOrigin(key string) (origin string, ok bool) {
	return strings.CutPrefix(key, mailLeadPrefix)
}

// BounceKey is the dedupe key of the comment that notes on a ticket a
// bounce of b24desk's mail, by the bounce's own ORIGIN-like dedupe key.
func BounceKey(origin string) string { return bouncePrefix + origin }

// IsBounceKey reports whether key is a BounceKey.
func IsBounceKey(key string) bool { return strings.HasPrefix(key, bouncePrefix) }

// TodoKey is the dedupe key of a ticket's first to-do.
func TodoKey(lead int64) string { return todoPrefix + strconv.FormatInt(lead, 10) }

// TodoLead returns the lead of a TodoKey.
func TodoLead(key string) (lead int64, ok bool) { return leadAfter(key, todoPrefix) }

// leadAfter parses the lead ID that follows prefix in s.
func leadAfter(s, prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	lead, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || lead <= 0 {
		return 0, false
	}
	return lead, true
}
