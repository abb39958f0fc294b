package events

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

type flakyRecorder struct {
	q    *MemoryQueue
	fail bool
}

func (f *flakyRecorder) Record(ctx context.Context, c Change, key string) (bool, error) {
	if f.fail {
		return false, errors.New("database is locked")
	}
	return f.q.Record(ctx, c, key)
}

func offlineRow(id int, name string, lead any, ts string) map[string]any {
	return map[string]any{
		"ID": strconv.Itoa(id), "TIMESTAMP_X": ts, "EVENT_NAME": name,
		"EVENT_DATA": map[string]any{"FIELDS": map[string]any{"ID": lead}}, "MESSAGE_ID": "m" + strconv.Itoa(id),
	}
}

func TestOfflinePoller(t *testing.T) {
	portal := newFakePortal()
	for i := 1; i <= 60; i++ {
		portal.offline = append(portal.offline, offlineRow(i, "ONCRMLEADUPDATE", strconv.Itoa(i), "2026-05-14T10:00:00+03:00"))
	}
	portal.offline = append(portal.offline,
		offlineRow(61, "ONCRMDEALADD", "5", "2026-05-14T10:00:00+03:00"),                // not a lead event
		offlineRow(62, "ONCRMLEADDELETE", 9, "2026-05-14T10:00:01+03:00"),               // numeric ID
		map[string]any{"ID": "63", "EVENT_NAME": "ONCRMLEADADD", "EVENT_DATA": []any{}}, // no ID
	)
	rec := &flakyRecorder{q: NewMemoryQueue(), fail: true}
	p, err := NewOfflinePoller(OfflinePollerOptions{Client: portal, Recorder: rec,
		Clock: clock.NewManual(t0), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := p.PollOnce(context.Background()); err == nil {
		t.Fatal("no error while the recorder fails")
	}
	if len(portal.cleared) != 0 || len(portal.offline) != 63 {
		t.Fatalf("cleared %v with nothing recorded; the events must stay in the portal", portal.cleared)
	}

	rec.fail = false
	n, err := p.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 61 || rec.q.Len() != 61 {
		t.Fatalf("recorded %d (queue %d), want 61 lead events", n, rec.q.Len())
	}
	if want := []string{"proc1", "proc2"}; !slices.Equal(portal.cleared, want) {
		t.Fatalf("cleared %v, want %v", portal.cleared, want)
	}
	pending, _ := rec.q.Pending(context.Background(), t0.Add(time.Hour), 100)
	last := pending[len(pending)-1].Change
	if last.LeadID != 9 || last.Event != EventLeadDelete || !last.At.Equal(t0.Add(time.Second)) {
		t.Fatalf("last change = %+v", last)
	}
}

func TestOfflinePollerRereadAfterFailedClearIsDeduped(t *testing.T) {
	portal := newFakePortal()
	portal.offline = []map[string]any{offlineRow(1, "ONCRMLEADUPDATE", "7", "2026-05-14T10:00:00+03:00")}
	q := NewMemoryQueue()
	p, _ := NewOfflinePoller(OfflinePollerOptions{Client: portal, Recorder: q, Logger: zerolog.Nop()})
	// First poll records, then the clear is lost: simulate by restoring the queue.
	if _, err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	portal.offline = []map[string]any{offlineRow(1, "ONCRMLEADUPDATE", "7", "2026-05-14T10:00:00+03:00")}
	n, err := p.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || q.Len() != 1 {
		t.Fatalf("re-read event recorded again: n=%d queue=%d", n, q.Len())
	}
}

// A malformed event (an ID that is not a number, EVENT_DATA that is not an
// object) is skipped and cleared with its page: it never holds up the
// events queued behind it, even on a page of nothing else.
func TestOfflinePollerSkipsUnreadableEvents(t *testing.T) {
	portal := newFakePortal()
	portal.offline = append(portal.offline,
		offlineRow(1, "ONCRMLEADUPDATE", "11", "2026-05-14T10:00:00+03:00"),
		map[string]any{"ID": "not a number", "EVENT_NAME": "ONCRMLEADUPDATE", "EVENT_DATA": map[string]any{"FIELDS": map[string]any{"ID": "12"}}},
		map[string]any{"ID": "3", "EVENT_NAME": "ONCRMLEADUPDATE", "EVENT_DATA": "a string"},
		offlineRow(4, "ONCRMLEADADD", "14", "2026-05-14T10:00:01+03:00"),
	)
	for i := range 96 { // the rest of the first page and all the second unreadable
		portal.offline = append(portal.offline, map[string]any{"ID": strconv.Itoa(100 + i), "EVENT_DATA": 7})
	}
	portal.offline = append(portal.offline, offlineRow(200, "ONCRMLEADUPDATE", "15", "2026-05-14T10:00:02+03:00"))
	q := NewMemoryQueue()
	p, err := NewOfflinePoller(OfflinePollerOptions{Client: portal, Recorder: q,
		Clock: clock.NewManual(t0), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	n, err := p.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pending, _ := q.Pending(context.Background(), t0.Add(time.Hour), 100)
	var leads []int
	for _, c := range pending {
		leads = append(leads, c.Change.LeadID)
	}
	slices.Sort(leads)
	if n != 3 || !slices.Equal(leads, []int{11, 14, 15}) {
		t.Fatalf("recorded %d: leads %v, want 11, 14 and 15", n, leads)
	}
	if len(portal.offline) != 0 || len(portal.cleared) != 3 {
		t.Fatalf("%d events left in the portal's queue, %d pages cleared; want 0 and 3", len(portal.offline), len(portal.cleared))
	}
}
