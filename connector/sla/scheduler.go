package sla

import (
	"context"
	"fmt"
	"sync"

	"github.com/robfig/cron/v3"
)

// DefaultSpec is the default tick schedule.
const DefaultSpec = "@every 30s"

// Scheduler triggers Tick on a cron spec. Cron is only a trigger: the time
// handed to Tick always comes from the clock's injected clock.
type Scheduler struct {
	c    *Clock
	cron *cron.Cron
	spec string

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

// NewScheduler checks the spec ("" = DefaultSpec) and returns a stopped
// scheduler.
func NewScheduler(c *Clock, spec string) (*Scheduler, error) {
	if spec == "" {
		spec = DefaultSpec
	}
	s := &Scheduler{c: c, spec: spec, cron: cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))}
	if _, err := s.cron.AddFunc(spec, s.tick); err != nil {
		return nil, fmt.Errorf("sla schedule %q: %w", spec, err)
	}
	return s, nil
}

func (s *Scheduler) tick() {
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	if ctx == nil || ctx.Err() != nil {
		return
	}
	if _, err := s.c.Tick(ctx, s.c.o.Clock.Now()); err != nil && ctx.Err() == nil {
		s.c.log.Error().Err(err).Msg("SLA tick failed")
	}
}

// Start runs ticks on the schedule until ctx ends or Stop is called.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	s.cron.Start()
}

// Stop stops the schedule, cancels a running tick and waits for it.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	<-s.cron.Stop().Done()
}
