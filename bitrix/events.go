package bitrix

import (
	"context"
	"encoding/json"
)

// EventBinding is one registered event handler (event.get).
type EventBinding struct {
	Event     FlexString `json:"event"`
	Handler   FlexString `json:"handler"`
	AuthType  FlexString `json:"auth_type"`
	Offline   FlexInt    `json:"offline"`
	EventType FlexString `json:"event_type"`
}

// OfflineEvent is one queued event of event.offline.get.
type OfflineEvent struct {
	ID         FlexInt    `json:"ID"`
	Timestamp  FlexTime   `json:"TIMESTAMP_X"`
	EventName  FlexString `json:"EVENT_NAME"`
	EventData  FlexMap    `json:"EVENT_DATA"`
	MessageID  FlexString `json:"MESSAGE_ID"`
	ProcessID  FlexString `json:"PROCESS_ID"`
	ErrorCount FlexInt    `json:"ERROR"`
}

// OfflineEvents is the answer of event.offline.get.
type OfflineEvents struct {
	ProcessID FlexString     `json:"process_id"`
	Events    []OfflineEvent `json:"events"`
	// Unreadable counts the events of the page that could not be read (an
	// ID that is not a number, EVENT_DATA that is not an object...): they
	// are left out of Events, so one malformed event never holds up the
	// queue behind it.
	Unreadable int `json:"-"`
}

// UnmarshalJSON reads the page event by event (events may arrive as a list
// or as an object keyed by position; an empty page as [] or {}).
func (p *OfflineEvents) UnmarshalJSON(data []byte) error {
	var page struct {
		ProcessID FlexString      `json:"process_id"`
		Events    json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return err
	}
	*p = OfflineEvents{ProcessID: page.ProcessID}
	if len(page.Events) == 0 || string(page.Events) == "null" {
		return nil
	}
	raw, err := decodeList[json.RawMessage]("event.offline.get", page.Events)
	if err != nil {
		return err
	}
	for _, r := range raw {
		var e OfflineEvent
		if err := json.Unmarshal(r, &e); err != nil {
			p.Unreadable++
			continue
		}
		p.Events = append(p.Events, e)
	}
	return nil
}

// EventBind registers handler for event (online), or queues the event for
// event.offline.get when offline (handler is then ignored by the portal).
// Works only with OAuth (app context).
func (c *Client) EventBind(ctx context.Context, event, handler string, offline bool) error {
	p := map[string]any{"event": event, "event_type": "online"}
	if offline {
		p["event_type"] = "offline"
	} else {
		p["handler"] = handler
	}
	_, err := c.Call(ctx, "event.bind", p)
	return err
}

// EventUnbind removes a binding made by EventBind.
func (c *Client) EventUnbind(ctx context.Context, event, handler string, offline bool) error {
	p := map[string]any{"event": event, "event_type": "online"}
	if offline {
		p["event_type"] = "offline"
	} else {
		p["handler"] = handler
	}
	_, err := c.Call(ctx, "event.unbind", p)
	return err
}

// EventGet lists the app's event bindings.
func (c *Client) EventGet(ctx context.Context) ([]EventBinding, error) {
	resp, err := c.Call(ctx, "event.get", nil)
	if err != nil {
		return nil, err
	}
	return decodeList[EventBinding]("event.get", resp.Result)
}

// OfflineQuery selects the events one event.offline.get call takes.
type OfflineQuery struct {
	Limit int // page size (the portal's maximum is 50)
	// Error takes the events reported with event.offline.error (error=1)
	// instead of new ones.
	Error bool
	// ProcessID takes again the events of a page taken earlier and not yet
	// cleared nor reported.
	ProcessID string
}

// EventOfflineGet takes the queued events q selects without clearing them
// (clear=0); process them, then call EventOfflineClear with the process ID.
func (c *Client) EventOfflineGet(ctx context.Context, q OfflineQuery) (OfflineEvents, error) {
	p := map[string]any{"limit": q.Limit, "clear": 0}
	if q.Error {
		p["error"] = 1
	}
	if q.ProcessID != "" {
		p["process_id"] = q.ProcessID
	}
	var out OfflineEvents
	err := c.callInto(ctx, "event.offline.get", p, &out)
	return out, err
}

// EventOfflineClear removes the events of processID (all of them, or only
// ids when given).
func (c *Client) EventOfflineClear(ctx context.Context, processID string, ids []int64) error {
	p := map[string]any{"process_id": processID}
	if len(ids) > 0 {
		p["id"] = ids
	}
	_, err := c.Call(ctx, "event.offline.clear", p)
	return err
}

// EventOfflineError marks the events of processID as failed so that they
// are offered again (to event.offline.get with error=1): those with
// messageIDs, or the whole page when none are given.
func (c *Client) EventOfflineError(ctx context.Context, processID string, messageIDs []string) error {
	p := map[string]any{"process_id": processID}
	if len(messageIDs) > 0 {
		p["message_id"] = messageIDs
	}
	_, err := c.Call(ctx, "event.offline.error", p)
	return err
}
