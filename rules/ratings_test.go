package rules

import (
	"strings"
	"testing"
	"time"
)

func TestRatingsParse(t *testing.T) {
	r := parseOK(t, minimal+`ratings:
  choices:
    - {label: Ответ устраивает, score: 5}
    - {label: Недостаточно полно, score: 3}
    - {label: Не устраивает, score: 1}
  valid_for: 72h
  low: {at_most: 3, notify: [assignee, "7"], set: {priority: high}}
`)
	rt := r.Ratings
	if rt == nil || len(rt.Choices) != 3 || rt.ValidFor != 72*time.Hour || rt.LowAtMost != 3 ||
		len(rt.Low.Notify) != 2 || rt.Low.Set["priority"] != "high" {
		t.Fatalf("ratings = %+v", rt)
	}
	for line, want := range map[string]string{"2": "Недостаточно полно", " недостаточно полно. ": "Недостаточно полно",
		"«Ответ устраивает»": "Ответ устраивает", "3": "Не устраивает", "4": "", "Спасибо": "", "": ""} {
		c, ok := rt.Match(line)
		if ok != (want != "") || c.Label != want {
			t.Errorf("Match(%q) = %q %v, want %q", line, c.Label, ok, want)
		}
	}
	if parseOK(t, minimal).Ratings.Labels() != nil {
		t.Error("labels without ratings")
	}
	bad := []struct{ src, want string }{
		{"ratings: {choices: [{label: A, score: 1}]}", "test.yaml:4:20: ratings.choices: needs at least two choices"},
		{"ratings: {choices: [{label: A, score: 1}, {label: a, score: 2}]}", "ratings.choices[1].label: duplicate label"},
		{"ratings: {choices: [{label: A, score: 1}, {label: B}]}", `ratings.choices[1]: missing key "score"`},
		{"ratings: {choices: [{label: A, score: 1}, {label: B, score: 2}], valid_for: soon}", "ratings.valid_for: bad duration"},
		{"ratings: {choices: [{label: A, score: 1}, {label: B, score: 2}], low: {at_most: 1}}", "ratings.low: needs an action"},
		{"ratings: {choices: [{label: A, score: 1}, {label: B, score: 2}], colour: red}", "ratings.colour: unknown key"},
	}
	for _, b := range bad {
		_, _, err := Parse("test.yaml", []byte(minimal+b.src+"\n"), time.Time{})
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: err %v, want %q", b.src, err, b.want)
		}
	}
}
