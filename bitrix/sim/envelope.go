package sim

import (
	"net/http"
	"time"
)

// apiError is an error answer: HTTP status plus the portal's code and text.
// Older CRM methods send an empty code.
type apiError struct {
	status int
	code   string
	desc   string
}

func errf(status int, code, desc string) *apiError {
	return &apiError{status: status, code: code, desc: desc}
}

func (e *apiError) body() map[string]any {
	return map[string]any{"error": e.code, "error_description": e.desc}
}

// Errors the old CRM methods answer with an empty code.
var (
	errNotFound     = &apiError{400, "", "Not found"}
	errAccessDenied = &apiError{400, "", "Access denied."}
	errBadID        = &apiError{400, "", "ID is not defined or invalid."}
)

func errMethodNotFound() *apiError {
	return errf(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
}

func errRequired(name string) *apiError {
	return errf(400, "ERROR_REQUIRED_PARAMETERS_MISSING", "Required parameter is missing: "+name)
}

// outcome is what a method returns: its result and, for list methods, paging.
type outcome struct {
	result any
	list   bool
	next   int // -1: no next page
	total  int
}

func plain(v any) outcome { return outcome{result: v, next: -1} }

// timing is the "time" section of an answer.
type timing struct {
	start, finish  time.Time // portal clock
	operating      float64
	operatingReset int64
	withOperating  bool
}

func (p *Portal) timeSection(t timing) map[string]any {
	dur := t.finish.Sub(t.start).Seconds()
	m := map[string]any{
		"start":       unixFloat(t.start),
		"finish":      unixFloat(t.finish),
		"duration":    dur,
		"processing":  dur,
		"date_start":  p.fmtTime(t.start),
		"date_finish": p.fmtTime(t.finish),
	}
	if t.withOperating {
		m["operating"] = t.operating
		m["operating_reset_at"] = t.operatingReset
	}
	return m
}

func unixFloat(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// fmtTime formats a time as the portal does: in its time zone, with offset.
func (p *Portal) fmtTime(t time.Time) string {
	return t.In(p.loc).Format("2006-01-02T15:04:05-07:00")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := appendJSON(make([]byte, 0, 1024), v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"INTERNAL_SERVER_ERROR","error_description":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeHTML(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html><head><title>" + title + "</title></head><body><h1>" + title +
		"</h1><hr><center>nginx</center></body></html>\n"))
}
