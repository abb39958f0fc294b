package events

import (
	"context"
	"sync"
	"time"
)

// MemoryQueue is a Queue kept in memory: for tests, and for a daemon whose
// state store has no event queue (reconcile then recovers what a crash
// loses). Dedupe keys are kept until Prune. Safe for concurrent use.
type MemoryQueue struct {
	mu    sync.Mutex
	seq   int64
	items []*memItem
	seen  map[string]time.Time
}

type memItem struct {
	q    Queued
	next time.Time
}

// NewMemoryQueue returns an empty queue.
func NewMemoryQueue() *MemoryQueue {
	return &MemoryQueue{seen: map[string]time.Time{}}
}

// Record appends c unless dedupeKey was seen before.
func (m *MemoryQueue) Record(_ context.Context, c Change, dedupeKey string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.seen[dedupeKey]; ok {
		return false, nil
	}
	m.seen[dedupeKey] = c.At
	m.seq++
	m.items = append(m.items, &memItem{q: Queued{ID: m.seq, Change: c}})
	return true, nil
}

// Pending returns up to limit changes due at now, oldest first.
func (m *MemoryQueue) Pending(_ context.Context, now time.Time, limit int) ([]Queued, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Queued
	for _, it := range m.items {
		if len(out) >= limit {
			break
		}
		if !it.next.After(now) {
			out = append(out, it.q)
		}
	}
	return out, nil
}

// Done removes the change with this ID.
func (m *MemoryQueue) Done(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, it := range m.items {
		if it.q.ID == id {
			m.items = append(m.items[:i], m.items[i+1:]...)
			return nil
		}
	}
	return nil
}

// Retry counts an attempt and sets the next one.
func (m *MemoryQueue) Retry(_ context.Context, id int64, next time.Time, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range m.items {
		if it.q.ID == id {
			it.q.Attempts++
			it.next = next
		}
	}
	return nil
}

// Len returns the number of changes not yet done.
func (m *MemoryQueue) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Prune forgets dedupe keys of changes noticed before t.
func (m *MemoryQueue) Prune(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, at := range m.seen {
		if at.Before(t) {
			delete(m.seen, k)
		}
	}
}
