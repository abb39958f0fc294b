package bitrix

import (
	"context"
	"time"
)

// FileData is a file sent inline: a name and its base64 content (no
// "data:" prefix).
type FileData struct {
	Name   string
	Base64 string
}

// TimelineComment is one timeline comment (crm.timeline.comment.list).
type TimelineComment struct {
	ID         FlexInt    `json:"ID"`
	EntityID   FlexInt    `json:"ENTITY_ID"`
	EntityType FlexString `json:"ENTITY_TYPE"`
	Created    FlexTime   `json:"CREATED"`
	Comment    FlexString `json:"COMMENT"`
	AuthorID   FlexInt    `json:"AUTHOR_ID"`
}

// TimelineCommentAdd adds a BBCode comment to a lead's timeline and returns
// its ID. Not idempotent: put a step key in the text and look for it with
// TimelineCommentList after ErrOutcomeUnknown.
func (c *Client) TimelineCommentAdd(ctx context.Context, leadID int64, comment string, files []FileData) (int64, error) {
	cmd := TimelineCommentAddCommand(KnownID(leadID), comment, files)
	return c.callID(ctx, cmd.Method, cmd.Params)
}

// TimelineCommentList returns a lead's timeline comments (first page of
// 50, newest first unless the portal orders otherwise; start pages on).
func (c *Client) TimelineCommentList(ctx context.Context, leadID int64, start int) ([]TimelineComment, *int, error) {
	resp, err := c.Call(ctx, "crm.timeline.comment.list", map[string]any{
		"filter": map[string]any{"ENTITY_ID": leadID, "ENTITY_TYPE": "lead"},
		"select": []string{"ID", "ENTITY_ID", "ENTITY_TYPE", "CREATED", "COMMENT", "AUTHOR_ID"},
		"start":  start,
	})
	if err != nil {
		return nil, nil, err
	}
	list, err := decodeList[TimelineComment]("crm.timeline.comment.list", resp.Result)
	return list, resp.Next, err
}

// Todo is a to-do activity on a CRM item (crm.activity.todo.add).
type Todo struct {
	OwnerTypeID   int64 // 1 = lead
	OwnerID       int64
	Deadline      time.Time
	Title         string
	Description   string
	ResponsibleID int64
}

// TodoAdd creates a to-do, which the portal shows in its counters and
// marks red when overdue, and returns its ID. Not idempotent.
func (c *Client) TodoAdd(ctx context.Context, t Todo) (int64, error) {
	cmd := TodoAddCommand(t, KnownID(t.OwnerID))
	var res struct {
		ID FlexInt `json:"id"`
	}
	if err := c.callInto(ctx, cmd.Method, cmd.Params, &res); err != nil {
		return 0, err
	}
	return int64(res.ID), nil
}

// TodoUpdateDeadline moves a to-do's deadline (idempotent).
func (c *Client) TodoUpdateDeadline(ctx context.Context, id, ownerTypeID, ownerID int64, deadline time.Time) error {
	_, err := c.Do(ctx, TodoUpdateDeadlineCommand(id, ownerTypeID, ownerID, deadline))
	return err
}

// Activity is a CRM activity row (crm.activity.list).
type Activity struct {
	ID            FlexInt    `json:"ID"`
	OwnerTypeID   FlexInt    `json:"OWNER_TYPE_ID"`
	OwnerID       FlexInt    `json:"OWNER_ID"`
	Subject       FlexString `json:"SUBJECT"`
	Description   FlexString `json:"DESCRIPTION"`
	Deadline      FlexTime   `json:"DEADLINE"`
	Completed     FlexBool   `json:"COMPLETED"`
	ResponsibleID FlexInt    `json:"RESPONSIBLE_ID"`
	ProviderID    FlexString `json:"PROVIDER_ID"`
}

// ActivityList returns one page of activities matching filter.
func (c *Client) ActivityList(ctx context.Context, opt ListOptions) ([]Activity, *int, error) {
	resp, err := c.Call(ctx, "crm.activity.list", opt.params())
	if err != nil {
		return nil, nil, err
	}
	list, err := decodeList[Activity]("crm.activity.list", resp.Result)
	return list, resp.Next, err
}
