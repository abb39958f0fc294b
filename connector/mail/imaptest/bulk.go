package imaptest

import (
	"fmt"
	"strings"
	"time"
)

// GenerateMail returns mail number i of a generated corpus: a plain-text
// message of about size bytes (at least a few hundred) with a unique
// Message-ID, Date and Subject, for benchmarks with AppendMany.
func GenerateMail(i, size int) []byte {
	date := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	head := fmt.Sprintf("From: Customer %d <customer%d@example.test>\r\n"+
		"To: support@example.test\r\n"+
		"Subject: Generated request %d\r\n"+
		"Date: %s\r\n"+
		"Message-ID: <gen-%d@example.test>\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n",
		i, i%97, i, date.Format(time.RFC1123Z), i)
	const line = "The quick brown fox jumps over the lazy dog; please help us.\r\n"
	var b strings.Builder
	b.Grow(size + len(head) + len(line))
	b.WriteString(head)
	for b.Len() < size {
		b.WriteString(line)
	}
	return []byte(b.String())
}
