package bitrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
)

// PageSize is the number of rows a list method returns per page.
const PageSize = 50

// Scan calls fn for every row of a list method (crm.lead.list,
// crm.status.list...) whose result is an array of rows with an "ID". It
// orders by ID ascending and pages with filter >ID and start=-1 (no
// counting), chaining up to MaxBatch pages in one batch request
// ($result[cmd_{i-1}][49][ID]), so one request brings up to 2,500 rows;
// when batch is refused it falls back to one page per request. Every row
// present from the start to the end of the scan is seen exactly once, even
// while others are added or deleted; memory does not grow with the number
// of rows. params may hold filter (">ID" in it sets the starting point),
// select (ID is added when missing) and other arguments; order and start
// are replaced. fn's error stops the scan and is returned as is.
func (c *Client) Scan(ctx context.Context, method string, params map[string]any, fn func(row json.RawMessage) error) error {
	s, err := newScanner(c, method, params)
	if err != nil {
		return err
	}
	return s.run(ctx, fn)
}

// ScanSeq is Scan as an iterator; an error is yielded once, last.
func (c *Client) ScanSeq(ctx context.Context, method string, params map[string]any) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		stop := errors.New("stop")
		err := c.Scan(ctx, method, params, func(row json.RawMessage) error {
			if !yield(row, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(nil, err)
		}
	}
}

type scanner struct {
	c       *Client
	method  string
	base    map[string]any // params without the cursor
	filter  map[string]any
	cursor  int64
	noBatch bool
}

func newScanner(c *Client, method string, params map[string]any) (*scanner, error) {
	s := &scanner{c: c, method: method, base: map[string]any{}, filter: map[string]any{}}
	for k, v := range params {
		switch k {
		case "order", "start":
		case "filter":
			f, ok := v.(map[string]any)
			if !ok {
				return nil, &APIError{Method: method, Kind: ErrInvalid, Description: "scan: filter must be a map[string]any"}
			}
			for fk, fv := range f {
				if fk == ">ID" {
					n, err := strconv.ParseInt(fmt.Sprint(fv), 10, 64)
					if err != nil {
						return nil, &APIError{Method: method, Kind: ErrInvalid, Description: "scan: filter >ID must be an integer"}
					}
					s.cursor = n
					continue
				}
				s.filter[fk] = fv
			}
		case "select":
			s.base[k] = withID(v)
		default:
			s.base[k] = v
		}
	}
	s.base["order"] = map[string]any{"ID": "ASC"}
	s.base["start"] = -1
	return s, nil
}

// withID adds "ID" to a select list that lacks it.
func withID(v any) any {
	var list []any
	switch x := v.(type) {
	case []string:
		for _, s := range x {
			list = append(list, s)
		}
	case []any:
		list = append(list, x...)
	default:
		return v
	}
	for _, e := range list {
		if s, ok := e.(string); ok && (s == "ID" || s == "*") {
			return list
		}
	}
	return append(list, "ID")
}

// params returns one page's params with the given >ID value.
func (s *scanner) params(after any) map[string]any {
	p := make(map[string]any, len(s.base)+1)
	for k, v := range s.base {
		p[k] = v
	}
	f := make(map[string]any, len(s.filter)+1)
	for k, v := range s.filter {
		f[k] = v
	}
	f[">ID"] = after
	p["filter"] = f
	return p
}

func (s *scanner) run(ctx context.Context, fn func(json.RawMessage) error) error {
	// The first page alone: most scans of small tables end here.
	full, err := s.page(ctx, fn)
	for err == nil && full {
		if s.noBatch {
			full, err = s.page(ctx, fn)
		} else {
			full, err = s.chain(ctx, fn)
		}
	}
	return err
}

// page fetches one page with a plain call; full reports a full page.
func (s *scanner) page(ctx context.Context, fn func(json.RawMessage) error) (bool, error) {
	resp, err := s.c.Call(ctx, s.method, s.params(s.cursor))
	if err != nil {
		return false, err
	}
	return s.emit(resp.Result, fn)
}

// chain fetches up to MaxBatch chained pages in one batch request.
func (s *scanner) chain(ctx context.Context, fn func(json.RawMessage) error) (bool, error) {
	cmds := make([]BatchCmd, MaxBatch)
	for i := range cmds {
		var after any = s.cursor
		if i > 0 {
			after = fmt.Sprintf("$result[cmd_%d][%d][ID]", i-1, PageSize-1)
		}
		cmds[i] = BatchCmd{Key: "cmd_" + strconv.Itoa(i), Method: s.method, Params: s.params(after)}
	}
	res, err := s.c.Batch(ctx, cmds, true)
	if err != nil {
		if errors.Is(err, ErrMethodNotFound) || errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrInvalid) {
			s.c.log.Warn().Str("method", s.method).Str("error", err.Error()).Msg("batch refused: scanning one page per request")
			s.noBatch = true
			return true, nil
		}
		return false, err
	}
	for _, r := range res {
		if r.Err != nil {
			return false, r.Err
		}
		full, err := s.emit(r.Result, fn)
		if err != nil || !full {
			return false, err
		}
	}
	return true, nil
}

// emit passes a page's rows to fn, advances the cursor and reports whether
// the page was full.
func (s *scanner) emit(result json.RawMessage, fn func(json.RawMessage) error) (bool, error) {
	var rows []json.RawMessage
	if err := json.Unmarshal(result, &rows); err != nil {
		var empty map[string]json.RawMessage
		if json.Unmarshal(result, &empty) == nil && len(empty) == 0 {
			return false, nil // [] sent as {}
		}
		return false, &APIError{Method: s.method, Kind: ErrInvalid, Description: "scan: result is not a list of rows"}
	}
	for _, row := range rows {
		var id struct {
			ID FlexInt `json:"ID"`
		}
		if err := json.Unmarshal(row, &id); err != nil || id.ID == 0 {
			return false, &APIError{Method: s.method, Kind: ErrInvalid, Description: "scan: row without a numeric ID"}
		}
		if int64(id.ID) <= s.cursor {
			continue // never repeat a row (a portal ignoring the filter)
		}
		s.cursor = int64(id.ID)
		if err := fn(row); err != nil {
			return false, err
		}
	}
	return len(rows) >= PageSize, nil
}
