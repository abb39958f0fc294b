package bitrix

import (
	"context"
	"encoding/json"
)

// UserField is a lead user field (crm.lead.userfield.list).
type UserField struct {
	ID            FlexInt         `json:"ID"`
	EntityID      FlexString      `json:"ENTITY_ID"`
	FieldName     FlexString      `json:"FIELD_NAME"`
	UserTypeID    FlexString      `json:"USER_TYPE_ID"`
	XMLID         FlexString      `json:"XML_ID"`
	Sort          FlexInt         `json:"SORT"`
	Multiple      FlexBool        `json:"MULTIPLE"`
	Mandatory     FlexBool        `json:"MANDATORY"`
	EditFormLabel json.RawMessage `json:"EDIT_FORM_LABEL"` // a string or a map by language
	List          []EnumItem      `json:"LIST"`
}

// LeadUserFieldList returns the lead user fields matching filter (e.g.
// {"FIELD_NAME": "UF_CRM_B24D_SLA_DUE"}; nil for all), every page of them
// (the method answers at most 50 a page; a portal can have more).
func (c *Client) LeadUserFieldList(ctx context.Context, filter map[string]any) ([]UserField, error) {
	p := map[string]any{"order": map[string]any{"ID": "ASC"}}
	if len(filter) > 0 {
		p["filter"] = filter
	}
	return ListPages[UserField](ctx, c, MethodLeadUserFieldList, p)
}

// LeadUserFieldAdd creates a lead user field (fields: USER_TYPE_ID,
// FIELD_NAME without or with the UF_CRM_ prefix, LABEL, MULTIPLE, LIST...)
// and returns its ID.
func (c *Client) LeadUserFieldAdd(ctx context.Context, fields map[string]any) (int64, error) {
	cmd := LeadUserFieldAddCommand(fields)
	return c.callID(ctx, cmd.Method, cmd.Params)
}

// LeadUserFieldUpdate changes the lead user field with ID id (e.g. its
// enumeration LIST).
func (c *Client) LeadUserFieldUpdate(ctx context.Context, id int64, fields map[string]any) error {
	return c.callOK(ctx, "crm.lead.userfield.update", map[string]any{"id": id, "fields": fields})
}
