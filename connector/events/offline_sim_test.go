package events_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/events"
)

// memTokens is an in-memory bitrix.TokenStore.
type memTokens struct {
	mu  sync.Mutex
	tok bitrix.Token
}

func (m *memTokens) Load(context.Context) (bitrix.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok, nil
}

func (m *memTokens) Save(_ context.Context, t bitrix.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = t
	return nil
}

// failingRecorder fails while fail is set, then records into q.
type failingRecorder struct {
	q    *events.MemoryQueue
	fail bool
}

func (f *failingRecorder) Record(ctx context.Context, c events.Change, key string) (bool, error) {
	if f.fail {
		return false, errors.New("database is locked")
	}
	return f.q.Record(ctx, c, key)
}

// TestOfflineFailedPageNotLost: event.offline.get with clear=0 reserves
// the page for its process_id and hides it from later calls until it is
// cleared or reported (api-reference/events/event-offline-get.md,
// event-offline-error.md). A page whose recording failed is reported with
// event.offline.error and read again (error=1); a page whose report and
// clear both failed is read again by its process_id. No event is lost and
// the queue ends empty.
func TestOfflineFailedPageNotLost(t *testing.T) {
	for _, reportFails := range []bool{false, true} {
		name := "reported with event.offline.error"
		if reportFails {
			name = "read again by process_id"
		}
		t.Run(name, func(t *testing.T) {
			p := sim.New(sim.Options{NoLimits: true, EventDelay: -1})
			srv := httptest.NewServer(p)
			t.Cleanup(func() { srv.Close(); p.Close() })
			access, refresh := p.IssueTokens(1)
			c, err := bitrix.New(bitrix.Config{Logger: zerolog.Nop(), MaxRetries: -1, OAuth: &bitrix.OAuthConfig{
				ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), ServerURL: srv.URL, Endpoint: srv.URL + "/rest/",
				Store: &memTokens{tok: bitrix.Token{AccessToken: access, RefreshToken: refresh, Expires: time.Now().Add(time.Hour)}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := c.Call(ctx, "event.bind", map[string]any{"event": "ONCRMLEADUPDATE", "event_type": "offline"}); err != nil {
				t.Fatal(err)
			}
			p.SeedLeads(3, nil)
			for id := 1; id <= 3; id++ {
				if err := p.SetLeadFields(id, map[string]any{"TITLE": "changed"}); err != nil {
					t.Fatal(err)
				}
			}
			rec := &failingRecorder{q: events.NewMemoryQueue(), fail: true}
			var client events.Client = c
			if reportFails {
				client = refuseReport{c}
			}
			poller, err := events.NewOfflinePoller(events.OfflinePollerOptions{Client: client, Recorder: rec, Logger: zerolog.Nop()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := poller.PollOnce(ctx); err == nil {
				t.Fatal("no error while recording fails")
			}
			rec.fail = false
			n, err := poller.PollOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 || rec.q.Len() != 3 {
				t.Fatalf("recorded %d (queue %d) after the failed page, want the 3 events", n, rec.q.Len())
			}
			for _, errs := range []int{0, 1} {
				left, err := c.Call(ctx, "event.offline.get", map[string]any{"clear": 0, "error": errs})
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(left.Result), `"events":[]`) {
					t.Errorf("events left in the portal (error=%d): %s", errs, left.Result)
				}
			}
		})
	}
}

// refuseReport is a client whose event.offline.error calls fail.
type refuseReport struct{ events.Client }

func (r refuseReport) EventOfflineError(context.Context, string, []string) error {
	return &bitrix.APIError{Method: "event.offline.error", Kind: bitrix.ErrTransient, Status: 500}
}
