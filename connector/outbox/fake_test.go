package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/b24desk/b24desk/bitrix"
)

// fault is what the fake portal does to one write call.
type fault int

const (
	ok           fault = iota
	timeoutAfter       // applied, then the answer is lost (outcome unknown)
	lateApply          // outcome unknown; applied just before the next call (after the client gave up)
	limit503           // QUERY_LIMIT_EXCEEDED, not applied
	limit429           // OPERATION_TIME_LIMIT, not applied
	down               // network failure, not applied
	invalid            // a final 400
	crash              // applied, then the process dies before it can record it
)

// fakePortal is an in-memory portal with fault injection on writes.
type fakePortal struct {
	mu       sync.Mutex
	faults   []fault // consumed by writes, in order
	later    []func()
	crash    context.CancelFunc
	nextID   int
	leads    map[int]map[string]any
	comments map[int]map[string]any
	todos    map[int]map[string]any
	notes    map[string]int // TAG → times sent
	calls    []string       // methods called, in order (writes with their key)
	during   func()         // runs inside every call (e.g. to let time pass)
}

func newFakePortal(faults ...fault) *fakePortal {
	return &fakePortal{faults: faults, nextID: 100, leads: map[int]map[string]any{},
		comments: map[int]map[string]any{}, todos: map[int]map[string]any{}, notes: map[string]int{}}
}

func apiErr(method string, kind error, status int, code string) error {
	return &bitrix.APIError{Method: method, Status: status, Code: code, Kind: kind}
}

func (f *fakePortal) Call(ctx context.Context, method string, params any) (*bitrix.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fn := range f.later {
		fn()
	}
	f.later = nil
	if f.during != nil {
		f.during()
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	write := !strings.HasSuffix(method, ".list") && method != "bizproc.workflow.instances"
	fl := ok
	if write && len(f.faults) > 0 {
		fl, f.faults = f.faults[0], f.faults[1:]
	}
	f.calls = append(f.calls, method)
	var apply func() json.RawMessage
	if write {
		apply = func() json.RawMessage { return f.write(method, p) }
	}
	switch fl {
	case limit503:
		return nil, apiErr(method, bitrix.ErrRateLimited, 503, "QUERY_LIMIT_EXCEEDED")
	case limit429:
		return nil, apiErr(method, bitrix.ErrOperatingLimit, 429, "OPERATION_TIME_LIMIT")
	case down:
		return nil, apiErr(method, bitrix.ErrTransient, 0, "")
	case invalid:
		return nil, apiErr(method, bitrix.ErrInvalid, 400, "ERROR_CORE")
	case timeoutAfter:
		apply()
		return nil, apiErr(method, bitrix.ErrOutcomeUnknown, 0, "")
	case lateApply:
		f.later = append(f.later, func() { apply() })
		return nil, apiErr(method, bitrix.ErrOutcomeUnknown, 0, "")
	case crash:
		apply()
		f.crash()
		return nil, context.Canceled
	}
	if write {
		return &bitrix.Response{Result: apply()}, nil
	}
	return &bitrix.Response{Result: f.list(method, p)}, nil
}

func (f *fakePortal) id() int { f.nextID++; return f.nextID }

func (f *fakePortal) write(method string, p map[string]any) json.RawMessage {
	switch method {
	case "crm.lead.add":
		id := f.id()
		f.leads[id] = p["fields"].(map[string]any)
		return json.RawMessage(fmt.Sprint(id))
	case "crm.lead.update":
		return json.RawMessage("true")
	case "crm.timeline.comment.add":
		id := f.id()
		f.comments[id] = p["fields"].(map[string]any)
		return json.RawMessage(fmt.Sprint(id))
	case "crm.activity.todo.add":
		id := f.id()
		f.todos[id] = p
		return json.RawMessage(fmt.Sprintf(`{"id":%d}`, id))
	case "im.notify.system.add":
		f.notes[fmt.Sprint(p["TAG"])]++
		return json.RawMessage(fmt.Sprint(f.id()))
	}
	return json.RawMessage("true")
}

func (f *fakePortal) list(method string, p map[string]any) json.RawMessage {
	filter, _ := p["filter"].(map[string]any)
	var rows []map[string]any
	switch method {
	case "crm.lead.list":
		for id, l := range f.leads {
			if l["ORIGINATOR_ID"] == filter["ORIGINATOR_ID"] && l["ORIGIN_ID"] == filter["ORIGIN_ID"] {
				rows = append(rows, map[string]any{"ID": fmt.Sprint(id)})
			}
		}
	case "crm.timeline.comment.list":
		for id, c := range f.comments {
			if fmt.Sprint(c["ENTITY_ID"]) == fmt.Sprint(filter["ENTITY_ID"]) {
				rows = append(rows, map[string]any{"ID": fmt.Sprint(id), "COMMENT": c["COMMENT"]})
			}
		}
	case "crm.activity.list":
		for id, t := range f.todos {
			if fmt.Sprint(t["ownerId"]) == fmt.Sprint(filter["OWNER_ID"]) {
				rows = append(rows, map[string]any{"ID": fmt.Sprint(id), "DESCRIPTION": t["description"]})
			}
		}
	}
	if rows == nil {
		return json.RawMessage("[]")
	}
	b, _ := json.Marshal(rows)
	return b
}

// leadsWithOrigin counts the leads carrying the ORIGIN_ID.
func (f *fakePortal) leadsWithOrigin(origin string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, l := range f.leads {
		if l["ORIGIN_ID"] == origin && l["ORIGINATOR_ID"] == OriginatorID {
			n++
		}
	}
	return n
}

func (f *fakePortal) commentsWith(marker string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.comments {
		if strings.Contains(fmt.Sprint(c["COMMENT"]), marker) {
			n++
		}
	}
	return n
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
