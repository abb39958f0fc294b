package outbound

import (
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
)

func TestMailRendersWellFormed(t *testing.T) {
	m := Mail{
		From:       Address{Name: "Служба поддержки", Address: "support@example.ru"},
		To:         []Address{{Name: "Анна Петрова", Address: "anna@example.com"}},
		Cc:         []Address{{Address: "boss@example.com"}},
		Subject:    "Re: [#42] Не работает карта",
		MessageID:  MessageID("0f", "reply:42:x:1", "support@example.ru"),
		InReplyTo:  "orig@mail.example.com",
		References: []string{"orig@mail.example.com"},
		Date:       time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC),
		Text:       "Здравствуйте!\nПроверьте <b>настройки</b> [URL]x[/URL].\n\n-- \nИван",
		Loop:       "support",
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mimeparse.Parse(raw, mimeparse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want string
	}{
		{"From", msg.From.String(), "Служба поддержки <support@example.ru>"},
		{"To", msg.To[0].Addr, "anna@example.com"},
		{"Cc", msg.Cc[0].Addr, "boss@example.com"},
		{"Subject", msg.Subject, "Re: [#42] Не работает карта"},
		{"Message-ID", msg.MessageID, m.MessageID},
		{"In-Reply-To", msg.InReplyTo, "orig@mail.example.com"},
		{"References", strings.Join(msg.References, " "), "orig@mail.example.com"},
		{"loop header", strings.Join(msg.Header[mimeparse.LoopHeader], ","), "support"},
		{"text", strings.TrimSpace(msg.Text), strings.TrimSpace(m.Text)},
		{"auto", msg.Auto.String(), mimeparse.AutoLoop.String()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.Contains(msg.HTML, "&lt;b&gt;настройки&lt;/b&gt;") || !strings.Contains(msg.HTML, "<br>") {
		t.Errorf("HTML part not escaped text: %q", msg.HTML)
	}
	if !strings.Contains(string(raw), "multipart/alternative") {
		t.Error("not multipart/alternative")
	}
	if strings.Contains(string(raw), "Auto-Submitted") {
		t.Error("a staff answer is marked automatic")
	}
	m.AutoReplied = true
	raw, _ = m.Bytes()
	if !strings.Contains(string(raw), "Auto-Submitted: auto-replied") {
		t.Error("acknowledgement lacks Auto-Submitted")
	}
}

// TestMessageIDStableAndDistinct: one installation gives one key the same
// Message-ID every time; two keys, or one key on two installations (a
// rehearsal against the simulator and the live portal), never share one.
func TestMessageIDStableAndDistinct(t *testing.T) {
	a := MessageID("inst1", "reply:1:a:1", "s@Example.RU")
	if a != MessageID("inst1", "reply:1:a:1", "s@Example.RU") || !strings.HasSuffix(a, "@example.ru") {
		t.Errorf("unstable or wrong domain: %s", a)
	}
	if a == MessageID("inst1", "reply:1:a:2", "s@example.ru") {
		t.Error("two keys, one Message-ID")
	}
	if a == MessageID("inst2", "reply:1:a:1", "s@example.ru") {
		t.Error("two installations, one Message-ID")
	}
}

func TestAutomatic(t *testing.T) {
	for addr, want := range map[string]bool{
		"MAILER-DAEMON@mx.example.com": true, "postmaster@x.ru": true, "no-reply@shop.ru": true,
		"noreply+abc@x.com": true, "noreply-billing@x.com": true, "": true, "not an address": true,
		"anna@example.com": false, "nora@example.com": false, "replyto@x.ru": false,
	} {
		if got := Automatic(addr); got != want {
			t.Errorf("Automatic(%q) = %v, want %v", addr, got, want)
		}
	}
}

func BenchmarkMailBytes(b *testing.B) {
	m := Mail{
		From: Address{Name: "Служба поддержки", Address: "support@example.ru"},
		To:   []Address{{Name: "Анна Петрова", Address: "anna@example.com"}}, Subject: "Re: [#42] Не работает карта",
		MessageID: "b24d.1@example.ru", InReplyTo: "q@example.com", References: []string{"q@example.com"},
		Date: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), Text: strings.Repeat("Здравствуйте! Проверьте настройки браузера.\n", 40),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}
