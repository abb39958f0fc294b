package events

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

// MaxBodyBytes is the largest event body accepted (larger → 413).
const MaxBodyBytes = 1 << 20

// Path is where the daemon mounts Handler.
const Path = "/bitrix/events"

// HandlerOptions configures NewHandler.
type HandlerOptions struct {
	// Token is the outgoing webhook's application token. Required; never
	// logged.
	Token string
	// Recorder stores accepted changes durably before the answer. Required.
	Recorder Recorder
	// Notify wakes the worker after a new change was recorded (Worker.Notify).
	// May be nil: the worker then finds the change on its next poll.
	Notify func()
	Clock  clock.Clock // default clock.System{}
	Logger zerolog.Logger
	// Metrics default NopMetrics.
	Metrics Metrics
}

// Handler serves POST /bitrix/events, the portal's outgoing webhook.
type Handler struct {
	token   [sha256.Size]byte
	rec     Recorder
	notify  func()
	clock   clock.Clock
	log     zerolog.Logger
	metrics Metrics
}

// NewHandler checks the options and returns the handler.
func NewHandler(o HandlerOptions) (*Handler, error) {
	if o.Token == "" {
		return nil, errors.New("events: an application token is required")
	}
	if o.Recorder == nil {
		return nil, errors.New("events: a recorder is required")
	}
	h := &Handler{
		token:   sha256.Sum256([]byte(o.Token)),
		rec:     o.Recorder,
		notify:  o.Notify,
		clock:   o.Clock,
		log:     o.Logger.With().Str("component", "events").Logger(),
		metrics: o.Metrics,
	}
	if h.clock == nil {
		h.clock = clock.System{}
	}
	if h.metrics == nil {
		h.metrics = NopMetrics{}
	}
	return h, nil
}

// ServeHTTP answers 405 for anything but POST, 413 for a body over 1 MiB,
// 415 for a body that is not form-encoded, 400 for a malformed body or a
// lead event without a lead ID, 401 for a wrong application token, 503 when
// the change could not be recorded, and 200 for everything else (unknown
// events included). Nothing is recorded unless the answer is 200.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			h.reject(w, "media_type", http.StatusUnsupportedMediaType)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.reject(w, "too_large", http.StatusRequestEntityTooLarge)
			return
		}
		h.reject(w, "malformed", http.StatusBadRequest)
		return
	}
	ev, err := parseWebhookForm(string(body))
	if err != nil {
		h.log.Warn().Err(err).Str("remote", r.RemoteAddr).Msg("malformed event body")
		h.reject(w, "malformed", http.StatusBadRequest)
		return
	}
	got := sha256.Sum256([]byte(ev.Token))
	if subtle.ConstantTimeCompare(got[:], h.token[:]) != 1 {
		h.log.Warn().Str("remote", r.RemoteAddr).Str("domain", ev.Domain).Str("event", ev.Event).
			Msg("event with a wrong application token")
		h.reject(w, "token", http.StatusUnauthorized)
		return
	}
	if !isLeadEvent(ev.Event) {
		h.metrics.EventIgnored("webhook")
		h.log.Debug().Str("event", ev.Event).Msg("event ignored")
		writeText(w, http.StatusOK, "ignored")
		return
	}
	if ev.LeadID == 0 {
		h.log.Warn().Str("event", ev.Event).Msg("lead event without a valid data[FIELDS][ID]")
		h.reject(w, "malformed", http.StatusBadRequest)
		return
	}
	now := h.clock.Now()
	at := ev.TS
	if at.IsZero() {
		at = now
	} else {
		h.metrics.EventLag(now.Sub(at))
	}
	c := Change{LeadID: ev.LeadID, Event: ev.Event, At: at}
	isNew, err := h.rec.Record(r.Context(), c, dedupeKey("webhook", ev.Event, ev.LeadID, at))
	if err != nil {
		// The portal never retries: reconcile will find this change.
		h.log.Error().Err(err).Int("lead", ev.LeadID).Str("event", ev.Event).Msg("cannot record event")
		writeText(w, http.StatusServiceUnavailable, "cannot record event")
		return
	}
	h.metrics.EventReceived("webhook", ev.Event, isNew)
	h.log.Debug().Int("lead", ev.LeadID).Str("event", ev.Event).Bool("new", isNew).Msg("event recorded")
	if isNew && h.notify != nil {
		h.notify()
	}
	writeText(w, http.StatusOK, "ok")
}

func (h *Handler) reject(w http.ResponseWriter, reason string, status int) {
	h.metrics.EventRejected(reason)
	writeText(w, status, http.StatusText(status))
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}
