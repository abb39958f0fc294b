package bitrix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The portal's types are loose: IDs arrive as "5" or 5, empty dates as "",
// booleans as "Y"/"N", empty objects as []. The Flex types below decode all
// of these without failing on the variants the portal is known to send.

var jsonNull = []byte("null")

// FlexInt is an integer sent as a JSON number, a numeric string, "" or null
// (both zero).
type FlexInt int64

// UnmarshalJSON accepts 5, "5", " 5 ", 5.0, "", null.
func (f *FlexInt) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, jsonNull) {
		*f = 0
		return nil
	}
	s := string(data)
	if data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("flexint: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*f = 0
			return nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = FlexInt(n)
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || math.Abs(x) > 1<<62 {
		return fmt.Errorf("flexint: not an integer: %.40q", s)
	}
	*f = FlexInt(int64(x))
	return nil
}

// MarshalJSON writes a JSON number.
func (f FlexInt) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(f), 10), nil
}

// FlexString is a string that may arrive as a JSON number; null is "".
type FlexString string

// UnmarshalJSON accepts "x", 5, 5.5, true, null.
func (f *FlexString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, jsonNull) {
		*f = ""
		return nil
	}
	if data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("flexstring: %w", err)
		}
		*f = FlexString(s)
		return nil
	}
	if data[0] == '{' || data[0] == '[' {
		return fmt.Errorf("flexstring: not a scalar: %.40q", data)
	}
	*f = FlexString(data)
	return nil
}

// FlexBool is a boolean sent as "Y"/"N", true/false, "1"/"0", 1/0, "" or
// null (the last two false).
type FlexBool bool

// UnmarshalJSON accepts the variants listed on FlexBool.
func (f *FlexBool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	s := string(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("flexbool: %w", err)
		}
	}
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "Y", "YES", "TRUE", "1", "ON":
		*f = true
	case "N", "NO", "FALSE", "0", "", "NULL", "OFF":
		*f = false
	default:
		return fmt.Errorf("flexbool: not a boolean: %.40q", s)
	}
	return nil
}

// MarshalJSON writes "Y" or "N", the portal's own form.
func (f FlexBool) MarshalJSON() ([]byte, error) {
	if f {
		return []byte(`"Y"`), nil
	}
	return []byte(`"N"`), nil
}

// FlexTime is a date-time sent as RFC 3339 with an offset
// ("2026-05-14T10:26:32+02:00"), a date ("2026-05-14"), "" or null (both
// the zero time).
type FlexTime struct{ time.Time }

var flexTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05-0700",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02",
	"02.01.2006 15:04:05",
	"02.01.2006",
}

// UnmarshalJSON accepts the variants listed on FlexTime; a time without an
// offset is read as UTC.
func (f *FlexTime) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, jsonNull) {
		f.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("flextime: %w", err)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		f.Time = time.Time{}
		return nil
	}
	for _, layout := range flexTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			f.Time = t
			return nil
		}
	}
	return fmt.Errorf("flextime: not a date: %.40q", s)
}

// MarshalJSON writes RFC 3339 with offset, or "" for the zero time.
func (f FlexTime) MarshalJSON() ([]byte, error) {
	if f.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(f.Format(time.RFC3339))
}

// FlexMap is a JSON object the portal sends as [] when it is empty. A
// non-empty array is kept too, keyed by index ("0", "1", ...); null is nil.
type FlexMap map[string]json.RawMessage

// UnmarshalJSON accepts an object, an array or null.
func (f *FlexMap) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, jsonNull) {
		*f = nil
		return nil
	}
	switch data[0] {
	case '{':
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("flexmap: %w", err)
		}
		*f = m
		return nil
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("flexmap: %w", err)
		}
		m := make(map[string]json.RawMessage, len(list))
		for i, v := range list {
			m[strconv.Itoa(i)] = v
		}
		*f = m
		return nil
	}
	return fmt.Errorf("flexmap: not an object: %.40q", data)
}
