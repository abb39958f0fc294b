package events

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// fakeLead is a lead of fakePortal.
type fakeLead struct {
	id         int
	dateModify time.Time
	source     string
	originator string
}

// fakePortal answers the lead list (the filters reconcile and sweep send),
// the lead read and the offline queue from memory. It pages 50 rows like the
// portal, by offset.
type fakePortal struct {
	mu      sync.Mutex
	leads   map[int]*fakeLead
	calls   []string         // method names
	filters []map[string]any // filters of crm.lead.list, in order
	onList  func(n int)      // called (without the lock) before the n-th list answer, from 1
	getErr  map[int]error    // crm.lead.get errors by ID (default: not found when absent)
	offline []map[string]any // the offline queue
	cleared []string         // process IDs cleared
	offErr  error            // error of event.offline.get
	nList   int
}

func newFakePortal() *fakePortal {
	return &fakePortal{leads: map[int]*fakeLead{}, getErr: map[int]error{}}
}

func (f *fakePortal) put(id int, dm time.Time, source, originator string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leads[id] = &fakeLead{id: id, dateModify: dm, source: source, originator: originator}
}

func (f *fakePortal) remove(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.leads, id)
}

func notFound(method string) error {
	return &bitrix.APIError{Status: 400, Description: "Not found", Method: method, Kind: bitrix.ErrNotFound}
}

func (f *fakePortal) LeadList(_ context.Context, opt bitrix.ListOptions) ([]bitrix.Lead, *int, error) {
	f.mu.Lock()
	f.nList++
	n, hook := f.nList, f.onList
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return f.list(opt)
}

func (f *fakePortal) LeadGet(_ context.Context, id int64) (*bitrix.Lead, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "crm.lead.get")
	if err, ok := f.getErr[int(id)]; ok {
		return nil, err
	}
	if l, ok := f.leads[int(id)]; ok {
		var lead bitrix.Lead
		return &lead, decodeInto(f.row(l), &lead)
	}
	return nil, notFound("crm.lead.get")
}

func (f *fakePortal) EventOfflineGet(_ context.Context, q bitrix.OfflineQuery) (bitrix.OfflineEvents, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "event.offline.get")
	var page bitrix.OfflineEvents
	if f.offErr != nil {
		return page, f.offErr
	}
	evs := f.offline[:min(q.Limit, len(f.offline))]
	err := decodeInto(map[string]any{"process_id": "proc" + strconv.Itoa(len(f.cleared)+1), "events": evs}, &page)
	return page, err
}

func (f *fakePortal) EventOfflineClear(_ context.Context, processID string, _ []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "event.offline.clear")
	f.cleared = append(f.cleared, processID)
	f.offline = f.offline[min(50, len(f.offline)):]
	return nil
}

// EventOfflineError is not served: the poller must then read the page
// again by its process_id.
func (f *fakePortal) EventOfflineError(context.Context, string, []string) error {
	return &bitrix.APIError{Status: 400, Code: "ERROR_METHOD_NOT_FOUND", Method: "event.offline.error", Kind: bitrix.ErrMethodNotFound}
}

// decodeInto passes v through JSON into out, as the client decodes an
// answer.
func decodeInto(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (f *fakePortal) row(l *fakeLead) map[string]any {
	return map[string]any{
		"ID":            strconv.Itoa(l.id),
		"DATE_MODIFY":   l.dateModify.Format(portalTimeLayout),
		"SOURCE_ID":     l.source,
		"ORIGINATOR_ID": l.originator,
	}
}

func (f *fakePortal) list(opt bitrix.ListOptions) ([]bitrix.Lead, *int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "crm.lead.list")
	f.filters = append(f.filters, opt.Filter)
	var rows []*fakeLead
	for _, l := range f.leads {
		ok, err := matches(l, opt.Filter)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			rows = append(rows, l)
		}
	}
	_, byDate := opt.Order["DATE_MODIFY"]
	sort.Slice(rows, func(i, j int) bool {
		if byDate && !rows[i].dateModify.Equal(rows[j].dateModify) {
			return rows[i].dateModify.Before(rows[j].dateModify)
		}
		return rows[i].id < rows[j].id
	})
	start := max(opt.Start, 0)
	if start > len(rows) {
		start = len(rows)
	}
	end := min(start+listPageSize, len(rows))
	out := make([]map[string]any, 0, end-start)
	for _, l := range rows[start:end] {
		out = append(out, f.row(l))
	}
	var leads []bitrix.Lead
	if err := decodeInto(out, &leads); err != nil {
		return nil, nil, err
	}
	if end < len(rows) {
		return leads, &end, nil
	}
	return leads, nil, nil
}

func matches(l *fakeLead, filter map[string]any) (bool, error) {
	for k, v := range filter {
		switch k {
		case ">=DATE_MODIFY", "=DATE_MODIFY", ">DATE_MODIFY":
			s, _ := v.(string)
			t, err := time.Parse(portalTimeLayout, s)
			if err != nil {
				return false, fmt.Errorf("fake portal: bad date %q", s)
			}
			c := l.dateModify.Compare(t)
			if (k == ">=DATE_MODIFY" && c < 0) || (k == "=DATE_MODIFY" && c != 0) || (k == ">DATE_MODIFY" && c <= 0) {
				return false, nil
			}
		case ">ID":
			n, _ := v.(int)
			if l.id <= n {
				return false, nil
			}
		case "@ID":
			ids, _ := v.([]int)
			found := false
			for _, id := range ids {
				found = found || id == l.id
			}
			if !found {
				return false, nil
			}
		default:
			return false, fmt.Errorf("fake portal: filter %q not supported", k)
		}
	}
	return true, nil
}

// memState is Known, Cursor and OpenTickets in memory; coreSink is a Sink
// that updates it like the daemon core would (it remembers DATE_MODIFY).
type memState struct {
	mu      sync.Mutex
	known   map[int]time.Time
	open    []int
	mark    time.Time
	hasMark bool
}

func newMemState() *memState { return &memState{known: map[int]time.Time{}} }

func (m *memState) LastDateModify(_ context.Context, id int) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.known[id]
	return t, ok, nil
}

func (m *memState) Get(context.Context) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mark, m.hasMark, nil
}

func (m *memState) Set(_ context.Context, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mark, m.hasMark = t, true
	return nil
}

func (m *memState) OpenTicketIDs(context.Context) ([]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int(nil), m.open...), nil
}

// coreSink records changes and updates memState as the daemon core would.
type coreSink struct {
	state   *memState
	mu      sync.Mutex
	changes []Change
	refuse  map[int]bool // lead IDs to refuse
}

func (s *coreSink) LeadChanged(_ context.Context, c Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse[c.LeadID] {
		return fmt.Errorf("lead %d refused", c.LeadID)
	}
	s.changes = append(s.changes, c)
	s.state.mu.Lock()
	s.state.known[c.LeadID] = c.DateModify
	s.state.mu.Unlock()
	return nil
}

func (s *coreSink) ids() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	for _, c := range s.changes {
		ids = append(ids, c.LeadID)
	}
	return ids
}

func (s *coreSink) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes = nil
}

func ticketTypes(codes ...string) IsTicket {
	return func(source, originator string) bool {
		if originator == "b24desk" {
			return true
		}
		for _, c := range codes {
			if source == c {
				return true
			}
		}
		return false
	}
}
