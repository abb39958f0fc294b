package mimeparse_test

import (
	"fmt"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
)

// The intake parses a spooled mail, drops automatic mail, looks for a
// ticket tag and prepares the lead fields.
func Example() {
	raw := []byte("From: =?utf-8?B?0JjQstCw0L0=?= <ivan@example.ru>\r\n" +
		"Subject: =?utf-8?B?UmU6IFsjMTIzNDVdINCd0LUg0YDQsNCx0L7RgtCw0LXRgiDQutCw0YDRgtCw?=\r\n" +
		"Message-ID: <abc@example.ru>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Заработало, спасибо! [USER=1]\r\n\r\n> старый текст\r\n")
	m, err := mimeparse.Parse(raw, mimeparse.Options{})
	if err != nil {
		fmt.Println("quarantine:", err)
		return
	}
	if m.Auto != mimeparse.AutoNone {
		fmt.Println("automatic mail:", m.Auto)
		return
	}
	id, ok := mimeparse.FindTag(m.Subject, mimeparse.DefaultTagFormat)
	fmt.Println(m.From.Name, m.From.Addr)
	fmt.Println(id, ok)
	fmt.Println(mimeparse.CleanSubject(m.Subject))
	fmt.Printf("%q\n", mimeparse.EscapeBBCode(m.Reply()))
	fmt.Println(len(mimeparse.DedupeKey(m)))
	// Output:
	// Иван ivan@example.ru
	// 12345 true
	// Не работает карта
	// "Заработало, спасибо! [\u2060USER=1]"
	// 34
}
