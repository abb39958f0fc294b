package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/spam"
)

// The demo's spam mail and its stand-in filter. The demo never starts a
// spamd (it would need root and seconds to start): a stand-in that scores
// a few promotional phrases plays spamd's part, and the demo says so.
// `spamd.address` in a real config points at SpamAssassin's spamd.

// demoSpamLetter is a promotional mail the filter should send to junk.
func demoSpamLetter() demoLetter {
	return demoLetter{key: "spam", from: "Продвижение <promo@seo-mailer.example>",
		subject: "Раскрутка сайта в ТОП-10 Яндекса за 14 дней",
		body: "Только сегодня скидка 70% на продвижение! Гарантируем рост продаж и поток горячих клиентов.\n" +
			"Закажите базу email адресов конкурентов, более 2 миллионов контактов. Пассивный доход без вложений."}
}

// standInPhrases are what the stand-in filter scores, 2.5 points each.
var standInPhrases = []string{"скидка", "гарантируем", "база email", "базу email", "пассивный доход", "раскрутка", "топ-10"}

// standInFilter plays spamd in the demo: it scores phrases, learns nothing.
type standInFilter struct{}

func (standInFilter) Symbols(_ context.Context, raw []byte) (spam.Result, error) {
	text := strings.ToLower(decodedText(raw))
	res := spam.Result{Threshold: 5}
	for _, p := range standInPhrases {
		if strings.Contains(text, p) {
			res.Score += 2.5
			res.Rules = append(res.Rules, "DEMO_"+strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_").Replace(p)))
		}
	}
	res.Spam = res.Score >= res.Threshold
	return res, nil
}

func (standInFilter) Tell(context.Context, []byte, spam.Class) (bool, error) { return true, nil }

// decodedText is the demo letter's subject and body as written (the demo's
// mails are base64 UTF-8; the stand-in reads the letter it knows).
func decodedText(raw []byte) string {
	for _, l := range append(demoLetters(), demoSpamLetter()) {
		if strings.Contains(string(raw), l.messageID()) {
			return l.subject + "\n" + l.body
		}
	}
	return string(raw)
}

// showSpam tells where the spam mail went: a ticket in the junk stage,
// without SLA, assignee or acknowledgement.
func (d *demo) showSpam(ctx context.Context) error {
	l := demoSpamLetter()
	var t ticket.Ticket
	err := waitUntil(ctx, demoWait, func() bool {
		id := d.leadBySubject(l.subject)
		if id == 0 {
			return false
		}
		var err error
		t, err = d.st.Ticket(ctx, id)
		return err == nil
	})
	if err != nil {
		return fmt.Errorf("%w: no ticket for the spam mail", errDemoStep)
	}
	lead, _ := d.env.portal.Lead(int(t.LeadID))
	for _, m := range d.env.sent.list() {
		if strings.Contains(strings.Join(m.To, ","), address(l.from)) {
			return fmt.Errorf("%w: the spam mail was acknowledged", errDemoStep)
		}
	}
	var score float64
	_, _ = fmt.Sscan(fmt.Sprint(lead["UF_CRM_B24D_SPAM_SCORE"]), &score)
	d.say("%-42q → ticket #%d straight in %s: spam filter %.1f / 5.0 (a stand-in filter: spamd is not started by the demo), not routed, no SLA, no acknowledgement",
		l.subject, t.LeadID, t.Status, score)
	return nil
}
