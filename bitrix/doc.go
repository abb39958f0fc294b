// Package bitrix is b24desk's Bitrix24 REST client: webhook or OAuth auth,
// one call, batch, full list scans, a leaky-bucket limiter shared by every
// goroutine, retries, typed errors (errors.go is the one place where remote
// errors are sorted into retryable and final) and typed helpers for the
// methods b24desk uses. No secret ever appears in an error or a log line.
package bitrix
