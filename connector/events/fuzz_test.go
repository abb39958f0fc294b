package events

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

// FuzzHandler posts arbitrary bodies: the handler never panics, and a body
// is recorded only when it is answered 200 and carries the right token and a
// lead event with a positive ID.
func FuzzHandler(f *testing.F) {
	f.Add(sampleBody)
	f.Add(eventBody("ONCRMLEADADD", "1", "1766047120", testToken))
	f.Add(eventBody("ONCRMLEADDELETE", "99", "", testToken))
	f.Add("event=ONCRMLEADUPDATE&data[FIELDS][ID][]=1&auth[application_token]=" + testToken)
	f.Add("event[]=x&data=1&auth=2")
	f.Add("%zz")
	f.Add("a[" + strings.Repeat("[", 100))
	f.Fuzz(func(t *testing.T, body string) {
		q := NewMemoryQueue()
		h, err := NewHandler(HandlerOptions{Token: testToken, Recorder: q,
			Clock: clock.NewManual(time.Unix(1766047126, 0)), Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
		req.Header.Set("Content-Type", form)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && q.Len() != 0 {
			t.Fatalf("status %d but %d changes recorded", rec.Code, q.Len())
		}
		if q.Len() == 0 {
			return
		}
		ev, err := parseWebhookForm(body)
		if err != nil || ev.Token != testToken || !isLeadEvent(ev.Event) || ev.LeadID <= 0 {
			t.Fatalf("recorded a change from %q (parsed %+v, err %v)", body, ev, err)
		}
	})
}
