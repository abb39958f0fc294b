package outbound

import (
	"testing"
	"time"
)

func TestDueWords(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 6, 10, 0, 0, 0, msk) // a Friday
	tests := []struct {
		name string
		due  time.Time
		want string
	}{
		{"zero", time.Time{}, ""},
		{"today", time.Date(2026, 3, 6, 17, 30, 0, 0, msk), "до 17:30 сегодня"},
		{"tomorrow", time.Date(2026, 3, 7, 9, 0, 0, 0, msk), "до 09:00 завтра"},
		{"tuesday", time.Date(2026, 3, 10, 15, 0, 0, 0, msk), "до 15:00 вторника, 10 марта"},
		{"UTC input shown in Moscow", time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), "до 15:00 вторника, 10 марта"},
		{"next year", time.Date(2027, 1, 11, 9, 0, 0, 0, msk), "до 09:00 понедельника, 11 января 2027 года"},
	}
	for _, tc := range tests {
		if got := DueWords(tc.due, now, msk); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
