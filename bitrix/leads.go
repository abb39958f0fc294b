package bitrix

import (
	"context"
	"encoding/json"
	"time"
)

// Lead is a CRM lead (a ticket when b24desk manages it), decoded
// tolerantly. Fields keeps every raw field as sent, UF_CRM_* included.
type Lead struct {
	ID                int64
	Title             string
	Name              string
	LastName          string
	StatusID          string
	SourceID          string
	SourceDescription string
	AssignedByID      int64
	Comments          string
	Opened            bool
	OriginatorID      string
	OriginID          string
	DateCreate        time.Time
	DateModify        time.Time
	Emails            []Multifield
	Fields            map[string]json.RawMessage
}

// Multifield is one value of a multiple contact field (EMAIL, PHONE...).
type Multifield struct {
	ID        int64  `json:"ID,omitempty"`
	ValueType string `json:"VALUE_TYPE,omitempty"`
	Value     string `json:"VALUE"`
	TypeID    string `json:"TYPE_ID,omitempty"`
}

type wireMultifield struct {
	ID        FlexInt    `json:"ID"`
	ValueType FlexString `json:"VALUE_TYPE"`
	Value     FlexString `json:"VALUE"`
	TypeID    FlexString `json:"TYPE_ID"`
}

type wireLead struct {
	ID                FlexInt    `json:"ID"`
	Title             FlexString `json:"TITLE"`
	Name              FlexString `json:"NAME"`
	LastName          FlexString `json:"LAST_NAME"`
	StatusID          FlexString `json:"STATUS_ID"`
	SourceID          FlexString `json:"SOURCE_ID"`
	SourceDescription FlexString `json:"SOURCE_DESCRIPTION"`
	AssignedByID      FlexInt    `json:"ASSIGNED_BY_ID"`
	Comments          FlexString `json:"COMMENTS"`
	Opened            FlexBool   `json:"OPENED"`
	OriginatorID      FlexString `json:"ORIGINATOR_ID"`
	OriginID          FlexString `json:"ORIGIN_ID"`
	DateCreate        FlexTime   `json:"DATE_CREATE"`
	DateModify        FlexTime   `json:"DATE_MODIFY"`
}

// UnmarshalJSON decodes a lead row; a field of an unexpected type is left
// zero (it stays available in Fields) rather than failing the whole row.
func (l *Lead) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*l = Lead{Fields: raw}
	var w wireLead
	if json.Unmarshal(data, &w) != nil {
		// One field has an odd type: decode field by field.
		decodeEach(raw, map[string]any{
			"ID": &w.ID, "TITLE": &w.Title, "NAME": &w.Name, "LAST_NAME": &w.LastName,
			"STATUS_ID": &w.StatusID, "SOURCE_ID": &w.SourceID, "SOURCE_DESCRIPTION": &w.SourceDescription,
			"ASSIGNED_BY_ID": &w.AssignedByID, "COMMENTS": &w.Comments, "OPENED": &w.Opened,
			"ORIGINATOR_ID": &w.OriginatorID, "ORIGIN_ID": &w.OriginID,
			"DATE_CREATE": &w.DateCreate, "DATE_MODIFY": &w.DateModify,
		})
	}
	l.ID, l.Title, l.Name, l.LastName = int64(w.ID), string(w.Title), string(w.Name), string(w.LastName)
	l.StatusID, l.SourceID, l.SourceDescription = string(w.StatusID), string(w.SourceID), string(w.SourceDescription)
	l.AssignedByID, l.Comments, l.Opened = int64(w.AssignedByID), string(w.Comments), bool(w.Opened)
	l.OriginatorID, l.OriginID = string(w.OriginatorID), string(w.OriginID)
	l.DateCreate, l.DateModify = w.DateCreate.Time, w.DateModify.Time
	l.Emails = decodeMultifields(raw["EMAIL"])
	return nil
}

func decodeEach(raw map[string]json.RawMessage, into map[string]any) {
	for k, dst := range into {
		if v, ok := raw[k]; ok {
			_ = json.Unmarshal(v, dst)
		}
	}
}

func decodeMultifields(raw json.RawMessage) []Multifield {
	list, err := decodeList[wireMultifield]("", raw)
	if err != nil || len(raw) == 0 {
		return nil
	}
	out := make([]Multifield, 0, len(list))
	for _, m := range list {
		out = append(out, Multifield{ID: int64(m.ID), ValueType: string(m.ValueType), Value: string(m.Value), TypeID: string(m.TypeID)})
	}
	return out
}

// LeadAdd creates a lead (crm.lead.add) and returns its ID. Not idempotent:
// after ErrOutcomeUnknown look the lead up by its ORIGIN_ID.
func (c *Client) LeadAdd(ctx context.Context, fields map[string]any, registerSonet bool) (int64, error) {
	cmd := LeadAddCommand(fields, registerSonet)
	return c.callID(ctx, cmd.Method, cmd.Params)
}

