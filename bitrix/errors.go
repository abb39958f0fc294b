package bitrix

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is. Every error the client returns for a failed call
// wraps exactly one of them (an *APIError carries it as its Kind).
var (
	// ErrRateLimited: 503 QUERY_LIMIT_EXCEEDED. The call was not executed; wait and retry.
	ErrRateLimited = errors.New("rate limited")
	// ErrOperatingLimit: 429 OPERATION_TIME_LIMIT. Wait until the method's operating reset.
	ErrOperatingLimit = errors.New("method operating time limit reached")
	// ErrTokenExpired: 401 expired_token / invalid_token. Refresh the OAuth token and repeat.
	ErrTokenExpired = errors.New("access token expired")
	// ErrUnauthorized: 401 NO_AUTH_FOUND and similar: bad webhook secret or dead token. Final.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrAccessDenied: 403, or "Access denied." / insufficient scope. Final.
	ErrAccessDenied = errors.New("access denied")
	// ErrNotFound: the record does not exist ("Not found", NOT_FOUND, OWNER_NOT_FOUND). Final.
	ErrNotFound = errors.New("not found")
	// ErrMethodNotFound: ERROR_METHOD_NOT_FOUND (status 400 or 404). Final.
	ErrMethodNotFound = errors.New("method not found")
	// ErrInvalid: a method-level error for this call (bad arguments, ERROR_CORE...). Final.
	ErrInvalid = errors.New("invalid request")
	// ErrTransient: 5xx, network failure or a non-JSON body. Retry reads and idempotent writes.
	ErrTransient = errors.New("transient failure")
	// ErrOverloaded: OVERLOAD_LIMIT or PORTAL_DELETED. Final; a human must act.
	ErrOverloaded = errors.New("portal blocked or deleted")
	// ErrOutcomeUnknown: a non-idempotent write (add, notify, comment, to-do)
	// met a timeout or a 5xx. It may or may not have been applied: the caller
	// looks the record up by its key before trying again.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrSkipped: a batch command that the portal did not run because an
	// earlier command failed with halt set. Safe to send again.
	ErrSkipped = errors.New("not executed: batch halted")
)

// APIError is a failed Bitrix24 call. It never contains a secret: Method is
// the REST method name only, never the URL.
type APIError struct {
	Status      int    // HTTP status (0 for network errors)
	Code        string // Bitrix24 error code, may be empty
	Description string // error_description, may be empty
	Method      string // REST method, e.g. crm.lead.add
	Kind        error  // one of the sentinels above

	gen     uint64 // OAuth token generation the request used (for the shared refresh)
	resetAt int64  // operating_reset_at of a 429 answer, when given
	notSent bool   // the portal certainly did not execute the request
	network bool   // no answer came: the connection failed (Status 0)
}

// Error describes the failure without any secret.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bitrix %s: ", e.Method)
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			fmt.Fprintf(&b, " %s", e.Code)
		}
		b.WriteString(")")
	} else if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	return b.String()
}

// Unwrap lets errors.Is match the sentinel.
func (e *APIError) Unwrap() error { return e.Kind }

// Classify sorts a Bitrix24 error answer into one of the sentinels. It is the
// one place where codes, statuses and (for the older CRM methods that send an
// empty code) descriptions are interpreted.
func Classify(status int, code, description string) error {
	switch strings.ToUpper(code) {
	case "QUERY_LIMIT_EXCEEDED":
		return ErrRateLimited
	case "OPERATION_TIME_LIMIT":
		return ErrOperatingLimit
	case "EXPIRED_TOKEN", "INVALID_TOKEN":
		return ErrTokenExpired
	case "NO_AUTH_FOUND", "WRONG_AUTH_TYPE", "AUTHORIZATION_ERROR", "WRONG_CLIENT", "INVALID_GRANT", "INVALID_CLIENT":
		return ErrUnauthorized
	case "ACCESS_DENIED", "INVALID_CREDENTIALS", "INSUFFICIENT_SCOPE", "USER_ACCESS_ERROR", "ALLOWED_ONLY_INTRANET_USER":
		return ErrAccessDenied
	case "NOT_FOUND", "OWNER_NOT_FOUND":
		return ErrNotFound
	case "ERROR_METHOD_NOT_FOUND":
		return ErrMethodNotFound
	case "OVERLOAD_LIMIT", "PORTAL_DELETED":
		return ErrOverloaded
	case "INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER":
		return ErrTransient
	case "":
		return classifyDescription(status, description)
	}
	switch {
	case status == 401:
		return ErrUnauthorized
	case status == 403:
		return ErrAccessDenied
	case status == 429:
		return ErrOperatingLimit
	case status >= 500:
		return ErrTransient
	}
	return ErrInvalid
}

func classifyDescription(status int, description string) error {
	d := strings.ToLower(strings.TrimSpace(description))
	switch {
	case strings.HasPrefix(d, "access denied"):
		return ErrAccessDenied
	case strings.HasPrefix(d, "not found"), strings.Contains(d, "not found"):
		return ErrNotFound
	case status == 401:
		return ErrUnauthorized
	case status == 403:
		return ErrAccessDenied
	case status == 429:
		return ErrOperatingLimit
	case status >= 500:
		return ErrTransient
	}
	return ErrInvalid
}

// Retryable reports whether err is worth trying again later without looking
// anything up first: rate and operating limits, transient failures and an
// expired token. ErrOutcomeUnknown is not retryable as is: the caller must
// first find out whether the write happened.
func Retryable(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrOperatingLimit) ||
		errors.Is(err, ErrTransient) || errors.Is(err, ErrTokenExpired) || errors.Is(err, ErrSkipped)
}
