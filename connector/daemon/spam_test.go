package daemon

import (
	"context"
	"strings"
	"testing"
)

// TestSpamdDownWarns: with a spamd that does not answer, a failed check
// shows in /readyz's warnings without making the daemon unready, and the
// learner job is scheduled.
func TestSpamdDownWarns(t *testing.T) {
	f := newFixture(t, true, "spamd:\n  address: 127.0.0.1:1\n")
	ctx := context.Background()
	d, err := New(ctx, f.options())
	if err != nil {
		t.Fatal(err)
	}
	if w := d.CheckReady(ctx).Warnings; len(w) != 0 {
		t.Fatalf("warnings before any check: %v", w)
	}
	if _, err := d.spam.Check(ctx, []byte("Subject: x\r\n\r\nhello\r\n")); err == nil {
		t.Fatal("check against a closed port worked")
	}
	rd := d.CheckReady(ctx)
	if len(rd.Warnings) != 1 || !strings.Contains(rd.Warnings[0], "spamd 127.0.0.1:1: unreachable since") {
		t.Fatalf("readiness: %+v", rd)
	}
	_, work := d.jobs()
	found := false
	for _, j := range work {
		found = found || j.name == "spam_learn"
	}
	if !found {
		t.Error("no spam_learn job")
	}
}