func sonet(register bool) map[string]any {
	if register {
		return map[string]any{"REGISTER_SONET_EVENT": "Y"}
	}
	return map[string]any{"REGISTER_SONET_EVENT": "N"}
}

// LeadUpdate changes a lead's fields (crm.lead.update). The portal ignores
// unknown fields silently.
func (c *Client) LeadUpdate(ctx context.Context, id int64, fields map[string]any, registerSonet bool) error {
	cmd := LeadUpdateCommand(KnownID(id), fields, registerSonet)
	return c.callOK(ctx, cmd.Method, cmd.Params)
}

// LeadGet reads one lead; a missing lead is an error wrapping ErrNotFound.
func (c *Client) LeadGet(ctx context.Context, id int64) (*Lead, error) {
	resp, err := c.Do(ctx, LeadGetCommand(id))
	if err != nil {
		return nil, err
	}
	return decodeLead(resp.Result)
}

// LeadOf is the lead read by one LeadGetCommand of a batch, or that
// command's own error: ErrNotFound for a lead that does not exist, an
// unreadable result ErrInvalid, classified as LeadGet's are.
func LeadOf(r BatchResult) (*Lead, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	return decodeLead(r.Result)
}

func decodeLead(raw json.RawMessage) (*Lead, error) {
	var l Lead
	if err := decodeResult("crm.lead.get", raw, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// LeadDelete deletes a lead (crm.lead.delete).
func (c *Client) LeadDelete(ctx context.Context, id int64) error {
	return c.callOK(ctx, "crm.lead.delete", map[string]any{"id": id})
}

// ListOptions are the arguments of one page of a list method.
type ListOptions struct {
	Filter map[string]any
	Select []string
	Order  map[string]string
	Start  int // offset; -1 skips counting
}

func (o ListOptions) params() map[string]any {
	p := map[string]any{"start": o.Start}
	if len(o.Filter) > 0 {
		p["filter"] = o.Filter
	}
	if len(o.Select) > 0 {
		p["select"] = o.Select
	}
	if len(o.Order) > 0 {
		p["order"] = o.Order
	}
	return p
}

// LeadList reads one page of leads (crm.lead.list); next is the offset of
// the following page, nil on the last one. Use ScanLeads for all rows.
func (c *Client) LeadList(ctx context.Context, opt ListOptions) (leads []Lead, next *int, err error) {
	resp, err := c.Call(ctx, "crm.lead.list", opt.params())
	if err != nil {
		return nil, nil, err
	}
	leads, err = decodeList[Lead]("crm.lead.list", resp.Result)
	return leads, resp.Next, err
}

// ScanLeads calls fn for every lead matching filter (see Scan).
func (c *Client) ScanLeads(ctx context.Context, filter map[string]any, selectFields []string, fn func(*Lead) error) error {
	p := map[string]any{}
	if filter != nil {
		p["filter"] = filter
	}
	if len(selectFields) > 0 {
		p["select"] = selectFields
	}
	return c.Scan(ctx, "crm.lead.list", p, func(row json.RawMessage) error {
		var l Lead
		if err := json.Unmarshal(row, &l); err != nil {
			return &APIError{Method: "crm.lead.list", Kind: ErrInvalid, Description: "unreadable lead row"}
		}
		return fn(&l)
	})
}

// FieldInfo describes one field of crm.lead.fields.
type FieldInfo struct {
	Type       string     `json:"type"`
	IsRequired FlexBool   `json:"isRequired"`
	IsReadOnly FlexBool   `json:"isReadOnly"`
	IsMultiple FlexBool   `json:"isMultiple"`
	Title      FlexString `json:"title"`
	ListLabel  FlexString `json:"listLabel"`
	FormLabel  FlexString `json:"formLabel"`
	Items      []EnumItem `json:"items"`
}

// EnumItem is one value of an enumeration user field; write it by ID.
// XMLID is the item's key as crm.lead.userfield.list returns it.
type EnumItem struct {
	ID    FlexInt    `json:"ID"`
	Value FlexString `json:"VALUE"`
	XMLID FlexString `json:"XML_ID"`
}

// LeadFields describes every lead field, user fields included
// (crm.lead.fields).
func (c *Client) LeadFields(ctx context.Context) (map[string]FieldInfo, error) {
	var out map[string]FieldInfo
	if err := c.callInto(ctx, "crm.lead.fields", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ItemUpdate updates a CRM item through crm.item.update (camelCase fields;
// entityTypeID 1 is a lead). Use it for file fields: a multiple file field
// is rewritten, file IDs not re-sent are deleted.
func (c *Client) ItemUpdate(ctx context.Context, entityTypeID, id int64, fields map[string]any) error {
	_, err := c.Do(ctx, ItemUpdateCommand(entityTypeID, KnownID(id), fields))
	return err
}
