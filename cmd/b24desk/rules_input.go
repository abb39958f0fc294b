package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/rules"
)

// readMailInput parses a raw mail with the intake's MIME parser and converts
// it into the rules' input. It also returns the mail's Date (zero if none).
func readMailInput(path string) (rules.Input, time.Time, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return rules.Input{}, time.Time{}, fmt.Errorf("read mail: %w", err)
	}
	m, err := mimeparse.Parse(raw, mimeparse.Options{})
	if err != nil {
		return rules.Input{}, time.Time{}, fmt.Errorf("%s: cannot parse the mail: %w", path, err)
	}
	in := rules.Input{
		From:     m.From.Addr,
		FromName: m.From.Name,
		Subject:  m.Subject,
		Body:     m.Text,
		Headers:  m.Header,
		Size:     int64(m.Size),
	}
	for _, a := range m.To {
		in.To = append(in.To, a.Addr)
	}
	for _, a := range m.Cc {
		in.Cc = append(in.Cc, a.Addr)
	}
	for _, a := range m.Attachments {
		if a.Inline {
			continue
		}
		in.Attachments = append(in.Attachments, rules.Attachment{Name: a.Filename, ContentType: a.ContentType, Size: int64(a.Size)})
	}
	return in, m.Date, nil
}

// readLeadInput reads a lead as JSON: crm.lead.get's answer ({"result": {...}})
// or the lead object itself. Multi-fields (EMAIL) give the sender.
func readLeadInput(path string) (rules.Input, time.Time, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return rules.Input{}, time.Time{}, fmt.Errorf("read lead: %w", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return rules.Input{}, time.Time{}, fmt.Errorf("%s: not a JSON object: %w", path, err)
	}
	if res, ok := obj["result"].(map[string]any); ok {
		obj = res
	}
	lead := map[string]string{}
	in := rules.Input{Lead: lead}
	for k, v := range obj {
		switch x := v.(type) {
		case string:
			lead[k] = x
		case float64, bool:
			lead[k] = fmt.Sprint(x)
		case []any:
			if k == "EMAIL" && in.From == "" {
				for _, e := range x {
					if em, ok := e.(map[string]any); ok {
						if s, ok := em["VALUE"].(string); ok && s != "" {
							in.From = s
							break
						}
					}
				}
			}
		}
	}
	if len(lead) == 0 {
		return rules.Input{}, time.Time{}, fmt.Errorf("%s: the lead has no fields", path)
	}
	in.Subject = lead["TITLE"]
	in.Body = lead["COMMENTS"]
	in.FromName = strings.TrimSpace(lead["NAME"] + " " + lead["LAST_NAME"])
	in.Ticket = rules.TicketFromLead(lead)
	var created time.Time
	if s := lead["DATE_CREATE"]; s != "" {
		created, _ = time.Parse(time.RFC3339, s)
	}
	return in, created, nil
}
