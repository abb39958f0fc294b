package bitrix

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// LeadDocumentType is the bizproc document type of leads: module, entity,
// document type.
var LeadDocumentType = []string{"crm", "CCrmDocumentLead", "LEAD"}

// LeadDocumentID is the bizproc document ID of lead id.
func LeadDocumentID(id int64) []string {
	return []string{"crm", "CCrmDocumentLead", "LEAD_" + strconv.FormatInt(id, 10)}
}

// WorkflowTemplate is a business process template. AutoExecute: 0 none,
// 1 on create, 2 on update, 3 both (a template that starts by itself must
// not be started again).
type WorkflowTemplate struct {
	ID           FlexInt      `json:"ID"`
	Name         FlexString   `json:"NAME"`
	AutoExecute  FlexInt      `json:"AUTO_EXECUTE"`
	ModuleID     FlexString   `json:"MODULE_ID"`
	Entity       FlexString   `json:"ENTITY"`
	DocumentType DocumentType `json:"DOCUMENT_TYPE"`
}

// StartsOnCreate reports whether the portal starts the template by itself
// for every new document (AUTO_EXECUTE 1 or 3), whatever b24desk does.
func (t WorkflowTemplate) StartsOnCreate() bool { return t.AutoExecute == 1 || t.AutoExecute == 3 }

// DocumentType is the DOCUMENT_TYPE of a workflow template: the docs show a
// string ("LEAD", api-reference/bizproc/template/bizproc-workflow-template-list.md),
// some portals answer the three-element array ["crm", "CCrmDocumentLead",
// "LEAD"]; both decode to the last part.
type DocumentType string

// UnmarshalJSON accepts a string, an array of strings (the last one
// counts) or null.
func (d *DocumentType) UnmarshalJSON(data []byte) error {
	var list []FlexString
	if err := json.Unmarshal(data, &list); err == nil {
		*d = ""
		if len(list) > 0 {
			*d = DocumentType(list[len(list)-1])
		}
		return nil
	}
	var s FlexString
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("DOCUMENT_TYPE: %w", err)
	}
	*d = DocumentType(s)
	return nil
}

// WorkflowInstance is a running business process.
type WorkflowInstance struct {
	ID         FlexString `json:"ID"`
	TemplateID FlexInt    `json:"TEMPLATE_ID"`
	DocumentID FlexString `json:"DOCUMENT_ID"`
	Started    FlexTime   `json:"STARTED"`
	Modified   FlexTime   `json:"MODIFIED"`
}

// WorkflowTemplateList returns the templates for documentType (module,
// entity, type: e.g. LeadDocumentType), every page of them. The filter
// names MODULE_ID, ENTITY and DOCUMENT_TYPE as three values, as the docs
// show (api-reference/bizproc/template/bizproc-workflow-template-list.md);
// rows of another document type are dropped should the portal not filter.
func (c *Client) WorkflowTemplateList(ctx context.Context, documentType []string) ([]WorkflowTemplate, error) {
	if len(documentType) != 3 {
		return nil, &APIError{Method: "bizproc.workflow.template.list", Kind: ErrInvalid,
			Description: "document type must be [module, entity, type]"}
	}
	list, err := ListPages[WorkflowTemplate](ctx, c, "bizproc.workflow.template.list", map[string]any{
		"SELECT": []string{"ID", "NAME", "AUTO_EXECUTE", "MODULE_ID", "ENTITY", "DOCUMENT_TYPE"},
		"FILTER": map[string]any{"MODULE_ID": documentType[0], "ENTITY": documentType[1], "DOCUMENT_TYPE": documentType[2]},
		"ORDER":  map[string]any{"ID": "ASC"},
	})
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, t := range list {
		if (t.ModuleID == "" || string(t.ModuleID) == documentType[0]) &&
			(t.Entity == "" || string(t.Entity) == documentType[1]) &&
			(t.DocumentType == "" || string(t.DocumentType) == documentType[2]) {
			out = append(out, t)
		}
	}
	return out, nil
}

// WorkflowStart starts template templateID on documentID (LeadDocumentID)
// and returns the instance ID. Not idempotent.
func (c *Client) WorkflowStart(ctx context.Context, templateID int64, documentID []string, parameters map[string]any) (string, error) {
	cmd := WorkflowStartCommand(templateID, documentID, parameters)
	var id FlexString
	if err := c.callInto(ctx, cmd.Method, cmd.Params, &id); err != nil {
		return "", err
	}
	return string(id), nil
}

// WorkflowInstances returns running instances matching filter (e.g.
// {"DOCUMENT_ID": "LEAD_7"}).
func (c *Client) WorkflowInstances(ctx context.Context, filter map[string]any) ([]WorkflowInstance, error) {
	p := map[string]any{"SELECT": []string{"ID", "TEMPLATE_ID", "DOCUMENT_ID", "STARTED", "MODIFIED"}}
	if len(filter) > 0 {
		p["FILTER"] = filter
	}
	resp, err := c.Call(ctx, "bizproc.workflow.instances", p)
	if err != nil {
		return nil, err
	}
	return decodeList[WorkflowInstance]("bizproc.workflow.instances", resp.Result)
}

// WorkflowTerminate stops instance id with a status text.
func (c *Client) WorkflowTerminate(ctx context.Context, id, status string) error {
	_, err := c.Call(ctx, "bizproc.workflow.terminate", map[string]any{"ID": id, "STATUS": status})
	return err
}
