package bitrix

import (
	"context"
	"encoding/json"
)

// callInto runs method and decodes its result into out (tolerantly, via the
// Flex types in out's definition).
func (c *Client) callInto(ctx context.Context, method string, params any, out any) error {
	resp, err := c.Call(ctx, method, params)
	if err != nil {
		return err
	}
	return decodeResult(method, resp.Result, out)
}

func decodeResult(method string, raw json.RawMessage, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return &APIError{Method: method, Kind: ErrInvalid, Description: "unexpected result: " + err.Error()}
	}
	return nil
}

// decodeList decodes a list result that may come as [] or as an object
// keyed by index (or as {} when empty).
func decodeList[T any](method string, raw json.RawMessage) ([]T, error) {
	var list []T
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var m FlexMap
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &APIError{Method: method, Kind: ErrInvalid, Description: "unexpected result: not a list"}
	}
	for _, v := range m {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, &APIError{Method: method, Kind: ErrInvalid, Description: "unexpected result: " + err.Error()}
		}
		list = append(list, x)
	}
	return list, nil
}

// callID runs a method whose result is a new record's ID.
func (c *Client) callID(ctx context.Context, method string, params any) (int64, error) {
	var id FlexInt
	if err := c.callInto(ctx, method, params, &id); err != nil {
		return 0, err
	}
	return int64(id), nil
}

// callOK runs a method whose result is true on success.
func (c *Client) callOK(ctx context.Context, method string, params any) error {
	resp, err := c.Call(ctx, method, params)
	if err != nil {
		return err
	}
	var ok FlexBool
	if json.Unmarshal(resp.Result, &ok) == nil && !ok {
		return &APIError{Method: method, Kind: ErrInvalid, Description: "the portal answered false"}
	}
	return nil
}
