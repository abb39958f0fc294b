package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/rs/zerolog"
)

type okPortal struct{}

func (okPortal) Call(context.Context, string, any) (*bitrix.Response, error) {
	return &bitrix.Response{Result: json.RawMessage("101")}, nil
}

// BenchmarkDeliver measures the outbox's own cost per row (enqueue, the
// pre-call save, the completion transaction) with an instant portal.
func BenchmarkDeliver(b *testing.B) {
	st, err := store.Open(context.Background(), b.TempDir(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ob := New(st, okPortal{}, clock.NewManual(t0), zerolog.Nop(), Config{Jitter: -1})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := ob.Enqueue(ctx, nil, Entry{Kind: KindLeadAdd, DedupeKey: fmt.Sprint("k", i),
			GroupKey: GroupFor(fmt.Sprint(i % 100)), Payload: map[string]any{"fields": map[string]any{"TITLE": "x"}}}); err != nil {
			b.Fatal(err)
		}
		if i%50 == 49 {
			if err := ob.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := ob.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDueScan measures one DueOutbox query over a large backlog with
// many groups (what each round of the worker pays).
func BenchmarkDueScan(b *testing.B) {
	st, err := store.Open(context.Background(), b.TempDir(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	err = st.WithTx(ctx, func(tx *store.Tx) error {
		for i := range 20000 {
			if _, _, err := tx.EnqueueOutbox(ctx, store.OutboxRow{Kind: KindLeadUpdate, Payload: json.RawMessage(`{}`),
				DedupeKey: fmt.Sprint("k", i), GroupKey: GroupFor(fmt.Sprint(i % 2000))}, t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rows, err := st.DueOutbox(ctx, t0, 50)
		if err != nil || len(rows) != 50 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}
