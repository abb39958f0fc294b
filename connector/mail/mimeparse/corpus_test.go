package mimeparse

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// want is the expected outcome of parsing one corpus file. Empty fields are
// not checked, except where noted.
type want struct {
	messageID   string
	from        string
	fromName    string
	subject     string
	text        []string // substrings of Text
	notText     []string // must not be in Text
	reply       string   // exact Reply()
	charset     string
	detected    bool
	attachments []string // file names, in order (checked when non-nil)
	inline      []bool
	auto        Auto
	bounceID    string
	bounceRcpt  string
	attachedID  string
	spam        bool
	suppress    bool
	partial     bool
	tag         int
	title       string
	inReplyTo   string
	refs        int
}

func parseFile(t *testing.T, name string) *Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw, Options{})
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return m
}

func TestCorpus(t *testing.T) {
	ruText := "Не открывается карта объектов на сайте, пишет ошибку 502."
	tests := map[string]want{
		"koi8r.eml": {messageID: "koi8-1@example.ru", from: "ivan@example.ru", fromName: "Иван Петров",
			subject: "Не работает карта", text: []string{ruText, "С уважением,\nИван Петров"}, charset: "koi8-r",
			attachments: []string{}},
		"cp1251.eml": {messageID: "cp1251-1@example.ru", fromName: "Мария", subject: "Вопрос по объявлению",
			text: []string{ruText}, charset: "windows-1251"},
		"undeclared-cp1251.eml": {subject: "Ошибка при оплате", fromName: "Ольга",
			text: []string{"При оплате тарифа выдаётся ошибка"}, charset: "windows-1251", detected: true},
		"undeclared-cp866.eml": {text: []string{"Проверка старой кодировки"}, charset: "ibm866", detected: true},
		"wrong-charset.eml":    {text: []string{"Не могу войти в личный кабинет"}, charset: "windows-1251", detected: true},
		"html-only.eml": {fromName: "Bob Smith", text: []string{"Hello support,\n\nThe export fails:", "- first step\n- second step",
			"the help page (https://portal.example/help).\nThanks"}, notText: []string{"alert", "color:red", "<"}, charset: "utf-8"},
		"attachments-cyrillic.eml": {text: []string{"Высылаю документы."},
			attachments: []string{"Договор аренды.pdf", "Очень длинное имя файла со скриншотом ошибки.png", "Счёт.txt"},
			inline:      []bool{false, false, false}},
		"inline-images.eml": {reply: "See the screenshot below.", charset: "us-ascii",
			attachments: []string{"attachment-1.png"}, inline: []bool{true}},
		"forwarded.eml": {text: []string{"Please look at the mail below.", "Forwarded message", "The link on the listing page is broken."},
			reply: "Please look at the mail below.", attachments: []string{"Broken link.eml"}, attachedID: "orig-7@example.org",
			title: "Broken link"},
		"outlook-autoreply.eml": {auto: AutoReply, suppress: true, tag: 12345, inReplyTo: "out-12345-1@desk.example"},
		"vacation.eml":          {auto: AutoReply, suppress: true, subject: "Отпуск"},
		"bounce.eml": {auto: AutoBounce, bounceID: "out-12345-2@desk.example", bounceRcpt: "nobody@example.org",
			attachedID: "out-12345-2@desk.example", suppress: true, notText: []string{"We are looking into it"}},
		"reply-inreplyto.eml": {from: "bob@example.com", inReplyTo: "out-77-1@desk.example", refs: 2,
			reply: "It works now, thank you.", text: []string{"> Please try again."}, title: "Export fails"},
		"reply-tag.eml": {tag: 12345, title: "Не работает карта", reply: "Спасибо, карта заработала.", text: []string{"написал(а):"}},
		"quoted-outlook.eml": {tag: 777, title: "Доступ к CRM", reply: "Доступ есть, спасибо.\nAnna", suppress: true,
			text: []string{"-----Исходное сообщение-----"}},
		"truncated.eml":       {text: []string{"The file is attached."}, attachments: []string{"data.bin"}, partial: true},
		"malformed.eml":       {text: []string{"Body without a boundary parameter."}, partial: true, from: "broken@example.com"},
		"malformed-parts.eml": {text: []string{"Plain words survive.", "Второй фрагмент."}, attachments: []string{"bad.pdf"}, partial: true},
		"no-message-id.eml":   {messageID: "", text: []string{"A mail without a Message-ID."}, title: "No id"},
		"utf16-iso2022jp.eml": {subject: "お問い合わせ", text: []string{"Привет из UTF-16.", "こんにちは、サポートさん。"}, charset: "utf-16"},
		"loop.eml":            {auto: AutoLoop, tag: 55, suppress: true},
		"bulk-spam.eml":       {auto: AutoBulk, spam: true, suppress: true},
	}
	files, _ := filepath.Glob("testdata/*.eml")
	if len(files) != len(tests) {
		t.Errorf("corpus has %d files, table has %d entries", len(files), len(tests))
	}
	for name, w := range tests {
		t.Run(name, func(t *testing.T) {
			m := parseFile(t, name)
			if w.messageID != "" || name == "no-message-id.eml" {
				if m.MessageID != w.messageID {
					t.Errorf("MessageID = %q, want %q", m.MessageID, w.messageID)
				}
			}
			check := func(field, got, want string) {
				t.Helper()
				if want != "" && got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("From.Addr", m.From.Addr, w.from)
			check("From.Name", m.From.Name, w.fromName)
			check("Subject", m.Subject, w.subject)
			check("Charset", m.Charset, w.charset)
			check("InReplyTo", m.InReplyTo, w.inReplyTo)
			check("AttachedMessageID", m.AttachedMessageID, w.attachedID)
			check("Reply()", m.Reply(), w.reply)
			check("CleanSubject", CleanSubject(m.Subject), w.title)
			for _, s := range w.text {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text does not contain %q:\n%s", s, m.Text)
				}
			}
			for _, s := range w.notText {
				if strings.Contains(m.Text, s) {
					t.Errorf("Text contains %q:\n%s", s, m.Text)
				}
			}
			if w.charset != "" && m.CharsetDetected != w.detected {
				t.Errorf("CharsetDetected = %v, want %v", m.CharsetDetected, w.detected)
			}
			if w.attachments != nil {
				var names []string
				for _, a := range m.Attachments {
					names = append(names, a.Filename)
					if a.Size != len(a.Data) && !a.Omitted && !m.Partial {
						t.Errorf("attachment %q: Size %d, len(Data) %d", a.Filename, a.Size, len(a.Data))
					}
				}
				if !slices.Equal(names, w.attachments) && !(len(names) == 0 && len(w.attachments) == 0) {
					t.Errorf("attachments = %q, want %q", names, w.attachments)
				}
			}
			for i, in := range w.inline {
				if i < len(m.Attachments) && m.Attachments[i].Inline != in {
					t.Errorf("attachment %d Inline = %v, want %v", i, m.Attachments[i].Inline, in)
				}
			}
			if m.Auto != w.auto {
				t.Errorf("Auto = %v (%s), want %v", m.Auto, m.AutoReason, w.auto)
			}
			if w.bounceID != "" {
				if m.Bounce == nil {
					t.Fatalf("Bounce = nil")
				}
				check("Bounce.OriginalMessageID", m.Bounce.OriginalMessageID, w.bounceID)
				if !slices.Contains(m.Bounce.Recipients, w.bounceRcpt) {
					t.Errorf("Bounce.Recipients = %q, want %q", m.Bounce.Recipients, w.bounceRcpt)
				}
			}
			if m.Spam != w.spam {
				t.Errorf("Spam = %v, want %v", m.Spam, w.spam)
			}
			if m.SuppressAutoReply != w.suppress {
				t.Errorf("SuppressAutoReply = %v, want %v", m.SuppressAutoReply, w.suppress)
			}
			if m.Partial != w.partial {
				t.Errorf("Partial = %v, want %v (problems %q)", m.Partial, w.partial, m.Problems)
			}
			if w.tag != 0 {
				if id, ok := FindTag(m.Subject, ""); !ok || id != w.tag {
					t.Errorf("FindTag(%q) = %d, %v, want %d", m.Subject, id, ok, w.tag)
				}
			}
			if w.refs != 0 && len(m.References) != w.refs {
				t.Errorf("References = %q, want %d", m.References, w.refs)
			}
		})
	}
}

