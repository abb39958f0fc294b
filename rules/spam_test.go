package rules

import (
	"strings"
	"testing"
	"time"
)

func TestSpamSection(t *testing.T) {
	closed := "statuses: {closed: [JUNK, DONE, SPAM]}\n"
	r := parseOK(t, minimal+closed)
	if r.Spam != (Spam{JunkStage: "JUNK", Learn: true}) {
		t.Fatalf("defaults = %+v", r.Spam)
	}
	if !r.Spam.IsSpam(3, true) || r.Spam.IsSpam(30, false) {
		t.Error("without a threshold the filter's verdict decides")
	}
	r = parseOK(t, minimal+closed+"spam: {threshold: 4.5, junk_stage: SPAM, learn: false, check_replies: true}\n")
	if r.Spam != (Spam{Threshold: 4.5, JunkStage: "SPAM", CheckReplies: true}) {
		t.Fatalf("spam = %+v", r.Spam)
	}
	if !r.Spam.IsSpam(4.5, false) || r.Spam.IsSpam(4.4, true) {
		t.Error("a threshold decides over the filter's verdict")
	}

	for _, tc := range []struct{ src, want string }{
		{closed + "spam: {threshold: 0}\n", "test.yaml:5:19: spam.threshold: must be a score above 0"},
		{closed + "spam: {threshold: high}\n", "test.yaml:5:19: spam.threshold: must be a score above 0"},
		{closed + "spam: {learn: maybe}\n", "test.yaml:5:15: spam.learn: must be true or false"},
		{closed + "spam: {check_replies: 1}\n", "test.yaml:5:23: spam.check_replies: must be true or false"},
		{closed + "spam: {junk_stage: NEW}\n", `test.yaml:5:20: spam.junk_stage: stage "NEW" must be listed under statuses.closed`},
		{closed + "spam: {quarantine: 9}\n", "test.yaml:5:8: spam.quarantine: unknown key"},
	} {
		_, _, err := Parse("test.yaml", []byte(minimal+tc.src), time.Time{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.src, err, tc.want)
		}
	}
	// Without a spam section nothing is checked (files written before it).
	parseOK(t, minimal+"statuses: {closed: [DONE]}\n")
}
