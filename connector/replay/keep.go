package replay

import (
	"encoding/json"
	"fmt"
	"net/textproto"

	"github.com/b24desk/b24desk/rules"
)

// KeptHeaders are the mail headers kept for the replay besides sender,
// recipients, subject and body: the ones rules commonly classify by.
// Conditions of a new rules file on any other header see it absent.
var KeptHeaders = []string{"Auto-Submitted", "Content-Language", "Importance", "List-Id", "Organization",
	"Precedence", "Priority", "X-Mailer", "X-Msmail-Priority", "X-Priority", "X-Spam-Flag", "X-Spam-Score",
	"X-Spam-Status"}

// kept is the stored form of a mail's classification inputs (version 1).
type kept struct {
	V           int                 `json:"v"`
	Mailbox     string              `json:"mailbox,omitempty"`
	From        string              `json:"from,omitempty"`
	FromName    string              `json:"from_name,omitempty"`
	To          []string            `json:"to,omitempty"`
	Cc          []string            `json:"cc,omitempty"`
	Subject     string              `json:"subject,omitempty"`
	Body        string              `json:"body,omitempty"`
	Headers     map[string][]string `json:"headers,omitempty"`
	Attachments []rules.Attachment  `json:"attachments,omitempty"`
	Size        int64               `json:"size,omitempty"`
	// Lead and Ticket: a lead adopted from an intake source was classified
	// by its fields too (lead.KEY conditions) and by the ticket fields it
	// already had.
	Lead   map[string]string `json:"lead,omitempty"`
	Ticket rules.Ticket      `json:"ticket,omitzero"`
}

// leadLeftOut are the lead fields not kept: the title and comments are
// kept as subject and body (the body cut), the contact fields hold
// personal data the rules do not classify by (the e-mail is kept as the
// sender).
var leadLeftOut = map[string]bool{"TITLE": true, "COMMENTS": true, "EMAIL": true, "PHONE": true, "WEB": true, "IM": true}

// Keep encodes what the replay needs of a new ticket's rules input: the
// body cut to the rules' limits.body_bytes (what the conditions read), only the
// KeptHeaders, no attachment content; of a lead's fields all but the
// leadLeftOut ones, without empty values.
func Keep(r *rules.Rules, in rules.Input) ([]byte, error) {
	k := kept{V: 1, Mailbox: in.Mailbox, From: in.From, FromName: in.FromName, To: in.To, Cc: in.Cc,
		Subject: in.Subject, Body: r.ConditionBody(in.Body), Attachments: in.Attachments, Size: in.Size,
		Ticket: in.Ticket}
	for key, v := range in.Lead {
		if v == "" || leadLeftOut[key] {
			continue
		}
		if k.Lead == nil {
			k.Lead = map[string]string{}
		}
		k.Lead[key] = v
	}
	for _, h := range KeptHeaders {
		if v := in.Headers[textproto.CanonicalMIMEHeaderKey(h)]; len(v) > 0 {
			if k.Headers == nil {
				k.Headers = map[string][]string{}
			}
			k.Headers[textproto.CanonicalMIMEHeaderKey(h)] = v
		}
	}
	b, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("replay input: %w", err)
	}
	return b, nil
}

// Decode turns a stored record back into a rules input.
func Decode(b []byte) (rules.Input, error) {
	var k kept
	if err := json.Unmarshal(b, &k); err != nil {
		return rules.Input{}, fmt.Errorf("replay input: %w", err)
	}
	if k.V != 1 {
		return rules.Input{}, fmt.Errorf("replay input: unknown version %d", k.V)
	}
	return rules.Input{Mailbox: k.Mailbox, From: k.From, FromName: k.FromName, To: k.To, Cc: k.Cc,
		Subject: k.Subject, Body: k.Body, Headers: k.Headers, Attachments: k.Attachments, Size: k.Size,
		Lead: k.Lead, Ticket: k.Ticket}, nil
}

// DecodeAll decodes the records store.ReplayInputs returned; a record
// that cannot be read is left out (its ticket keeps its recorded
// classification) and counted in bad.
func DecodeAll(raw map[int64][]byte) (inputs map[int64]rules.Input, bad int) {
	inputs = make(map[int64]rules.Input, len(raw))
	for id, b := range raw {
		in, err := Decode(b)
		if err != nil {
			bad++
			continue
		}
		inputs[id] = in
	}
	return inputs, bad
}
