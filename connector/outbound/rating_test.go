package outbound

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/schema"
)

var rateLink = regexp.MustCompile(`https?://[^\s]+/rate\?t=[^\s]+`)

// ratedAnswer restarts the env with ratings (publicURL "-": none), makes
// a ticket and sends a staff answer; it returns the ticket and the mail
// the SMTP server got.
func ratedAnswer(e *env, publicURL string) (int, *mimeparse.Message) {
	e.t.Helper()
	e.ratingsURL = publicURL
	e.close()
	e.open()
	e.customerMail("Анна <anna@example.com>", "Не приходит письмо", "Не приходит письмо регистрации.", "p1@example.com")
	e.round()
	lead := e.onlyLead()
	e.staff(lead, map[string]any{schema.FieldReply: "Проверьте папку «Спам»."})
	e.flush()
	msg, _ := e.received(0)
	return lead, msg
}

// testRatings: a staff answer sent over real SMTP carries one signed link
// per choice; opening a link records nothing; posting the form records the
// rating on the lead (field and timeline comment naming the answer) and
// notifies on a low one, once per answer; repeats, bad and expired links
// change nothing; the endpoint is rate-limited.
func testRatings(t *testing.T, s *imaptest.Server) {
	var e *env
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.rateHandler.ServeHTTP(w, r) }))
	defer srv.Close()
	e = newEnv(t, s, nil)
	lead, msg := ratedAnswer(e, srv.URL)
	links := rateLink.FindAllString(msg.Text, -1)
	if len(links) != 3 || !strings.Contains(msg.Text, "2. Недостаточно полно: "+links[1]) {
		t.Fatalf("answer does not offer the three choices as links:\n%s", msg.Text)
	}
	ctx := context.Background()
	answer := regexp.MustCompile(`Ответ ([0-9a-f]{10}) отправлен`).FindStringSubmatch(e.comments(lead))
	if answer == nil {
		t.Fatalf("the timeline does not name the answer:\n%s", e.comments(lead))
	}

	get := func(link string) (int, string) {
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(link string, choice int, comment string) (int, string) {
		u, _ := url.Parse(link)
		resp, err := http.PostForm(srv.URL+"/rate", url.Values{"t": {u.Query().Get("t")},
			"choice": {strconv.Itoa(choice)}, "comment": {comment}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		e.flush()
		return resp.StatusCode, string(b)
	}
	field := func() string {
		l, _ := e.portal.Lead(lead)
		return str(l[schema.FieldRating])
	}
	itemOf := func(label string) string {
		id, ok := e.schema.EnumID(schema.FieldRating, label)
		if !ok {
			t.Fatalf("setup made no %s item %q", schema.FieldRating, label)
		}
		return id
	}

	// A mail scanner opening the link changes nothing.
	code, page := get(links[1])
	if code != 200 || !strings.Contains(page, `value="1" checked`) || !strings.Contains(page, "<textarea") {
		t.Fatalf("GET: %d\n%s", code, page)
	}
	if _, found, _ := e.st.RatingOf(ctx, int64(lead), answer[1]); found || field() != "" {
		t.Fatal("opening the link recorded a rating")
	}

	code, page = post(links[1], 1, "Не хватает шагов")
	if code != 200 || !strings.Contains(page, "Спасибо") {
		t.Fatalf("POST: %d\n%s", code, page)
	}
	if field() != itemOf("Недостаточно полно") {
		t.Errorf("lead rating field = %q", field())
	}
	comments := e.comments(lead)
	if !strings.Contains(comments, "Оценка ответа "+answer[1]) || !strings.Contains(comments, "«Недостаточно полно» (3)") ||
		!strings.Contains(comments, "Не хватает шагов") {
		t.Errorf("no rating comment naming the answer:\n%s", comments)
	}
	low := func() int {
		n := 0
		for _, nt := range e.portal.Notifications() {
			if strings.Contains(nt.Message, "Низкая оценка") {
				n++
			}
		}
		return n
	}
	if low() != 1 {
		t.Errorf("%d low-rating notifications, want 1", low())
	}
	if h, err := e.st.HistoryTicket(ctx, int64(lead)); err != nil || len(h.Ratings) != 1 || h.Ratings[0].Score != 3 {
		t.Errorf("history ratings = %+v, %v", h.Ratings, err)
	}

	// The same choice again: a clear page, nothing written.
	n := len(e.portal.Comments(lead))
	if code, page := post(links[1], 1, ""); code != 200 || !strings.Contains(page, "уже") || len(e.portal.Comments(lead)) != n {
		t.Errorf("repeat: %d, %d comments (was %d)\n%s", code, len(e.portal.Comments(lead)), n, page)
	}
	// Changed: the field follows; another low rating of the same answer
	// does not notify again.
	post(links[0], 0, "")
	if field() != itemOf("Ответ устраивает") {
		t.Errorf("changed rating: field = %q", field())
	}
	post(links[2], 2, "")
	if field() != itemOf("Не устраивает") || low() != 1 {
		t.Errorf("field %q, %d low-rating notifications (want 1: once per answer)", field(), low())
	}

	// Forged and expired links change nothing.
	n = len(e.portal.Comments(lead))
	forged := strings.Replace(links[0], "t=", "t=x", 1)
	if code, page := get(forged); code != 400 || !strings.Contains(page, "недействительна") {
		t.Errorf("forged GET: %d\n%s", code, page)
	}
	if code, _ := post(forged, 1, ""); code != 400 {
		t.Errorf("forged POST: %d", code)
	}
	e.clk.Advance(15 * 24 * time.Hour)
	if code, page := post(links[1], 1, ""); code != 410 || !strings.Contains(page, "истёк") {
		t.Errorf("expired POST: %d\n%s", code, page)
	}
	if len(e.portal.Comments(lead)) != n || field() != itemOf("Не устраивает") {
		t.Error("a forged or expired link changed the ticket")
	}

	// Rate limit: the 31st request of a minute is refused.
	limited := false
	for range 40 {
		if code, _ := get(links[0]); code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("never rate-limited")
	}
}

// testRatingByReply: without a public URL the answer asks for a reply; a
// reply to it whose first line is a choice's number or label is the
// rating (no customer-reply comment, not a new message), any other reply
// is a message as before.
func testRatingByReply(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	lead, msg := ratedAnswer(e, "-")
	if !strings.Contains(msg.Text, "ответьте на письмо") || !strings.Contains(msg.Text, "2. Недостаточно полно\n") ||
		rateLink.MatchString(msg.Text) {
		t.Fatalf("answer does not ask for a rating by reply:\n%s", msg.Text)
	}
	before := strings.Count(e.comments(lead), "Ответ клиента")
	subject := "Re: [#" + strconv.Itoa(lead) + "] Не приходит письмо"
	e.clk.Advance(time.Minute)
	e.customerMail("anna@example.com", subject, "2\n\n> Проверьте папку «Спам».", "p2@example.com",
		"In-Reply-To: <"+msg.MessageID+">", "References: <p1@example.com> <"+msg.MessageID+">")
	e.round()
	l, _ := e.portal.Lead(lead)
	if id, _ := e.schema.EnumID(schema.FieldRating, "Недостаточно полно"); str(l[schema.FieldRating]) != id {
		t.Errorf("rating field = %q, want the item of «Недостаточно полно» (%s)", str(l[schema.FieldRating]), id)
	}
	comments := e.comments(lead)
	if strings.Count(comments, "Ответ клиента") != before || !strings.Contains(comments, "«Недостаточно полно» (3)") {
		t.Errorf("the rating reply became a message, or no rating comment:\n%s", comments)
	}
	if c, _ := e.tickets.counts(); c != 0 {
		t.Errorf("the rating reply was told to the engine as a customer reply (%d)", c)
	}
	// Another reply is a message again.
	e.clk.Advance(time.Minute)
	e.customerMail("anna@example.com", subject, "Спасибо, нашлось в спаме.", "p3@example.com",
		"In-Reply-To: <"+msg.MessageID+">")
	e.round()
	if strings.Count(e.comments(lead), "Ответ клиента") != before+1 || len(e.portal.Leads()) != 1 {
		t.Errorf("an ordinary reply was not added to the ticket:\n%s", e.comments(lead))
	}
}
