package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// LeadID is a placeholder for the ID of the lead created by the group's
// lead.add row. As a whole JSON string ("$b24d.lead_id") it becomes a
// number; inside a string ("LEAD_$b24d.lead_id") it becomes the digits. It is
// filled at send time, so a row enqueued with the lead.add can use it.
const LeadID = "$b24d.lead_id"

// LeadIDFromResult reads a lead ID from a lead.add result or from a JSON
// number or numeric string.
func LeadIDFromResult(result json.RawMessage) (int64, error) {
	s := strings.Trim(string(bytes.TrimSpace(result)), `"`)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("not a lead ID: %.40q", string(result))
	}
	return id, nil
}

// resolve fills the LeadID placeholder in the row's payload.
func (o *Outbox) resolve(ctx context.Context, row Row) (Row, error) {
	if !bytes.Contains(row.Payload, []byte(LeadID)) {
		return row, nil
	}
	if row.GroupKey == "" {
		return row, fmt.Errorf("payload uses %s but the row has no group", LeadID)
	}
	res, found, err := o.store.OutboxGroupResult(ctx, row.GroupKey, KindLeadAdd)
	if err != nil {
		return row, err
	}
	if !found {
		return row, fmt.Errorf("payload uses %s but group %q has no done %s", LeadID, row.GroupKey, KindLeadAdd)
	}
	id, err := LeadIDFromResult(res)
	if err != nil {
		return row, fmt.Errorf("group %q %s result: %w", row.GroupKey, KindLeadAdd, err)
	}
	digits := []byte(strconv.FormatInt(id, 10))
	p := bytes.ReplaceAll(row.Payload, []byte(`"`+LeadID+`"`), digits)
	row.Payload = bytes.ReplaceAll(p, []byte(LeadID), digits)
	return row, nil
}
