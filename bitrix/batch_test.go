package bitrix

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestBatchAnswerShapes(t *testing.T) {
	// Empty sections come as [], errors per command, a halted tail.
	c, fp, _ := newTestClient(t, ok(`{"result":{"a":{"ID":"1"},"b":[{"ID":"2"}]},"result_error":{"c":{"error":"","error_description":"Not found"}},
		"result_total":{"b":"120"},"result_next":{"b":50},"result_time":[]}`))
	res, err := c.Batch(context.Background(), []BatchCmd{
		{Key: "a", Method: "crm.lead.get", Params: map[string]any{"id": 1}},
		{Key: "b", Method: "crm.lead.list", Params: map[string]any{"filter": map[string]any{">ID": "$result[a][ID]"}}},
		{Key: "c", Method: "crm.lead.get", Params: map[string]any{"id": 3}},
		{Key: "d", Method: "crm.lead.get", Params: map[string]any{"id": 4}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	if string(res[0].Result) != `{"ID":"1"}` || res[0].Err != nil {
		t.Errorf("a: %+v", res[0])
	}
	if res[1].Total != 120 || res[1].Next == nil || *res[1].Next != 50 {
		t.Errorf("b: %+v", res[1])
	}
	if !errors.Is(res[2].Err, ErrNotFound) || !errors.Is(res[3].Err, ErrSkipped) {
		t.Errorf("c, d: %v, %v", res[2].Err, res[3].Err)
	}
	var body struct {
		Halt int               `json:"halt"`
		Cmd  map[string]string `json:"cmd"`
	}
	raw := fp.requests()[0].body
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Halt != 1 || body.Cmd["b"] != "crm.lead.list?filter%5B%3EID%5D=%24result%5Ba%5D%5BID%5D" {
		t.Errorf("sent %s", raw)
	}
	// The commands keep their order in the JSON object.
	if ia, ib, ic := strings.Index(string(raw), `"a"`), strings.Index(string(raw), `"b"`), strings.Index(string(raw), `"c"`); !(ia < ib && ib < ic) {
		t.Errorf("command order lost: %s", raw)
	}
}

func TestBatchUnknownOutcome(t *testing.T) {
	tests := []struct {
		name     string
		cmds     []BatchCmd
		want     error
		requests int
	}{
		{"reads are retried", []BatchCmd{{Method: "crm.lead.get"}, {Method: "crm.lead.list"}}, ErrTransient, 4},
		{"idempotent writes are retried", []BatchCmd{{Method: "crm.lead.update"}, {Method: "crm.lead.get"}}, ErrTransient, 4},
		{"an add makes the chunk unknown", []BatchCmd{{Method: "crm.lead.get"}, {Method: "crm.lead.add"}}, ErrOutcomeUnknown, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fp, _ := newTestClient(t, jsonErr(500, "INTERNAL_SERVER_ERROR", ""))
			_, err := c.Batch(context.Background(), tt.cmds, false)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if n := len(fp.requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestBatchChunksAndDuplicateKeys(t *testing.T) {
	c, fp, _ := newTestClient(t, ok(`{"result":[],"result_error":[]}`))
	cmds := make([]BatchCmd, 101)
	for i := range cmds {
		cmds[i] = BatchCmd{Method: "crm.lead.get", Params: map[string]any{"id": i}}
	}
	res, err := c.Batch(context.Background(), cmds, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(fp.requests()) != 3 || len(res) != 101 || res[100].Key != "cmd_100" || !errors.Is(res[100].Err, ErrSkipped) {
		t.Errorf("%d requests, %d results, last %+v", len(fp.requests()), len(res), res[100])
	}
	_, err = c.Batch(context.Background(), []BatchCmd{{Key: "x", Method: "a.get"}, {Key: "x", Method: "b.get"}}, false)
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate keys: %v", err)
	}
}

func TestScanFallsBackToPages(t *testing.T) {
	page := func(from int) answer {
		rows := make([]string, 0, 50)
		for id := from; id < from+50 && id <= 120; id++ {
			rows = append(rows, `{"ID":"`+jsonInt(int64(id))+`"}`)
		}
		return ok("[" + strings.Join(rows, ",") + "]")
	}
	c, fp, _ := newTestClient(t, page(1), jsonErr(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"), page(51), page(101))
	var ids []int64
	err := c.Scan(context.Background(), "crm.lead.list", nil, func(row json.RawMessage) error {
		var r struct{ ID FlexInt }
		_ = json.Unmarshal(row, &r)
		ids = append(ids, int64(r.ID))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 120 || ids[119] != 120 {
		t.Errorf("%d rows", len(ids))
	}
	got := fp.requests()
	if len(got) != 4 || !strings.HasSuffix(got[1].path, "/batch") || !strings.Contains(string(got[3].body), `ID":100`) {
		t.Errorf("requests: %d, second %s, last body %s", len(got), got[1].path, got[3].body)
	}
	stop := errors.New("enough")
	c2, _, _ := newTestClient(t, page(1))
	if err := c2.Scan(context.Background(), "crm.lead.list", nil, func(json.RawMessage) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error not returned: %v", err)
	}
}

func TestCallRejectsBadMethodNames(t *testing.T) {
	c, fp, _ := newTestClient(t, ok(`true`))
	for _, m := range []string{"", "crm.lead.get?auth=x", "../../x", "crm lead"} {
		if _, err := c.Call(context.Background(), m, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Call(%q) = %v", m, err)
		}
	}
	if len(fp.requests()) != 0 {
		t.Error("a bad method name was sent")
	}
}
