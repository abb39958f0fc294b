package ticket

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Pseudo-fields kept in Written besides the lead fields.
const (
	// WrittenTodoDeadline is the deadline last given to the ticket's to-do.
	WrittenTodoDeadline = "$todo_deadline"
	// WrittenTodoCompleted is "Y" once the ticket's to-do was completed
	// (the ticket closed); it goes when a new to-do is due (reopened).
	WrittenTodoCompleted = "$todo_completed"
	// WrittenTodoResponsible is the user last given the ticket's to-do.
	WrittenTodoResponsible = "$todo_responsible"
	// WrittenKeyPrefix + a field name holds the dedupe key of the outbox
	// row that last wrote the field: while it is not done, the portal may
	// still show the older value.
	WrittenKeyPrefix = "$key:"
)

// Written is what b24desk last wrote to a lead: field name → value as sent
// (enumerations by item ID, dates with an offset). It is kept as the
// ticket's LastWritten (JSON object) for echo detection.
type Written map[string]string

// ParseWritten decodes a ticket's LastWritten; numbers become their decimal
// text, null an empty string. Anything unreadable gives an empty map.
func ParseWritten(raw json.RawMessage) Written {
	w := Written{}
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return w
	}
	for k, v := range m {
		switch x := v.(type) {
		case string:
			w[k] = x
		case float64:
			w[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case nil:
			w[k] = ""
		case bool:
			w[k] = strconv.FormatBool(x)
		default:
			b, _ := json.Marshal(x)
			w[k] = string(b)
		}
	}
	return w
}

// Raw encodes the map for the ticket's LastWritten.
func (w Written) Raw() json.RawMessage {
	if w == nil {
		return json.RawMessage("{}")
	}
	b, _ := json.Marshal(map[string]string(w)) // strings always marshal
	return b
}

// Same reports whether a value read from the portal equals what b24desk
// wrote for the field: dates compare as instants (to the second, whatever
// the offset), everything else as trimmed text.
func (w Written) Same(field, portalValue string) bool {
	return SameValue(w[field], portalValue)
}

// SameValue compares two field values the way Written.Same does.
func SameValue(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b {
		return true
	}
	ta, oka := parseTime(a)
	tb, okb := parseTime(b)
	return oka && okb && ta.Truncate(time.Second).Equal(tb.Truncate(time.Second))
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Observe records on the ticket that the portal holds value for the field
// because a person set it: a later write of b24desk's own older value is
// then a change again, not a repeat.
func (t *Ticket) Observe(field, value string) {
	w := ParseWritten(t.LastWritten)
	w[field] = value
	delete(w, WrittenKeyPrefix+field)
	t.LastWritten = w.Raw()
}
