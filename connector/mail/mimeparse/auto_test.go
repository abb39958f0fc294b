package mimeparse

import (
	"slices"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	const body = "Content-Type: text/plain\r\n\r\nbody\r\n"
	tests := []struct {
		name     string
		header   string
		auto     Auto
		spam     bool
		suppress bool
	}{
		{"person", "From: a@x.example\r\n", AutoNone, false, false},
		{"auto-submitted no", "From: a@x.example\r\nAuto-Submitted: No\r\n", AutoNone, false, false},
		{"auto-generated", "From: a@x.example\r\nAuto-Submitted: auto-generated\r\n", AutoReply, false, true},
		{"x-autoreply", "From: a@x.example\r\nX-Autoreply: yes\r\n", AutoReply, false, true},
		{"x-autorespond", "From: a@x.example\r\nX-Autorespond: 1\r\n", AutoReply, false, true},
		{"precedence junk", "From: a@x.example\r\nPrecedence: Junk\r\n", AutoBulk, false, true},
		{"precedence list", "From: a@x.example\r\nPrecedence: list\r\n", AutoBulk, false, true},
		{"suppress alone is a person", "From: a@x.example\r\nX-Auto-Response-Suppress: All\r\nSubject: Question\r\n", AutoNone, false, true},
		{"suppress none", "From: a@x.example\r\nX-Auto-Response-Suppress: None\r\n", AutoNone, false, false},
		{"auto subject alone is a person", "From: a@x.example\r\nSubject: Automatic reply: hi\r\n", AutoNone, false, false},
		{"outlook auto-reply", "From: a@x.example\r\nX-Auto-Response-Suppress: All\r\nSubject: Автоматический ответ: тема\r\n", AutoReply, false, true},
		{"mailer-daemon", "From: MAILER-DAEMON@mx.example\r\n", AutoBounce, false, true},
		{"postmaster", "From: Postmaster <postmaster@mx.example>\r\n", AutoBounce, false, true},
		{"empty return-path", "Return-Path: <>\r\nFrom: a@x.example\r\n", AutoBounce, false, true},
		{"return-path set", "Return-Path: <a@x.example>\r\nFrom: a@x.example\r\n", AutoNone, false, false},
		{"loop beats everything", "From: a@x.example\r\nPrecedence: bulk\r\nX-B24desk-Loop: desk\r\n", AutoLoop, false, true},
		{"spam flag", "From: a@x.example\r\nX-Spam-Flag: yes\r\n", AutoNone, true, false},
		{"spam status", "From: a@x.example\r\nX-Spam-Status: Yes, score=7\r\n", AutoNone, true, false},
		{"spam status no", "From: a@x.example\r\nX-Spam-Status: No, score=0.1\r\n", AutoNone, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.header+body), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Auto != tt.auto || m.Spam != tt.spam || m.SuppressAutoReply != tt.suppress {
				t.Errorf("Auto=%v (%s) Spam=%v Suppress=%v; want %v %v %v", m.Auto, m.AutoReason, m.Spam, m.SuppressAutoReply, tt.auto, tt.spam, tt.suppress)
			}
		})
	}
}

func TestBounceWithRFC822Headers(t *testing.T) {
	raw := "From: MAILER-DAEMON@mx.example\r\nSubject: failure\r\n" +
		"Content-Type: multipart/report; report-type=\"Delivery-Status\"; boundary=R\r\n\r\n" +
		"--R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n" +
		"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n" +
		"Final-Recipient: rfc822; <one@example.org>\r\nAction: failed\r\nStatus: 5.2.2 (mailbox full)\r\n\r\n" +
		"Final-Recipient: rfc822; two@example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n" +
		"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@desk.example\r\nMessage-ID: <out-9@desk.example>\r\nSubject: x\r\n" +
		"--R--\r\n"
	m, err := Parse([]byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Auto != AutoBounce || m.Bounce == nil {
		t.Fatalf("Auto = %v, Bounce = %v", m.Auto, m.Bounce)
	}
	if m.Bounce.OriginalMessageID != "out-9@desk.example" || !slices.Equal(m.Bounce.Recipients, []string{"one@example.org"}) || m.Bounce.Status != "5.2.2" {
		t.Errorf("Bounce = %+v", m.Bounce)
	}
	if m.Text != "Delivery failed." {
		t.Errorf("Text = %q", m.Text)
	}
}

func TestBounceWithoutReport(t *testing.T) {
	raw := "From: MAILER-DAEMON@mx.example\r\nSubject: failure notice\r\nContent-Type: text/plain\r\n\r\n" +
		"Hi. This is the qmail-send program.\r\n<nobody@example.org>:\r\nSorry, no mailbox here by that name.\r\n\r\n" +
		"--- Below this line is a copy of the message.\r\n\r\nReturn-Path: <support@desk.example>\r\n" +
		"Message-ID: <out-77@desk.example>\r\nSubject: [#77] x\r\n"
	m, err := Parse([]byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Auto != AutoBounce || m.Bounce == nil || m.Bounce.OriginalMessageID != "out-77@desk.example" {
		t.Fatalf("Auto = %v, Bounce = %+v", m.Auto, m.Bounce)
	}
}

func TestLoopSubject(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"[#12] Обращение зарегистрировано: Не работает", "обращение зарегистрировано: не работает"},
		{"Re: Обращение зарегистрировано: Не работает", "обращение зарегистрировано: не работает"},
		{"Автоответ: RE: [#12] Обращение зарегистрировано: Не работает", "обращение зарегистрировано: не работает"},
		{"Automatic reply: Fwd:  Ticket  received", "ticket received"},
	} {
		if got := LoopSubject(c.in, DefaultTagFormat); got != c.want {
			t.Errorf("LoopSubject(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestQuotedLoopHeaderIsAutomatic(t *testing.T) {
	raw := "From: a@example.com\r\nSubject: Your message\r\nMessage-ID: <q@x>\r\n\r\nReceived your mail.\r\n\r\n> From: support@example.com\r\n> x-b24desk-loop: support\r\n> Subject: [#1] ok\r\n"
	m, err := Parse([]byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Auto != AutoLoop || !strings.Contains(m.AutoReason, "quotes our") {
		t.Fatalf("auto %s (%s), want loop", m.Auto, m.AutoReason)
	}
	// A person quoting our text (not our headers) is not automatic.
	m, _ = Parse([]byte("From: a@example.com\r\nSubject: Re: x\r\n\r\nThanks.\r\n> X-B24desk-Loop is a header we add\r\n"), Options{})
	if m.Auto != AutoNone {
		t.Fatalf("auto %s (%s) for a quoted sentence", m.Auto, m.AutoReason)
	}
}
