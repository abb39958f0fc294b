package bitrix

import "context"

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

// EventOfflineGet takes up to limit queued events without clearing them
// (clear=0); process them, then call EventOfflineClear with the process ID.
func (c *Client) EventOfflineGet(ctx context.Context, limit int) (OfflineEvents, error) {
	var out OfflineEvents
	err := c.callInto(ctx, "event.offline.get", map[string]any{"limit": limit, "clear": 0}, &out)
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

// EventOfflineError marks the events with messageIDs of processID as failed
// so that they are offered again.
func (c *Client) EventOfflineError(ctx context.Context, processID string, messageIDs []string) error {
	_, err := c.Call(ctx, "event.offline.error", map[string]any{"process_id": processID, "message_id": messageIDs})
	return err
}
