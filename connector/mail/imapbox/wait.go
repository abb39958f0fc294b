package imapbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Wait blocks until new mail may have arrived, max has passed, or ctx ends
// (then it returns ctx's error). With IDLE it returns as soon as the server
// reports new mail; without, it sleeps the poll interval (or max, if
// shorter). It never waits longer than MaxIdle. A nil return does not
// promise new mail: call FetchSince and Wait again. One IDLE lasts at most
// IdleRecheck, in case the server lost a new-mail notice.
func (b *Box) Wait(ctx context.Context, max time.Duration) error {
	if err := b.requireSelected(); err != nil {
		return err
	}
	if max <= 0 || max > MaxIdle {
		max = MaxIdle
	}
	if !b.HasIDLE() {
		return sleep(ctx, min(max, b.cfg.PollInterval))
	}
	// New mail told before IDLE starts (e.g. during Done) wakes at once.
	select {
	case <-b.exists:
		return nil
	default:
	}
	max = min(max, b.cfg.IdleRecheck)
	idle, err := b.c.Idle()
	if err != nil {
		return fmt.Errorf("imapbox: start IDLE: %w", err)
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	var waitErr error
	select {
	case <-b.exists:
	case <-timer.C:
	case <-ctx.Done():
		waitErr = ctx.Err()
	case <-b.c.Closed():
		waitErr = errors.New("imapbox: connection closed during IDLE")
	}
	stop := b.guard(ctx)
	defer stop()
	if err := idle.Close(); err != nil {
		return errors.Join(waitErr, fmt.Errorf("imapbox: stop IDLE: %w", err))
	}
	if err := idle.Wait(); err != nil {
		return errors.Join(waitErr, fmt.Errorf("imapbox: IDLE: %w", err))
	}
	return waitErr
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
