package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// TestListMessagesMaxRawBytes: a page of large mails ends at the mail
// that reaches the byte bound; the first mail is read whatever its size.
func TestListMessagesMaxRawBytes(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	for i, size := range []int{5 << 20, 5 << 20, 5 << 20, 1 << 10} {
		m := Message{DedupeKey: fmt.Sprintf("k%d", i), Mailbox: "m", UID: uint32(i + 1), Raw: bytes.Repeat([]byte("x"), size)}
		if _, _, err := s.SpoolMessage(ctx, m, time.Unix(1_700_000_000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ max, want int }{{0, 4}, {8 << 20, 2}, {1, 1}, {11 << 20, 3}} {
		got, err := s.ListMessages(ctx, MessageFilter{State: MessageSpooled, WithRaw: true, Limit: 50, MaxRawBytes: c.max})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.want {
			t.Errorf("MaxRawBytes %d: %d rows, want %d", c.max, len(got), c.want)
		}
	}
}
