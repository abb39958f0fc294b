package mimeparse

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"time"
)

// DedupeKey returns the key a mail is created under (the lead's ORIGIN_ID,
// under a UNIQUE constraint in the state): "m-" and 32 hex digits of
// sha256(Message-ID hash, content hash). The content hash covers From,
// Subject, Date, the decoded text, the HTML and every attachment (name,
// type, data), never trace headers (Received, Delivered-To, Return-Path),
// so the same mail fetched from two mailboxes has one key, while a reused
// Message-ID with other content gets another. Without a Message-ID the key
// is the content hash alone.
func DedupeKey(m *Message) string {
	content := sha256.New()
	field := func(h hash.Hash, s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(content, m.From.Addr)
	field(content, m.Subject)
	if !m.Date.IsZero() {
		field(content, m.Date.UTC().Format(time.RFC3339))
	}
	field(content, m.Text)
	field(content, m.HTML)
	for _, a := range m.Attachments {
		field(content, a.Filename)
		field(content, a.ContentType)
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(a.Size))
		content.Write(n[:])
		field(content, string(a.Data))
	}
	sum := content.Sum(nil)
	key := sha256.New()
	if m.MessageID != "" {
		id := sha256.Sum256([]byte(m.MessageID))
		key.Write([]byte("id"))
		key.Write(id[:])
	}
	key.Write([]byte("content"))
	key.Write(sum)
	return "m-" + hex.EncodeToString(key.Sum(nil))[:32]
}
