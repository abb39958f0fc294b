package mimeparse

import "testing"

func TestStripQuoted(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Hello\nworld", "Hello\nworld"},
		{"gt lines", "Fixed, thanks.\n\n> old\n> text", "Fixed, thanks."},
		{"on wrote", "Yes.\n\nOn Mon, 2 Mar 2026, Support <s@x> wrote:\n> q", "Yes."},
		{"on wrote two lines", "Yes.\nOn Mon, 2 Mar 2026 at 10:00 Support <s@x>\nwrote:\n> q", "Yes."},
		{"russian wrote", "Да.\n\n2 марта 2026 г., Поддержка <s@x> написал(а):\n> вопрос", "Да."},
		{"russian wrote female", "Да.\nПн, 2 мар. 2026 г. в 10:00, Анна <a@x> написала:\nстарый текст", "Да."},
		{"original message", "Ok\n-----Original Message-----\nFrom: x\nold", "Ok"},
		{"russian original", "Ок\n-----Исходное сообщение-----\nОт: x\nстарое", "Ок"},
		{"outlook block", "Done.\n\nFrom: Support <s@x>\nSent: Monday, March 2, 2026 10:00\nTo: me\nSubject: q\n\nold", "Done."},
		{"outlook russian block", "Готово.\n\nОт: Support <s@x>\nОтправлено: 2 марта 2026 г. 10:00\nстарое", "Готово."},
		{"from without sent stays", "From: the start we had a problem.\nIt is still there.", "From: the start we had a problem.\nIt is still there."},
		{"all quoted keeps text", "> only quoted", "> only quoted"},
		{"inline gt kept outside start", "a > b is true", "a > b is true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripQuoted(tt.in); got != tt.want {
				t.Errorf("StripQuoted(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
