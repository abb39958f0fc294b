package desk_test

import (
	"context"
	"testing"

	"github.com/b24desk/b24desk/connector/events"
)

// TestLeadChangedWithReturnsTheLeadRead: the lead the engine read comes
// back (with the fields staff just saved), and nothing when none was read.
func TestLeadChangedWithReturnsTheLeadRead(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	id := e.mailTicket("enterprise", 11)
	if err := e.portal.SetLeadFields(int(id), map[string]any{"COMMENTS": "seen"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		lead    int64
		event   string
		wantNil bool
	}{
		{"update", id, events.EventLeadUpdate, false},
		{"no such lead", id + 100, events.EventLeadUpdate, true},
		{"no lead ID", 0, events.EventLeadUpdate, true},
		{"delete", id, events.EventLeadDelete, true},
	}
	for _, tc := range tests {
		lead, err := e.eng.LeadChangedWith(context.Background(),
			events.Change{LeadID: int(tc.lead), Event: tc.event, At: e.clk.Now()})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (lead == nil) != tc.wantNil {
			t.Fatalf("%s: lead %v, want nil %v", tc.name, lead, tc.wantNil)
		}
		if lead != nil && (lead.ID != id || lead.Comments != "seen") {
			t.Errorf("%s: lead %d comments %q, want %d with the saved comment", tc.name, lead.ID, lead.Comments, id)
		}
	}
	if !e.ticket(id).Deleted {
		t.Error("the delete was not acted on")
	}
}
