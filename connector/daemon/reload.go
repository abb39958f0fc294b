package daemon

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/rules"
)

// RulesHolder keeps the rules in force. Parts read them through Get (a
// func() *rules.Rules); Reload swaps them atomically, keeping the old rules
// when the file is broken.
type RulesHolder struct {
	path    string
	clk     clock.Clock
	log     zerolog.Logger
	metrics *metrics.Metrics
	cur     atomic.Pointer[rules.Rules]

	mu   sync.Mutex  // serialises Reload and guards seen
	seen []fileStamp // the rules file's, then those of the files it imports
}

// fileStamp is what the watcher compares: a changed modification time or
// size means the file was written.
type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

// stamps returns the stamps of the rules file and of the production
// calendar files the rules in force import.
func (h *RulesHolder) stamps() []fileStamp {
	out := []fileStamp{stampOf(h.path)}
	if r := h.cur.Load(); r != nil {
		for _, f := range r.ImportedFiles() {
			out = append(out, stampOf(f))
		}
	}
	return out
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), ok: true}
}

// NewRulesHolder returns a holder with r in force, r loaded from path.
func NewRulesHolder(path string, r *rules.Rules, clk clock.Clock, log zerolog.Logger, m *metrics.Metrics) *RulesHolder {
	h := &RulesHolder{path: path, clk: clk, log: log.With().Str("component", "rules").Logger(), metrics: m}
	h.cur.Store(r)
	h.seen = h.stamps()
	return h
}

// Get returns the rules in force.
func (h *RulesHolder) Get() *rules.Rules { return h.cur.Load() }

// Reload reads the rules file again. A valid file replaces the rules in
// force (counted "ok"); a broken one keeps them, every problem is logged and
// the reload counted "invalid". It returns the load error, if any.
func (h *RulesHolder) Reload() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = h.stamps()
	r, warns, err := rules.Load(h.path, h.clk.Now())
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				h.log.Error().Str("file", h.path).Str("problem", line).Msg("rules file invalid, old rules kept")
			}
		}
		h.metrics.RulesReload("invalid")
		return err
	}
	for _, w := range warns {
		h.log.Warn().Str("file", h.path).Str("warning", w.String()).Msg("rules warning")
	}
	h.cur.Store(r)
	// The new rules may import other files; the rules file keeps the stamp
	// taken before it was read, so a write during the load is not missed.
	before := h.seen[0]
	h.seen = h.stamps()
	h.seen[0] = before
	h.metrics.RulesReload("ok")
	h.log.Info().Str("file", h.path).Int("types", len(r.Types)).Msg("rules reloaded")
	return nil
}

// changed reports whether the modification time or size of the rules file
// or of a file it imports differs from the last reload's.
func (h *RulesHolder) changed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !slices.Equal(h.stamps(), h.seen)
}

// Watch reloads the rules when the file or a file it imports changes (polled every interval) or
// a value arrives on hup (SIGHUP), until ctx ends.
func (h *RulesHolder) Watch(ctx context.Context, interval time.Duration, hup <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			h.log.Info().Msg("reload requested")
			_ = h.Reload()
		case <-t.C:
			if h.changed() {
				h.log.Info().Msg("rules file changed")
				_ = h.Reload()
			}
		}
	}
}
