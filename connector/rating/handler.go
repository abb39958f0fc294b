package rating

import (
	"errors"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Limits of the rating endpoints: per client address, requests per window.
const (
	DefaultLimit  = 30
	DefaultWindow = time.Minute
	maxComment    = 2000
)

// Handler serves the rating page. GET shows the choice from the link
// preselected with an optional comment and a button (opening a link
// never records anything: mail scanners open links by themselves); POST
// checks the token and records the choice. A bad or expired link, an
// unknown ticket or a repeat gets a clear page and changes nothing. Each
// client address gets at most DefaultLimit requests per DefaultWindow.
func (rt *Ratings) Handler() http.Handler {
	lim := &limiter{max: DefaultLimit, window: DefaultWindow, now: rt.o.Clock.Now, seen: map[string]*window{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Type", "text/html; charset=utf-8")
		if !lim.allow(clientAddr(r)) {
			h.Set("Retry-After", "60")
			rt.message(w, http.StatusTooManyRequests, "Слишком много запросов / Too many requests",
				"Попробуйте через минуту. / Please try again in a minute.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			rt.message(w, http.StatusBadRequest, "Неверный запрос / Bad request", "")
			return
		}
		rs := rt.o.Rules()
		if rs == nil || rs.Ratings == nil {
			rt.message(w, http.StatusNotFound, "Оценки отключены / Ratings are off", "")
			return
		}
		now := rt.o.Clock.Now()
		claim, err := rt.signer.Parse(r.Form.Get("t"), now)
		switch {
		case errors.Is(err, ErrExpired):
			rt.message(w, http.StatusGone, "Срок ссылки истёк / This link has expired",
				"Оценку этого ответа больше нельзя поставить или изменить. / This answer can no longer be rated.")
			return
		case err != nil:
			rt.message(w, http.StatusBadRequest, "Ссылка недействительна / This link is not valid",
				"Проверьте, что ссылка скопирована целиком. / Check that the whole link was copied.")
			return
		}
		if _, err := rt.o.Store.Ticket(r.Context(), claim.Lead); errors.Is(err, store.ErrNotFound) {
			rt.message(w, http.StatusNotFound, "Обращение не найдено / Ticket not found", "")
			return
		} else if err != nil {
			rt.log.Error().Err(err).Msg("rating page")
			rt.message(w, http.StatusInternalServerError, "Ошибка / Error", "Попробуйте позже. / Please try later.")
			return
		}
		if r.Method == http.MethodGet {
			rt.form(w, r.Form.Get("t"), claim, rs.Ratings)
			return
		}
		if r.Method != http.MethodPost {
			h.Set("Allow", "GET, POST")
			rt.message(w, http.StatusMethodNotAllowed, "Неверный запрос / Bad request", "")
			return
		}
		idx, err := strconv.Atoi(r.PostForm.Get("choice"))
		choice, ok := rs.Ratings.Choice(idx)
		if err != nil || !ok {
			rt.message(w, http.StatusBadRequest, "Выберите вариант / Choose a rating", "")
			return
		}
		comment := r.PostForm.Get("comment")
		if len(comment) > maxComment {
			comment = comment[:maxComment]
		}
		res, err := rt.Record(r.Context(), claim.Lead, claim.Answer, choice, comment)
		if err != nil {
			rt.log.Error().Err(err).Msg("record rating")
			rt.message(w, http.StatusInternalServerError, "Ошибка / Error", "Оценка не сохранена, попробуйте позже. / The rating was not saved; please try later.")
			return
		}
		switch res {
		case Unchanged:
			rt.message(w, http.StatusOK, "Оценка уже учтена / Already rated",
				"Эта оценка уже сохранена: «"+choice.Label+"». / This rating was already saved.")
		default:
			rt.message(w, http.StatusOK, "Спасибо! / Thank you!", "Ваша оценка: «"+choice.Label+"». / Your rating was saved.")
		}
	})
}

var formTemplate = template.Must(template.New("form").Parse(`<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Оценка ответа / Rate the answer</title>
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:1.5em auto;padding:0 1em}label{display:block;margin:.5em 0}textarea{width:100%;min-height:5em}button{font-size:1.1em;padding:.4em 1.2em}</style></head>
<body><h1>Оценка ответа / Rate the answer</h1>
<p>Обращение / Ticket #{{.Lead}}</p>
<form method="post">
<input type="hidden" name="t" value="{{.Token}}">
{{range .Choices}}<label><input type="radio" name="choice" value="{{.Index}}"{{if .Checked}} checked{{end}}> {{.Label}}</label>
{{end}}<label>Комментарий (необязательно) / Comment (optional)<textarea name="comment" maxlength="2000"></textarea></label>
<button type="submit" id="send">Отправить оценку / Send rating</button>
</form></body></html>
`))

type formChoice struct {
	Index   int
	Label   string
	Checked bool
}

func (rt *Ratings) form(w http.ResponseWriter, tok string, c Claim, rs *rules.Ratings) {
	var choices []formChoice
	for i, ch := range rs.Choices {
		choices = append(choices, formChoice{Index: i, Label: ch.Label, Checked: i == c.Choice})
	}
	_ = formTemplate.Execute(w, struct {
		Lead    int64
		Token   string
		Choices []formChoice
	}{c.Lead, tok, choices})
}

var messageTemplate = template.Must(template.New("msg").Parse(`<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:1.5em auto;padding:0 1em}</style></head>
<body><h1 id="title">{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

func (rt *Ratings) message(w http.ResponseWriter, status int, title, text string) {
	w.WriteHeader(status)
	_ = messageTemplate.Execute(w, struct{ Title, Text string }{title, text})
}

// clientAddr is the request's remote host (a reverse proxy in front makes
// every request one client: the limit then bounds the endpoint as a whole).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter counts requests per client in fixed windows.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	seen   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func (l *limiter) allow(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 10000 { // forget old windows rather than grow without bound
		for k, w := range l.seen {
			if now.Sub(w.start) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	w := l.seen[client]
	if w == nil || now.Sub(w.start) >= l.window || now.Before(w.start) {
		w = &window{start: now}
		l.seen[client] = w
	}
	w.n++
	return w.n <= l.max
}
