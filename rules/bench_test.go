package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// cyrillicBody returns about n bytes of Russian text that no default rule
// matches, so every body condition reads all of it.
func cyrillicBody(n int) string {
	const para = "Добрый день! Подскажите, пожалуйста, почему после смены тарифа в личном кабинете не отображается история объявлений за прошлый месяц. Спасибо за помощь.\n"
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(para)
	}
	return b.String()
}

func benchInput() *Input {
	return &Input{
		Mailbox: "support", From: "ivan@example.ru", FromName: "Иван",
		To: []string{"support@portal.example"}, Subject: "Вопрос по личному кабинету",
		Body:    cyrillicBody(20 << 10),
		Headers: map[string][]string{"X-Mailer": {"Thunderbird"}},
		Size:    24 << 10,
	}
}

// BenchmarkClassifyDefault classifies a mail with a 20 KB Cyrillic body
// against the default rules file (tiers and classify rules, worst case: the
// catch-all).
func BenchmarkClassifyDefault(b *testing.B) {
	r := loadExample(b)
	in := benchInput()
	b.SetBytes(int64(len(in.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if c := r.Classify(in); c.Type != "B24D_TECH" {
			b.Fatalf("type %s", c.Type)
		}
	}
}

// BenchmarkDecideDefault adds routing and the SLA schedule.
func BenchmarkDecideDefault(b *testing.B) {
	r := loadExample(b)
	in := benchInput()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		r.Decide(*in, RouteState{}, at)
	}
}

// BenchmarkClassify200Rules runs the same mail through 200 rules that do
// not match (half test the subject, half the body).
func BenchmarkClassify200Rules(b *testing.B) {
	var src strings.Builder
	src.WriteString("version: 1\ntypes: [{code: T, name: T}, {code: U, name: U}]\nclassify:\n")
	for i := 0; i < 200; i++ {
		field := "subject"
		if i%2 == 1 {
			field = "body"
		}
		fmt.Fprintf(&src, "  - {name: r%d, when: {%s: '(?i)слово%dа|фраза %d'}, set: {type: U}}\n", i, field, i, i)
	}
	src.WriteString("  - {name: default, set: {type: T}}\n")
	r := parseOK(b, src.String())
	in := benchInput()
	b.SetBytes(int64(len(in.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if c := r.Classify(in); c.Type != "T" {
			b.Fatalf("type %s", c.Type)
		}
	}
}

// BenchmarkAdd30Days adds a 30-day target (240 working hours) on msk.
func BenchmarkAdd30Days(b *testing.B) {
	c := testCalendar(b, mskBody)
	start := time.Date(2026, 4, 20, 15, 30, 0, 0, c.Location)
	b.ReportAllocs()
	for b.Loop() {
		c.Add(start, 30*8*time.Hour)
	}
}

// BenchmarkAdd30Days247 adds 30 days of real time on a 24/7 calendar.
func BenchmarkAdd30Days247(b *testing.B) {
	c := testCalendar(b, "timezone: Europe/Berlin\nweek: {mon-sun: \"00:00-24:00\"}")
	start := time.Date(2026, 3, 20, 15, 30, 0, 0, c.Location)
	b.ReportAllocs()
	for b.Loop() {
		c.Add(start, 30*24*time.Hour)
	}
}

func BenchmarkParseDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		loadExample(b)
	}
}
