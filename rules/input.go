package rules

// Input is a mail or a lead as the rules see it. The mail intake and the
// daemon convert their own types into it; the rules import nothing of theirs.
type Input struct {
	// Mailbox is the name of the mailbox the mail arrived in.
	Mailbox string
	// From is the sender's address, FromName the display name.
	From, FromName string
	// To and Cc are the recipients' addresses.
	To, Cc []string
	// Subject and Body are the decoded subject and plain text.
	Subject, Body string
	// Headers holds every header by canonical MIME key (textproto).
	Headers map[string][]string
	// Attachments lists the mail's attachments.
	Attachments []Attachment
	// Size is the raw mail size in bytes.
	Size int64
	// Lead holds the lead's fields for a lead-shaped input (SOURCE_ID,
	// STATUS_ID, ASSIGNED_BY_ID, UF_CRM_*, ...).
	Lead map[string]string
	// Ticket holds ticket fields already decided (by a person or earlier);
	// classify keeps a field that is set here and fills only empty ones.
	Ticket Ticket
}

// Attachment is one attachment of a mail.
type Attachment struct {
	Name, ContentType string
	Size              int64
}

// Ticket holds the decided ticket fields that conditions can test.
type Ticket struct {
	Type, Priority, Tier, Status, Assignee string
}

// TicketFromLead fills the ticket fields from lead fields (SOURCE_ID,
// UF_CRM_B24D_PRIORITY, UF_CRM_B24D_TIER, STATUS_ID, ASSIGNED_BY_ID).
func TicketFromLead(lead map[string]string) Ticket {
	return Ticket{
		Type:     lead["SOURCE_ID"],
		Priority: lead["UF_CRM_B24D_PRIORITY"],
		Tier:     lead["UF_CRM_B24D_TIER"],
		Status:   lead["STATUS_ID"],
		Assignee: lead["ASSIGNED_BY_ID"],
	}
}

// ConditionBody is the part of a body that conditions read: cut to the
// rules' limits.body_bytes without splitting a character. What is kept of a mail
// for the rules replay is cut the same way.
func (r *Rules) ConditionBody(body string) string {
	limit := r.BodyLimit
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	return truncateUTF8(body, limit)
}
