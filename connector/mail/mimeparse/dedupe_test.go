package mimeparse

import (
	"strings"
	"testing"
)

func TestDedupeKey(t *testing.T) {
	base := "From: a@example.com\r\nTo: s@desk.example\r\nSubject: Hi\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n" +
		"Message-ID: <same@example.com>\r\nContent-Type: text/plain\r\n\r\nHello there.\r\n"
	key := func(raw string) string {
		t.Helper()
		m, err := Parse([]byte(raw), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return DedupeKey(m)
	}
	k := key(base)
	if !strings.HasPrefix(k, "m-") || len(k) != 34 {
		t.Fatalf("key %q: want m- and 32 hex digits", k)
	}
	viaOther := "Received: from mx2 by box2\r\nDelivered-To: other@desk.example\r\nReturn-Path: <a@example.com>\r\n" + base
	if key(viaOther) != k {
		t.Error("trace headers changed the key: the same mail in two mailboxes would make two tickets")
	}
	if key(strings.Replace(base, "Hello there.", "Other content.", 1)) == k {
		t.Error("a reused Message-ID with other content has the same key")
	}
	if key(strings.Replace(base, "same@", "other@", 1)) == k {
		t.Error("another Message-ID with the same content has the same key")
	}
	noID := strings.Replace(base, "Message-ID: <same@example.com>\r\n", "", 1)
	if key(noID) != key("Received: x\r\n"+noID) {
		t.Error("without Message-ID, trace headers changed the key")
	}
	if key(noID) == k {
		t.Error("no Message-ID and a Message-ID gave the same key")
	}
	withAtt := func(data string) string {
		return "From: a@example.com\r\nMessage-ID: <att@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
			"Content-Type: text/plain\r\n\r\nsee file\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\n" + data + "\r\n--b--\r\n"
	}
	if key(withAtt("one")) == key(withAtt("two")) {
		t.Error("attachments do not count in the key")
	}
}
