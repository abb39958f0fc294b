package bitrix

import (
	"context"
	"strconv"
)

// LeadDocumentType is the bizproc document type of leads.
var LeadDocumentType = []string{"crm", "CCrmDocumentLead", "LEAD"}

// LeadDocumentID is the bizproc document ID of lead id.
func LeadDocumentID(id int64) []string {
	return []string{"crm", "CCrmDocumentLead", "LEAD_" + strconv.FormatInt(id, 10)}
}

// WorkflowTemplate is a business process template. AutoExecute: 0 none,
// 1 on create, 2 on update, 3 both (a template that starts on create must
// not be started again).
type WorkflowTemplate struct {
	ID           FlexInt    `json:"ID"`
	Name         FlexString `json:"NAME"`
	AutoExecute  FlexInt    `json:"AUTO_EXECUTE"`
	DocumentType []string   `json:"DOCUMENT_TYPE"`
}

// WorkflowInstance is a running business process.
type WorkflowInstance struct {
	ID         FlexString `json:"ID"`
	TemplateID FlexInt    `json:"TEMPLATE_ID"`
	DocumentID FlexString `json:"DOCUMENT_ID"`
	Started    FlexTime   `json:"STARTED"`
	Modified   FlexTime   `json:"MODIFIED"`
}

// WorkflowTemplateList returns the templates for documentType (e.g.
// LeadDocumentType).
func (c *Client) WorkflowTemplateList(ctx context.Context, documentType []string) ([]WorkflowTemplate, error) {
	resp, err := c.Call(ctx, "bizproc.workflow.template.list", map[string]any{
		"SELECT": []string{"ID", "NAME", "AUTO_EXECUTE", "DOCUMENT_TYPE"},
		"FILTER": map[string]any{"DOCUMENT_TYPE": documentType},
	})
	if err != nil {
		return nil, err
	}
	return decodeList[WorkflowTemplate]("bizproc.workflow.template.list", resp.Result)
}

// WorkflowStart starts template templateID on documentID (LeadDocumentID)
// and returns the instance ID. Not idempotent.
func (c *Client) WorkflowStart(ctx context.Context, templateID int64, documentID []string, parameters map[string]any) (string, error) {
	p := map[string]any{"TEMPLATE_ID": templateID, "DOCUMENT_ID": documentID}
	if len(parameters) > 0 {
		p["PARAMETERS"] = parameters
	}
	var id FlexString
	if err := c.callInto(ctx, "bizproc.workflow.start", p, &id); err != nil {
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
