package events

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

const testToken = "s3cr3t-app-token-0123456789"

// sampleBody is the delivery shape from bitrix24-api.md §11.
const sampleBody = "event=ONCRMLEADUPDATE&event_handler_id=975&data[FIELDS][ID]=7405&ts=1766047124" +
	"&auth[domain]=x.bitrix24.ru&auth[client_endpoint]=https://x.bitrix24.ru/rest/" +
	"&auth[member_id]=a223c6b3710f85df22e9377d6c4f7553&auth[application_token]=" + testToken

// recordingSink remembers every change it accepted.
type recordingSink struct {
	mu      sync.Mutex
	changes []Change
	fail    int // refuse this many calls first
}

func (s *recordingSink) LeadChanged(_ context.Context, c Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("sink busy")
	}
	s.changes = append(s.changes, c)
	return nil
}

func (s *recordingSink) got() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Change(nil), s.changes...)
}

type failingRecorder struct{}

func (failingRecorder) Record(context.Context, Change, string) (bool, error) {
	return false, errors.New("disk full")
}

type handlerEnv struct {
	srv    *httptest.Server
	queue  *MemoryQueue
	worker *Worker
	sink   *recordingSink
	clock  *clock.Manual
	logs   *bytes.Buffer
}

func newHandlerEnv(t *testing.T) *handlerEnv {
	t.Helper()
	e := &handlerEnv{
		queue: NewMemoryQueue(),
		sink:  &recordingSink{},
		clock: clock.NewManual(time.Unix(1766047126, 0)),
		logs:  &bytes.Buffer{},
	}
	log := zerolog.New(&lockedWriter{w: e.logs}).Level(zerolog.DebugLevel)
	w, err := NewWorker(WorkerOptions{Queue: e.queue, Sink: e.sink, Clock: e.clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e.worker = w
	h, err := NewHandler(HandlerOptions{Token: testToken, Recorder: e.queue, Notify: w.Notify, Clock: e.clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *handlerEnv) post(t *testing.T, contentType, body string) int {
	t.Helper()
	resp, err := http.Post(e.srv.URL+Path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (e *handlerEnv) drain(t *testing.T) {
	t.Helper()
	if _, err := e.worker.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

const form = "application/x-www-form-urlencoded"

func eventBody(event, id, ts, token string) string {
	v := url.Values{}
	v.Set("event", event)
	v.Set("event_handler_id", "975")
	if id != "" {
		v.Set("data[FIELDS][ID]", id)
	}
	if ts != "" {
		v.Set("ts", ts)
	}
	v.Set("auth[domain]", "x.bitrix24.ru")
	v.Set("auth[member_id]", "m1")
	if token != "" {
		v.Set("auth[application_token]", token)
	}
	return v.Encode()
}

func TestHandlerStatuses(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		want        int
		recorded    int
	}{
		{"api doc sample", form, sampleBody, 200, 1},
		{"encoded brackets", form, eventBody("ONCRMLEADADD", "12", "1766047120", testToken), 200, 1},
		{"lower-case event", form, eventBody("oncrmleaddelete", "12", "1766047120", testToken), 200, 1},
		{"content type with charset", form + "; charset=utf-8", sampleBody, 200, 1},
		{"no ts", form, eventBody("ONCRMLEADUPDATE", "12", "", testToken), 200, 1},
		{"unknown event", form, eventBody("ONCRMDEALUPDATE", "12", "1766047120", testToken), 200, 0},
		{"wrong token", form, eventBody("ONCRMLEADUPDATE", "12", "1766047120", "nope"), 401, 0},
		{"token prefix", form, eventBody("ONCRMLEADUPDATE", "12", "1766047120", testToken[:10]), 401, 0},
		{"missing token", form, eventBody("ONCRMLEADUPDATE", "12", "1766047120", ""), 401, 0},
		{"unknown event wrong token", form, eventBody("ONAPPTEST", "", "", "nope"), 401, 0},
		{"missing ID", form, eventBody("ONCRMLEADUPDATE", "", "1766047120", testToken), 400, 0},
		{"zero ID", form, eventBody("ONCRMLEADUPDATE", "0", "1766047120", testToken), 400, 0},
		{"negative ID", form, eventBody("ONCRMLEADUPDATE", "-4", "1766047120", testToken), 400, 0},
		{"text ID", form, eventBody("ONCRMLEADUPDATE", "abc", "1766047120", testToken), 400, 0},
		{"ID as a map", form, "event=ONCRMLEADUPDATE&data[FIELDS][ID][x]=1&auth[application_token]=" + testToken, 400, 0},
		{"garbage", form, "%zz%%%\x00", 400, 0},
		{"empty body", form, "", 400, 0},
		{"json body", "application/json", `{"event":"ONCRMLEADUPDATE"}`, 415, 0},
		{"too deep", form, "event=x&a" + strings.Repeat("[a]", 40) + "=1", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newHandlerEnv(t)
			if got := e.post(t, tt.contentType, tt.body); got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
			if got := e.queue.Len(); got != tt.recorded {
				t.Fatalf("recorded %d changes, want %d", got, tt.recorded)
			}
			if strings.Contains(e.logs.String(), testToken) {
				t.Fatalf("application token in the logs: %s", e.logs.String())
			}
		})
	}
}

func TestHandlerDeliversOnce(t *testing.T) {
	e := newHandlerEnv(t)
	for i := 0; i < 3; i++ { // the same delivery three times
		if got := e.post(t, form, sampleBody); got != 200 {
			t.Fatalf("status = %d", got)
		}
	}
	e.drain(t)
	e.drain(t)
	want := Change{LeadID: 7405, Event: EventLeadUpdate, At: time.Unix(1766047124, 0)}
	got := e.sink.got()
	if len(got) != 1 || got[0].LeadID != want.LeadID || got[0].Event != want.Event || !got[0].At.Equal(want.At) {
		t.Fatalf("sink got %+v, want exactly %+v", got, want)
	}

	// A later update of the same lead is a new change.
	if got := e.post(t, form, eventBody("ONCRMLEADUPDATE", "7405", "1766047130", testToken)); got != 200 {
		t.Fatalf("status = %d", got)
	}
	e.drain(t)
	if n := len(e.sink.got()); n != 2 {
		t.Fatalf("sink got %d changes after a second update, want 2", n)
	}
}

func TestHandlerMethodAndSize(t *testing.T) {
	e := newHandlerEnv(t)
	resp, err := http.Get(e.srv.URL + Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	big := sampleBody + "&pad=" + strings.Repeat("x", 2<<20)
	if got := e.post(t, form, big); got != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB body: status %d, want 413", got)
	}
	if e.queue.Len() != 0 {
		t.Fatal("an oversized body was recorded")
	}
}

func TestHandlerRecordFailure(t *testing.T) {
	h, err := NewHandler(HandlerOptions{Token: testToken, Recorder: failingRecorder{}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL, form, strings.NewReader(sampleBody))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", resp.StatusCode)
	}
}

func TestNewHandlerNeedsTokenAndRecorder(t *testing.T) {
	if _, err := NewHandler(HandlerOptions{Recorder: NewMemoryQueue()}); err == nil {
		t.Fatal("no error without a token")
	}
	if _, err := NewHandler(HandlerOptions{Token: "x"}); err == nil {
		t.Fatal("no error without a recorder")
	}
}

func TestWorkerRetriesRefusedChanges(t *testing.T) {
	e := newHandlerEnv(t)
	e.sink.fail = 1
	if got := e.post(t, form, sampleBody); got != 200 {
		t.Fatalf("status = %d", got)
	}
	e.drain(t)
	if len(e.sink.got()) != 0 || e.queue.Len() != 1 {
		t.Fatalf("after a refusal: sink %d, queue %d; want 0, 1", len(e.sink.got()), e.queue.Len())
	}
	e.drain(t) // not due yet
	if len(e.sink.got()) != 0 {
		t.Fatal("retried before the backoff")
	}
	e.clock.Advance(time.Second)
	e.drain(t)
	if len(e.sink.got()) != 1 || e.queue.Len() != 0 {
		t.Fatalf("after the backoff: sink %d, queue %d; want 1, 0", len(e.sink.got()), e.queue.Len())
	}
}

func TestWorkerRunDeliversOnNotify(t *testing.T) {
	e := newHandlerEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.worker.Run(ctx) }()
	if got := e.post(t, form, sampleBody); got != 200 {
		t.Fatalf("status = %d", got)
	}
	deadline := time.After(10 * time.Second)
	for len(e.sink.got()) == 0 {
		select {
		case <-deadline:
			t.Fatal("change not delivered by Run")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
