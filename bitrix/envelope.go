package bitrix

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Response is a successful Bitrix24 answer: the raw result and the paging
// and timing fields of the envelope. Optional fields are zero when absent.
type Response struct {
	Result json.RawMessage // the "result" value, as sent
	Next   *int            // offset of the next page; nil on the last page and for non-list methods
	Total  int             // total rows of a list (0 with start=-1 or for non-list methods)
	Time   Time            // the "time" object
}

// Time is the envelope's "time" object. Operating and OperatingResetAt are
// present only where the portal enforces per-method operating time.
type Time struct {
	Start, Finish, Duration, Processing float64
	DateStart, DateFinish               string
	Operating                           float64 // seconds this method used in the current 10-minute window
	OperatingResetAt                    int64   // Unix time when the oldest window bucket drops
}

// flexFloat is a number that may arrive as a string.
type flexFloat float64

// UnmarshalJSON accepts a number or a numeric string; garbage reads as 0.
func (f *flexFloat) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(data)), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		*f = 0 // timing is advisory: never fail a call on it
		return nil
	}
	*f = flexFloat(x)
	return nil
}

type wireTime struct {
	Start            flexFloat  `json:"start"`
	Finish           flexFloat  `json:"finish"`
	Duration         flexFloat  `json:"duration"`
	Processing       flexFloat  `json:"processing"`
	DateStart        FlexString `json:"date_start"`
	DateFinish       FlexString `json:"date_finish"`
	Operating        flexFloat  `json:"operating"`
	OperatingResetAt flexFloat  `json:"operating_reset_at"`
}

func (w wireTime) time() Time {
	return Time{
		Start: float64(w.Start), Finish: float64(w.Finish), Duration: float64(w.Duration),
		Processing: float64(w.Processing), DateStart: string(w.DateStart), DateFinish: string(w.DateFinish),
		Operating: float64(w.Operating), OperatingResetAt: int64(w.OperatingResetAt),
	}
}

// parseTime decodes a "time" object tolerantly; garbage gives the zero Time.
func parseTime(raw json.RawMessage) Time {
	var w wireTime
	if len(raw) == 0 || json.Unmarshal(raw, &w) != nil {
		return Time{}
	}
	return w.time()
}

// envelope is the whole answer, success or error.
type envelope struct {
	Result           json.RawMessage `json:"result"`
	Next             json.RawMessage `json:"next"`
	Total            json.RawMessage `json:"total"`
	Time             json.RawMessage `json:"time"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription json.RawMessage `json:"error_description"`
}

// rawString reads a JSON string or scalar as text; anything else is "".
func rawString(raw json.RawMessage) string {
	var s FlexString
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return string(s)
}

// rawInt reads a JSON number or numeric string; ok is false when absent or
// not a number.
func rawInt(raw json.RawMessage) (int, bool) {
	var n FlexInt
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), jsonNull) || json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	return int(n), true
}

func (e *envelope) response() *Response {
	r := &Response{Result: e.Result, Time: parseTime(e.Time)}
	if n, ok := rawInt(e.Next); ok {
		r.Next = &n
	}
	r.Total, _ = rawInt(e.Total)
	return r
}