func TestParseAttachmentData(t *testing.T) {
	m := parseFile(t, "attachments-cyrillic.eml")
	got := map[string]string{}
	for _, a := range m.Attachments {
		got[a.Filename] = string(a.Data)
	}
	if got["Договор аренды.pdf"] != "%PDF-1.4 fake pdf" {
		t.Errorf("pdf data = %q", got["Договор аренды.pdf"])
	}
	// A text attachment keeps its bytes as sent (KOI8-R), it is not a body part.
	if got["Счёт.txt"] != "\xe9\xd4\xcf\xc7\xcf: 100 \xd2\xd5\xc2." {
		t.Errorf("txt data = %q", got["Счёт.txt"])
	}
	inl := parseFile(t, "inline-images.eml")
	if len(inl.Attachments) != 1 || inl.Attachments[0].ContentID != "img1@example.com" {
		t.Fatalf("inline attachments = %+v", inl.Attachments)
	}
	if !strings.Contains(inl.HTML, "cid:img1@example.com") {
		t.Errorf("HTML = %q", inl.HTML)
	}
}

func TestParseUnreadable(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":     "",
		"blank":     "\r\n\r\n",
		"no header": "\r\nJust a body",
		"space":     " leading space line\r\n\r\nbody",
	} {
		t.Run(name, func(t *testing.T) {
			if m, err := Parse([]byte(raw), Options{}); err == nil {
				t.Fatalf("Parse = %+v, want an error", m)
			}
		})
	}
}

func TestParseHeaderOnly(t *testing.T) {
	m, err := Parse([]byte("From: a@b.c\r\nSubject: hi\r\nReturn-Path: <A@B.c>"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "hi" || m.Text != "" || m.ReturnPath != "a@b.c" || !m.HasReturnPath {
		t.Errorf("got %+v", m)
	}
	if m.Auto != AutoNone {
		t.Errorf("Auto = %v", m.Auto)
	}
}
