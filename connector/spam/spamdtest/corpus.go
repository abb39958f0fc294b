package spamdtest

import (
	"fmt"
	"mime"
	"strings"
	"time"
)

// A made-up corpus for teaching Bayes: junk (lead generation, SEO, bulk
// mailing, crypto, casino offers, in English and Russian) and normal
// support mail of a real-estate portal (maps, listings, accounts,
// payments, in Russian and English). Each mail is built from sentences
// picked by its index, so mails of a class share words but differ.

var spamSubjects = []string{
	"Увеличим продажи вашего бизнеса в 3 раза",
	"Базы клиентов для рассылки — скидка 70%",
	"Раскрутка сайта в ТОП-10 Яндекса за 14 дней",
	"Guaranteed first page Google ranking for your website",
	"Earn $5000 per week from home, no experience",
	"Exclusive crypto investment opportunity, 300% profit",
	"Заработок в интернете от 150 000 рублей в месяц",
	"Your casino bonus is waiting: 500 free spins",
}

var spamLines = []string{
	"Только сегодня специальное предложение: скидка 70% на все пакеты продвижения!",
	"Мы гарантируем рост продаж и поток горячих клиентов уже с первой недели.",
	"Закажите базу email адресов ваших конкурентов, более 2 миллионов контактов.",
	"Массовая рассылка без блокировок и попадания в спам, доставка 99%.",
	"Пассивный доход без вложений, работа из дома, выплаты каждый день.",
	"Нажмите на ссылку, чтобы получить бесплатную консультацию маркетолога.",
	"Limited time offer: double your revenue with our proven marketing system!",
	"Click here to claim your exclusive bonus before the offer expires.",
	"Invest in Bitcoin now and get guaranteed returns of 300% in one month.",
	"No credit check, instant approval, cash in your account today.",
	"Unsubscribe anytime. This is a one-time commercial offer for business owners.",
	"Our SEO experts will bring thousands of buyers to your online store.",
	"Act now! Call our manager today, free trial, money back guarantee.",
	"Лучшие цены на продвижение в социальных сетях, тысячи подписчиков за день.",
}

var hamSubjects = []string{
	"Не загружается карта на странице объекта",
	"Ошибка при публикации объявления",
	"Не могу войти в личный кабинет агентства",
	"Вопрос по оплате тарифа за ноябрь",
	"Map tiles are missing in the listing editor",
	"Cannot upload photos to my apartment listing",
	"Invoice for the partner licence renewal",
	"Неверный адрес дома в карточке квартиры",
}

var hamLines = []string{
	"Здравствуйте! После обновления страница объекта открывается без карты.",
	"Вчера пытались опубликовать объявление о продаже квартиры, появляется ошибка 500.",
	"Наш агент не может войти в личный кабинет, пароль сбрасывали дважды.",
	"Подскажите, пожалуйста, почему в счёте за тариф указана неверная сумма.",
	"В карточке квартиры на улице Ленина указан адрес соседнего дома, поправьте координаты.",
	"Прикладываю снимок экрана, ошибка повторяется в Chrome и Firefox.",
	"Заранее спасибо за помощь, с уважением, отдел продаж агентства недвижимости.",
	"Hello, since yesterday the listing editor shows a grey map without tiles.",
	"When I upload photos of the apartment the progress bar stops at 90 percent.",
	"Could you please send the invoice for our partner licence to accounting?",
	"The listing number is in the subject; the problem started after your update.",
	"Best regards, the office manager of the real estate agency.",
	"Мы работаем с вашим порталом третий год, раньше такой проблемы не было.",
	"Уточните, пожалуйста, сроки исправления, клиенты ждут публикации.",
}

// Mail is one mail of the corpus.
type Mail struct {
	Spam bool
	Raw  []byte
}

// SpamMail returns the i-th junk mail.
func SpamMail(i int) []byte {
	return build(i, "spam", spamSubjects, spamLines, fmt.Sprintf("promo%d@mailer-%d.example", i%7, i%5))
}

// HamMail returns the i-th normal support mail.
func HamMail(i int) []byte {
	return build(i, "ham", hamSubjects, hamLines, fmt.Sprintf("agent%d@agency-%d.example", i%9, i%4))
}

// Corpus returns n junk and n normal mails, interleaved.
func Corpus(n int) []Mail {
	out := make([]Mail, 0, 2*n)
	for i := range n {
		out = append(out, Mail{Spam: true, Raw: SpamMail(i)}, Mail{Raw: HamMail(i)})
	}
	return out
}

func build(i int, class string, subjects, lines []string, from string) []byte {
	subject := subjects[i%len(subjects)]
	var body strings.Builder
	for k := range 5 {
		body.WriteString(lines[(i*3+k*5)%len(lines)])
		body.WriteString("\r\n")
	}
	date := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", from)
	b.WriteString("To: support@desk.example\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s-%d-%d@corpus.example>\r\n", class, i, len(subject))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(body.String())
	return []byte(b.String())
}
