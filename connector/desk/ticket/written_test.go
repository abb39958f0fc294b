package ticket_test

import (
	"testing"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

func TestSameValue(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"2026-03-10T12:00:00+03:00", "2026-03-10T09:00:00Z", true},
		{"2026-03-10T12:00:00+03:00", "2026-03-10T12:00:00Z", false},
		{"11", " 11", true},
		{"11", "12", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := ticket.SameValue(tt.a, tt.b); got != tt.same {
			t.Errorf("SameValue(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
