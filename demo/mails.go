package demo

// The demo's sample mails, from the customers of the real-estate portal the
// default rules were written for (seed/000_e57f6e9d952de5f1.txt).

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"strings"
	"time"
)

// demoLetter is one customer mail of the scenario.
type demoLetter struct {
	key      string // scenario name: map, tech, profanity, offtopic, outage, enterprise, autoreply, reply
	from     string // "Name <addr>"
	subject  string
	body     string
	headers  [][2]string // extra headers (In-Reply-To, Auto-Submitted...)
	attach   string      // attachment file name ("" = none): a small PNG screenshot
	wantType string      // the type the rules should give ("" = no ticket expected)
}

// messageID is the letter's Message-ID.
func (l demoLetter) messageID() string { return "<demo-" + l.key + "@customers.example>" }

// demoLetters are the first mails, delivered at the start.
func demoLetters() []demoLetter {
	return []demoLetter{
		{key: "map", from: "Ольга Иванова <o.ivanova@client.ru>", subject: "Неправильная метка на карте",
			body:     "Здравствуйте!\n\nНа карте метка нашего дома (ул. Лесная, 12) стоит на соседней улице. Покупатели не могут найти объект.\nПоправьте, пожалуйста, координаты.\n\nОльга Иванова, агентство «Квартал»",
			wantType: "B24D_MAP"},
		{key: "tech", from: "Пётр Сидоров <p.sidorov@small-client.ru>", subject: "Не загружаются фотографии в объявление",
			body:   "Добрый день.\n\nПри загрузке фотографий в объявление выдаёт сообщение «Файл слишком большой», хотя фото 2 МБ. Скриншот во вложении.\n\nПётр",
			attach: "screenshot.png", wantType: "B24D_TECH"},
		{key: "profanity", from: "Гость <angry.guest@mail.example>", subject: "Опять ваш сайт",
			body:     "Да сколько можно, опять всё ебаное объявление пропало!!!",
			wantType: "B24D_PROFANITY"},
		{key: "offtopic", from: "Маркетинг <sales@adv-agency.example>", subject: "Предложение о сотрудничестве и рекламе",
			body:     "Добрый день! Предлагаем размещение рекламы вашего портала в наших каналах. Прайс по запросу.",
			wantType: "B24D_OFFTOPIC"},
		{key: "outage", from: "Сергей Орлов <s.orlov@client.ru>", subject: "Сайт не работает, ошибка 502",
			body:     "Личный кабинет агентства не открывается уже 10 минут: ошибка 502 Bad Gateway. Срочно посмотрите!",
			wantType: "B24D_OUTAGE"},
		{key: "enterprise", from: "Алексей Громов <a.gromov@enterprise-client.ru>", subject: "Выгрузка объявлений в XML",
			body:     "Коллеги, здравствуйте.\n\nНаш фид XML с 1 200 объявлениями со вчерашнего дня загружается частично: последние 300 объектов не появляются в поиске. Подскажите, что проверить.\n\nАлексей Громов, ИТ-отдел «Энтерпрайз Девелопмент»",
			wantType: "B24D_TECH"},
		{key: "autoreply", from: "Ольга Иванова <o.ivanova@client.ru>", subject: "Автоответ: Неправильная метка на карте",
			body:    "Я в отпуске до 20 марта. По срочным вопросам пишите коллегам.",
			headers: [][2]string{{"Auto-Submitted", "auto-replied"}, {"X-Autoreply", "yes"}}},
	}
}

// demoReply is the customer's answer to a ticket that waits for them.
func demoReply(ticket int64, original demoLetter) demoLetter {
	return demoLetter{key: "reply", from: original.from,
		subject: fmt.Sprintf("Re: [#%d] %s", ticket, original.subject),
		body:    "Адрес точный: ул. Лесная, 12, корпус 2. Координаты 55.7512, 37.6184.\n\n> Уточните, пожалуйста, адрес объекта.",
		headers: [][2]string{{"In-Reply-To", original.messageID()}, {"References", original.messageID()}}}
}

// raw renders the letter as a MIME message dated at.
func (l demoLetter) raw(to string, at time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", encodeAddress(l.from))
	h("To", to)
	h("Subject", mime.BEncoding.Encode("utf-8", l.subject))
	h("Date", at.Format(time.RFC1123Z))
	h("Message-ID", l.messageID())
	for _, x := range l.headers {
		h(x[0], x[1])
	}
	h("MIME-Version", "1.0")
	body := base64Lines([]byte(strings.ReplaceAll(l.body, "\n", "\r\n")))
	if l.attach == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "base64")
		b.WriteString("\r\n" + body)
		return b.Bytes()
	}
	const boundary = "b24desk-demo-boundary"
	h("Content-Type", "multipart/mixed; boundary=\""+boundary+"\"")
	b.WriteString("\r\n--" + boundary + "\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body)
	b.WriteString("--" + boundary + "\r\n")
	fmt.Fprintf(&b, "Content-Type: image/png; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", l.attach, l.attach)
	b.WriteString(base64Lines(demoScreenshot()))
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

// encodeAddress encodes the display name of "Name <addr>".
func encodeAddress(a string) string {
	i := strings.LastIndexByte(a, '<')
	if i <= 0 {
		return a
	}
	return mime.BEncoding.Encode("utf-8", strings.TrimSpace(a[:i])) + " " + a[i:]
}

// address returns the bare address of "Name <addr>".
func address(a string) string {
	if i := strings.LastIndexByte(a, '<'); i >= 0 {
		return strings.TrimSuffix(a[i+1:], ">")
	}
	return a
}

func base64Lines(p []byte) string {
	s := base64.StdEncoding.EncodeToString(p)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

// demoScreenshot is a 1×1 PNG standing in for the customer's screenshot.
func demoScreenshot() []byte {
	b, _ := base64.StdEncoding.DecodeString(
		"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
	return b
}
