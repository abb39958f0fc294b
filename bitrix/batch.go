package bitrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxBatch is the portal's limit of commands in one batch request.
const MaxBatch = 50

// BatchCmd is one command of a batch. Params are encoded with EncodeQuery;
// a value may refer to an earlier command's result, e.g. "$result[a][ID]"
// or "$result[list][49][ID]", but only to a command in the same chunk of
// MaxBatch commands (Batch splits longer lists into chunks sent one after
// the other).
type BatchCmd struct {
	Key    string // unique within the batch; empty: "cmd_<index>"
	Method string
	Params map[string]any
}

// BatchResult is the outcome of one command: Result or Err (an *APIError
// wrapping a sentinel; ErrSkipped when halt stopped the batch before it).
type BatchResult struct {
	Key    string
	Result json.RawMessage
	Err    error
	Next   *int
	Total  int
	Time   Time
}

// Batch runs cmds in chunks of MaxBatch, one request per chunk, and
// returns one result per command in order. With halt, the portal stops a
// chunk at its first failing command and Batch sends no further chunk.
//
// A chunk is retried after a timeout or a 5xx only if all its commands
// are reads or idempotent writes; otherwise Batch stops and returns the
// results so far with an error wrapping ErrOutcomeUnknown: some commands
// of the chunk may have been applied, so the caller looks them up by their
// keys before sending them again.
func (c *Client) Batch(ctx context.Context, cmds []BatchCmd, halt bool) ([]BatchResult, error) {
	out := make([]BatchResult, 0, len(cmds))
	keys := make(map[string]bool, len(cmds))
	for i := range cmds {
		k := batchKey(cmds[i], i)
		if keys[k] {
			return nil, &APIError{Method: "batch", Kind: ErrInvalid, Description: fmt.Sprintf("duplicate command key %q", k)}
		}
		keys[k] = true
	}
	for start := 0; start < len(cmds); start += MaxBatch {
		end := min(start+MaxBatch, len(cmds))
		res, err := c.batchChunk(ctx, cmds[start:end], start, halt)
		out = append(out, res...)
		if err != nil {
			return out, err
		}
		if halt {
			for _, r := range res {
				if r.Err != nil {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

func batchKey(cmd BatchCmd, i int) string {
	if cmd.Key != "" {
		return cmd.Key
	}
	return "cmd_" + strconv.Itoa(i)
}

// batchSection is the inner "result" object of a batch answer.
type batchSection struct {
	Result      FlexMap `json:"result"`
	ResultError FlexMap `json:"result_error"`
	ResultTotal FlexMap `json:"result_total"`
	ResultNext  FlexMap `json:"result_next"`
	ResultTime  FlexMap `json:"result_time"`
}

func (c *Client) batchChunk(ctx context.Context, cmds []BatchCmd, offset int, halt bool) ([]BatchResult, error) {
	var cmdJSON bytes.Buffer
	cmdJSON.WriteByte('{')
	safe := true
	seen := map[string]bool{}
	for i, cmd := range cmds {
		if i > 0 {
			cmdJSON.WriteByte(',')
		}
		k, _ := json.Marshal(batchKey(cmd, offset+i))
		line := cmd.Method
		if q := EncodeQuery(cmd.Params); q != "" {
			line += "?" + q
		}
		v, _ := json.Marshal(line)
		cmdJSON.Write(k)
		cmdJSON.WriteByte(':')
		cmdJSON.Write(v)
		safe = safe && idempotent(cmd.Method)
		m := strings.ToLower(cmd.Method)
		if !seen[m] {
			seen[m] = true
			if err := c.waitOperating(ctx, m); err != nil {
				return nil, c.ctxError("batch", err)
			}
		}
	}
	cmdJSON.WriteByte('}')
	haltVal := json.RawMessage("0")
	if halt {
		haltVal = json.RawMessage("1")
	}
	body := map[string]json.RawMessage{"halt": haltVal, "cmd": cmdJSON.Bytes()}
	resp, err := c.call(ctx, "batch", body, safe)
	if err != nil {
		return nil, err
	}
	var sec batchSection
	if err := json.Unmarshal(resp.Result, &sec); err != nil {
		return nil, &APIError{Method: "batch", Kind: ErrTransient, Description: "unreadable batch answer"}
	}
	now := c.clk.Now()
	out := make([]BatchResult, len(cmds))
	for i, cmd := range cmds {
		key := batchKey(cmd, offset+i)
		r := BatchResult{Key: key, Time: parseTime(sec.ResultTime[key])}
		c.operating.observe(strings.ToLower(cmd.Method), r.Time, now)
		if raw, ok := sec.ResultError[key]; ok {
			r.Err = batchError(cmd.Method, raw, c.secrets)
			if errors.Is(r.Err, ErrOperatingLimit) {
				c.operating.refused(strings.ToLower(cmd.Method), r.Time.OperatingResetAt, now)
			}
		} else if raw, ok := sec.Result[key]; ok {
			r.Result = raw
			if n, ok := rawInt(sec.ResultNext[key]); ok {
				r.Next = &n
			}
			r.Total, _ = rawInt(sec.ResultTotal[key])
		} else {
			r.Err = &APIError{Method: cmd.Method, Kind: ErrSkipped}
		}
		out[i] = r
	}
	return out, nil
}

// batchError classifies one command's error object.
func batchError(method string, raw json.RawMessage, secrets *redactor) error {
	var e struct {
		Error            FlexString `json:"error"`
		ErrorDescription FlexString `json:"error_description"`
	}
	if json.Unmarshal(raw, &e) != nil {
		// Some portals send a bare string.
		var s string
		_ = json.Unmarshal(raw, &s)
		e.ErrorDescription = FlexString(s)
	}
	code, desc := string(e.Error), secrets.redact(string(e.ErrorDescription))
	return &APIError{Method: method, Code: code, Description: desc, Kind: Classify(0, code, desc)}
}
