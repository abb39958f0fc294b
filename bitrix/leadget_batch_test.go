package bitrix_test

import (
	"context"
	"errors"
	"testing"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
)

// TestLeadGetInBatch: crm.lead.get commands in one batch request, each
// result decoded on its own: the leads that exist, and the one that does
// not as its own ErrNotFound, as LeadGet answers.
func TestLeadGetInBatch(t *testing.T) {
	p, _, c := startSim(t, sim.Options{NoLimits: true}, bitrix.Config{})
	ctx := context.Background()
	a, err := c.LeadAdd(ctx, map[string]any{"TITLE": "a", "STATUS_ID": "NEW"}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.LeadAdd(ctx, map[string]any{"TITLE": "b", "STATUS_ID": "NEW"}, false)
	if err != nil {
		t.Fatal(err)
	}
	p.ResetCalls()
	res, err := c.Batch(ctx, []bitrix.BatchCmd{bitrix.LeadGetCommand(a), bitrix.LeadGetCommand(b + 100), bitrix.LeadGetCommand(b)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Calls()); n != 1 {
		t.Fatalf("%d requests, want 1 batch", n)
	}
	for i, want := range []struct {
		id    int64
		title string
	}{{a, "a"}, {0, ""}, {b, "b"}} {
		lead, err := bitrix.LeadOf(res[i])
		if want.id == 0 {
			if !errors.Is(err, bitrix.ErrNotFound) || lead != nil {
				t.Fatalf("missing lead: %v, %v; want ErrNotFound", lead, err)
			}
			_, single := c.LeadGet(ctx, b+100)
			if !errors.Is(single, bitrix.ErrNotFound) {
				t.Fatalf("LeadGet of the missing lead: %v", single)
			}
			continue
		}
		if err != nil || lead.ID != want.id || lead.Title != want.title {
			t.Fatalf("command %d: %+v, %v", i, lead, err)
		}
	}
	if _, err := bitrix.LeadOf(bitrix.BatchResult{Result: []byte(`"garbled"`)}); !errors.Is(err, bitrix.ErrInvalid) {
		t.Fatalf("garbled result: %v, want ErrInvalid", err)
	}
}
