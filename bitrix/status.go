package bitrix

import "context"

// Status is one entry of a CRM dictionary (crm.status.list): a lead stage
// (ENTITY_ID "STATUS") or a source, i.e. a ticket type ("SOURCE").
type Status struct {
	ID        FlexInt    `json:"ID"`
	EntityID  FlexString `json:"ENTITY_ID"`
	StatusID  FlexString `json:"STATUS_ID"`
	Name      FlexString `json:"NAME"`
	Sort      FlexInt    `json:"SORT"`
	System    FlexBool   `json:"SYSTEM"`
	Color     FlexString `json:"COLOR"`
	Semantics FlexString `json:"SEMANTICS"`
}

// StatusItem is one entry of crm.status.entity.items.
type StatusItem struct {
	Name     FlexString `json:"NAME"`
	Sort     FlexInt    `json:"SORT"`
	StatusID FlexString `json:"STATUS_ID"`
}

// StatusList returns the entries of dictionary entityID ("SOURCE",
// "STATUS"...), every page of them (50 a page).
func (c *Client) StatusList(ctx context.Context, entityID string) ([]Status, error) {
	return ListPages[Status](ctx, c, MethodStatusList, map[string]any{
		"filter": map[string]any{"ENTITY_ID": entityID},
		"order":  map[string]any{"SORT": "ASC", "ID": "ASC"},
	})
}

// StatusEntityItems returns the entries of dictionary entityID through
// crm.status.entity.items.
func (c *Client) StatusEntityItems(ctx context.Context, entityID string) ([]StatusItem, error) {
	resp, err := c.Call(ctx, "crm.status.entity.items", map[string]any{"entityId": entityID})
	if err != nil {
		return nil, err
	}
	return decodeList[StatusItem]("crm.status.entity.items", resp.Result)
}

// StatusAdd creates a dictionary entry (fields: ENTITY_ID, STATUS_ID, NAME,
// SORT...) and returns its numeric ID. A duplicate STATUS_ID fails with
// ERROR_CORE (ErrInvalid).
func (c *Client) StatusAdd(ctx context.Context, fields map[string]any) (int64, error) {
	cmd := StatusAddCommand(fields)
	return c.callID(ctx, cmd.Method, cmd.Params)
}

// StatusUpdate changes the entry with numeric ID id.
func (c *Client) StatusUpdate(ctx context.Context, id int64, fields map[string]any) error {
	return c.callOK(ctx, "crm.status.update", map[string]any{"id": id, "fields": fields})
}
