package bitrix

import (
	"context"
	"maps"
)

// maxPages bounds ListPages: 1,000 pages of 50 rows. The dictionaries it
// reads (user fields, statuses, workflow templates) are far smaller.
const maxPages = 1000

// ListPages reads every page of a list method that pages with start = 0,
// 50, 100... and says so with next (crm.lead.userfield.list,
// crm.status.list, bizproc.workflow.template.list: at most 50 rows a page,
// bitrix24-api.md §5–§9), and decodes the rows. params is not changed; its
// start is replaced. For big tables use Client.Scan (>ID paging, cheaper on
// the portal).
func ListPages[T any](ctx context.Context, c *Client, method string, params map[string]any) ([]T, error) {
	p := maps.Clone(params)
	if p == nil {
		p = map[string]any{}
	}
	var out []T
	start := 0
	for range maxPages {
		p["start"] = start
		resp, err := c.Call(ctx, method, p)
		if err != nil {
			return nil, err
		}
		rows, err := decodeList[T](method, resp.Result)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if resp.Next == nil || *resp.Next <= start || len(rows) == 0 {
			return out, nil
		}
		start = *resp.Next
	}
	return nil, &APIError{Method: method, Kind: ErrInvalid, Description: "more than 1000 pages: next never ends"}
}
