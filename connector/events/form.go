package events

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// errMalformed is wrapped by every parse error of a webhook body.
var errMalformed = errors.New("malformed event")

// maxLeadID bounds lead IDs accepted from the outside (2^53, the largest
// integer a JSON number keeps exactly).
const maxLeadID = 1 << 53

// webhookEvent is the part of an outgoing-webhook POST that b24desk uses.
type webhookEvent struct {
	Event     string // upper case, e.g. ONCRMLEADUPDATE
	HandlerID string
	LeadID    int       // 0 when data[FIELDS][ID] is missing or not a positive integer
	TS        time.Time // zero when ts is missing or not a Unix time
	Token     string
	Domain    string
}

// parseWebhookForm decodes a form body such as
// event=ONCRMLEADUPDATE&data[FIELDS][ID]=7405&ts=1766047124&auth[application_token]=...
// with the shared PHP-style codec. It fails only when the body is not a
// query string or has no event name; the caller checks the token before
// looking at LeadID.
func parseWebhookForm(body string) (webhookEvent, error) {
	form, err := bitrix.DecodeQuery(body)
	if err != nil {
		return webhookEvent{}, fmt.Errorf("%w: %w", errMalformed, err)
	}
	var ev webhookEvent
	ev.Event = strings.ToUpper(strings.TrimSpace(str(form["event"])))
	if ev.Event == "" {
		return webhookEvent{}, fmt.Errorf("%w: no event name", errMalformed)
	}
	ev.HandlerID = str(form["event_handler_id"])
	if auth, ok := form["auth"].(map[string]any); ok {
		ev.Token = str(auth["application_token"])
		ev.Domain = str(auth["domain"])
	}
	if data, ok := form["data"].(map[string]any); ok {
		if fields, ok := data["FIELDS"].(map[string]any); ok {
			ev.LeadID = positiveID(str(fields["ID"]))
		}
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(str(form["ts"])), 10, 64); err == nil && n > 0 && n < 1<<40 {
		ev.TS = time.Unix(n, 0)
	}
	return ev, nil
}

// str returns v when it is a string, else "" (a key sent as a nested
// structure where a scalar was expected).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// positiveID parses a lead ID; 0 means missing or invalid.
func positiveID(s string) int {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > maxLeadID {
		return 0
	}
	return int(n)
}

// isLeadEvent reports whether name is one of the lead events b24desk acts on.
func isLeadEvent(name string) bool {
	switch name {
	case EventLeadAdd, EventLeadUpdate, EventLeadDelete:
		return true
	}
	return false
}

// dedupeKey identifies one portal event: the same event about the same lead
// at the same second. A portal delivering one event twice (two bindings of
// the same handler, a proxy repeating a POST) sends the same key; the
// handler ID is left out on purpose so that two bindings collapse. source
// keeps webhook and offline keys apart. Two real changes in one second also
// share a key, so the queue drops a repeat only while its change still
// waits (see StoreQueue).
func dedupeKey(source, event string, leadID int, at time.Time) string {
	return source + ":" + event + ":" + strconv.Itoa(leadID) + ":" + strconv.FormatInt(at.Unix(), 10)
}
