// Package bitrix is b24desk's Bitrix24 REST client: webhook or OAuth auth,
// one call, batch, full list scans, a leaky-bucket limiter shared by every
// goroutine (and, through a BucketStore in Config.Bucket, by every process
// on one state), retries, typed errors (errors.go is the one place where remote
// errors are sorted into retryable and final) and typed helpers for the
// methods b24desk uses. No secret ever appears in an error or a log line.
//
// # Calls
//
// Client.Call sends one method as a JSON POST and returns the envelope's
// result, next, total and time. Before sending it waits for the limiter (the
// portal's leaky bucket, mirrored with a small safety margin so that the
// portal never has to refuse a request) and for the method's operating-time
// pause. It then retries what is safe: QUERY_LIMIT_EXCEEDED always (it was
// not executed), a refused connection always (never sent), timeouts, 5xx and
// non-JSON answers only for reads and idempotent writes. Any other write
// (crm.lead.add, im.notify.*, crm.timeline.comment.add, to-dos, workflow
// starts...) that meets a timeout or a 5xx fails with ErrOutcomeUnknown:
// the caller looks the record up by its de-duplication key before trying
// again. An expired OAuth token is refreshed once for all waiting callers;
// Client.ExchangeCode gets an application's first pair from the
// authorization code of the portal's redirect (`b24desk auth`).
// A 302 from a portal that changed its domain is re-POSTed (never turned
// into a GET) and the new address is kept.
//
// # Batch and scans
//
// Client.Batch splits any number of commands into requests of MaxBatch (50)
// commands; a "$result[key]..." reference works only within the same chunk
// of 50. Command params are encoded with EncodeQuery, the PHP-style codec
// (fields[TITLE]=x, filter[>ID]=5, select[]=ID) shared with the portal
// simulator, which decodes them with DecodeQuery.
//
// Client.Scan reads every row of a list method by ID order with >ID paging
// and start=-1, chaining 50 pages in one batch request, in constant memory.
//
// # Types
//
// The portal's loose JSON (IDs as strings, "Y"/"N", "" dates, [] for empty
// objects) is read through FlexInt, FlexString, FlexBool, FlexTime and
// FlexMap.
package bitrix
