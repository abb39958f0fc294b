package imapbox_test

import (
	"time"

	"github.com/emersion/go-imap/v2"
)

func appendOptsAt(t time.Time) *imap.AppendOptions {
	return &imap.AppendOptions{Time: t}
}
