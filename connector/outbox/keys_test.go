package outbox

import "testing"

// TestKeysRoundTrip: every key parses back to what it was built from, and
// the parsers refuse the other keys.
func TestKeysRoundTrip(t *testing.T) {
	if k, ok := TicketOfGroup(GroupFor("abc")); !ok || k != "abc" {
		t.Errorf("TicketOfGroup(GroupFor(abc)) = %q, %v", k, ok)
	}
	if k, ok := TicketOfGroup(GroupFor("42") + laneSep + "todo"); !ok || k != "42" {
		t.Errorf("TicketOfGroup of a lane = %q, %v", k, ok)
	}
	if k, ok := TicketOfGroup(LeadGroup(42)); !ok || k != "42" || LeadGroup(42) != GroupFor("42") {
		t.Errorf("TicketOfGroup(LeadGroup(42)) = %q, %v", k, ok)
	}
	if lead, ok := LeadOfMailGroup(MailGroup(7)); !ok || lead != 7 {
		t.Errorf("LeadOfMailGroup(MailGroup(7)) = %d, %v", lead, ok)
	}
	if o, ok := MailLeadOrigin(MailLeadKey("o-1")); !ok || o != "o-1" {
		t.Errorf("MailLeadOrigin(MailLeadKey(o-1)) = %q, %v", o, ok)
	}
	if !IsBounceKey(BounceKey("o-1")) {
		t.Error("IsBounceKey(BounceKey) = false")
	}
	if lead, ok := TodoLead(TodoKey(12)); !ok || lead != 12 {
		t.Errorf("TodoLead(TodoKey(12)) = %d, %v", lead, ok)
	}
	for _, bad := range []string{"", "ticket:", MailGroup(7), MailLeadKey("x"), "x"} {
		if k, ok := TicketOfGroup(bad); ok {
			t.Errorf("TicketOfGroup(%q) = %q, true", bad, k)
		}
	}
	for _, bad := range []string{GroupFor("7"), "mail:", "mail:x", "mail:-3", "mail:0"} {
		if lead, ok := LeadOfMailGroup(bad); ok {
			t.Errorf("LeadOfMailGroup(%q) = %d, true", bad, lead)
		}
	}
	for _, bad := range []string{BounceKey("o"), GroupFor("o"), TodoKey(1)} {
		if o, ok := MailLeadOrigin(bad); ok {
			t.Errorf("MailLeadOrigin(%q) = %q, true", bad, o)
		}
	}
	for _, bad := range []string{MailLeadKey("o"), "mail.bounced:o"} {
		if IsBounceKey(bad) {
			t.Errorf("IsBounceKey(%q) = true", bad)
		}
	}
	for _, bad := range []string{"todo:", "todo:x", MailGroup(3), "todo:1:2"} {
		if lead, ok := TodoLead(bad); ok {
			t.Errorf("TodoLead(%q) = %d, true", bad, lead)
		}
	}
}
