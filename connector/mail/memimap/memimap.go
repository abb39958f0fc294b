// Package memimap adapts go-imap's in-memory IMAP server (imapmemserver) for
// the demo and the tests. Its one job is a fix: in go-imap v2.0.0-beta.8 an
// in-memory session's IDLE reports only updates queued after IDLE began, so
// mail appended between a client's last command and its IDLE stays
// unreported until the client's IDLE times out. Real servers (Dovecot)
// report such mail when IDLE starts; a session wrapped by Session does too.
package memimap

import (
	"time"

	"github.com/emersion/go-imap/v2/imapserver"
)

// IdlePoll is how often a wrapped session's IDLE writes queued updates.
const IdlePoll = 20 * time.Millisecond

// Session wraps an in-memory session so that its IDLE writes the queued
// mailbox updates at once and then every IdlePoll until stopped.
type Session struct{ imapserver.SessionIMAP4rev2 }

// Idle writes the session's queued mailbox updates until stop is closed.
func (s Session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(IdlePoll)
	defer t.Stop()
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}
