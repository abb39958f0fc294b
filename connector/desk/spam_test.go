package desk_test

import (
	"context"
	"testing"
	"time"
)

// TestSpamLessons: staff moving a ticket into the junk stage queue a spam
// lesson, moving it out (a rescue) or closing it elsewhere a ham lesson;
// other stage changes teach nothing.
func TestSpamLessons(t *testing.T) {
	e := newEnv(t, at(10, 11, 0))
	id := e.mailTicket("", 11)
	lesson := func() string {
		t.Helper()
		got, err := e.st.SpamLessons(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 1 || (len(got) == 1 && got[0].Lead != id) {
			t.Fatalf("lessons: %+v", got)
		}
		if len(got) == 0 {
			return ""
		}
		return got[0].Class
	}
	for _, step := range []struct{ stage, want string }{
		{"IN_PROCESS", ""},
		{"JUNK", "spam"},      // closed as junk
		{"IN_PROCESS", "ham"}, // rescued: replaces the lesson not given yet
		{"PROCESSED", "ham"},  // closed normally
		{"JUNK", "spam"},      // a changed mind
	} {
		e.clk.Advance(time.Minute)
		e.staff(id, map[string]any{"STATUS_ID": step.stage})
		if got := lesson(); got != step.want {
			t.Errorf("to %s: lesson %q, want %q", step.stage, got, step.want)
		}
	}
}
