package mimeparse

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// bigMail builds a mail with a short text part, then a base64 attachment
// of attSize bytes, then a second text part.
func bigMail(attSize int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Big <big@example.com>\r\nTo: s@desk.example\r\nSubject: =?utf-8?B?0JHQvtC70YzRiNC+0Lk=?=\r\n" +
		"Message-ID: <big-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BIG\r\n\r\n" +
		"--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПервая часть письма.\r\n" +
		"--BIG\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"dump.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	chunk := bytes.Repeat([]byte{0x5a, 0xa5, 0x00, 0xff}, 57/4*3)
	line := base64.StdEncoding.EncodeToString(chunk[:57])
	b.Write(bytes.Repeat([]byte(line+"\r\n"), (attSize+56)/57))
	b.WriteString("--BIG\r\nContent-Type: text/plain\r\n\r\nsecond part\r\n--BIG--\r\n")
	return b.Bytes()
}

func TestParseOversize30MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("30 MiB mail")
	}
	raw := bigMail(30 << 20 * 3 / 4)
	if len(raw) < 30<<20 {
		t.Fatalf("generated %d bytes, want ≥ 30 MiB", len(raw))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Parse(raw, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Oversize || m.Size != len(raw) {
		t.Errorf("Oversize = %v, Size = %d", m.Oversize, m.Size)
	}
	if m.Text != "Первая часть письма." {
		t.Errorf("Text = %q, want the first text part only", m.Text)
	}
	if m.Subject != "Большой" || m.MessageID != "big-1@example.com" {
		t.Errorf("headers: %q %q", m.Subject, m.MessageID)
	}
	if len(m.Attachments) != 0 || strings.Contains(m.Text, "second part") {
		t.Errorf("attachments = %+v, Text = %q: want nothing after the first text part", m.Attachments, m.Text)
	}
	// The raw mail is 30 MiB; parsing it must not copy it.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("Parse allocated %d bytes for an oversize mail, want < 8 MiB", alloc)
	}
}

func TestParseAttachmentCap(t *testing.T) {
	raw := bigMail(100 << 10)
	m, err := Parse(raw, Options{MaxAttachmentBytes: 10 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if m.Oversize || len(m.Attachments) != 1 || !m.Attachments[0].Omitted || m.Attachments[0].Size != (100<<10+56)/57*57 {
		t.Errorf("attachments = %+v", m.Attachments)
	}
	if !strings.Contains(m.Text, "second part") {
		t.Errorf("Text = %q, want both text parts", m.Text)
	}
	m, err = Parse(raw, Options{MaxTextBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Text) > 10 || !m.Partial {
		t.Errorf("MaxTextBytes: Text %q Partial %v", m.Text, m.Partial)
	}
}

func TestParseDeepNesting(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	m, err := Parse([]byte(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Partial {
		t.Error("deep nesting not reported")
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("From: a\r\nContent-Type: message/rfc822\r\n\r\nFrom: b\r\nContent-Type: message/rfc822\r\n\r\n"))
	// Hostile headers, small: a long field before the vital ones, folding,
	// no blank line, a quoted loop header.
	f.Add([]byte("Subject: " + strings.Repeat("A", 3000) + "\r\nMessage-ID: <m@x>\r\nContent-Type: text/plain\r\n\r\nbody\r\n"))
	f.Add([]byte("X-A: a\r\n" + strings.Repeat(" folded\r\n", 300) + "Date: Tue, 10 Mar 2026 09:00:00 +0300\r\n\r\n"))
	f.Add([]byte("Message-ID: <only@x>"))
	f.Add([]byte("From: a@b\r\nSubject: Re: [#12] Автоответ: x\r\n\r\n> X-B24desk-Loop: support\r\n> Message-ID: <b24d.1@x>\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// Small header caps, so that the fuzzer reaches the cutting code.
		opts := Options{MaxTextBytes: 64 << 10, MaxParts: 200, MaxFieldBytes: 512, MaxHeaderBytes: 2048}
		m, err := Parse(raw, opts)
		if err != nil {
			return
		}
		if len(m.Text) > opts.MaxTextBytes || len(m.HTML) > opts.MaxTextBytes {
			t.Fatalf("text over the cap: %d/%d", len(m.Text), len(m.HTML))
		}
		total := 0
		for _, a := range m.Attachments {
			total += len(a.Data)
		}
		if total > len(raw)*2+1024 {
			t.Fatalf("attachments hold %d bytes from a %d-byte mail", total, len(raw))
		}
		if len(m.Subject) > 4*opts.MaxFieldBytes {
			t.Fatalf("subject of %d bytes kept (field cap %d)", len(m.Subject), opts.MaxFieldBytes)
		}
		_ = LoopSubject(m.Subject, DefaultTagFormat)
		_ = QuotedMessageID(m.Text)
		_ = DedupeKey(m)
		_ = m.Reply()
		_ = CleanSubject(m.Subject)
		_, _ = FindTag(m.Subject, "")
		_ = m.Summary()
	})
}

func BenchmarkParse20KB(b *testing.B) {
	text := strings.Repeat("Здравствуйте! Не открывается карта объектов на сайте, пишет ошибку 502. ", 62)
	raw := []byte("From: =?utf-8?B?0JjQstCw0L0=?= <ivan@example.ru>\r\nTo: support@desk.example\r\n" +
		"Subject: =?koi8-r?B?7cXT1Q==?=\r\nMessage-ID: <bench@example.ru>\r\nDate: Mon, 02 Mar 2026 10:15:00 +0300\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n" +
		"Content-Type: multipart/alternative; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" + text +
		"</p>\r\n--A--\r\n--B\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename*=utf-8''%D1%84%D0%BE%D1%82%D0%BE.png\r\n\r\n" +
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1, 2, 3}, 1000)) + "\r\n--B--\r\n")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseNestedMessagesBounded(t *testing.T) {
	raw := "From: a@b.c\r\n" + strings.Repeat("Content-Type: message/rfc822\r\n\r\nFrom: a@b.c\r\n", 20000) + "\r\nend\r\n"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Parse([]byte(raw), Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Partial {
		t.Error("deep attached messages not reported")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(20*len(raw)) {
		t.Errorf("Parse allocated %d bytes for a %d-byte mail", alloc, len(raw))
	}
}
