// Package sim is a Bitrix24 portal simulator: an http.Handler that speaks the
// subset of the Bitrix24 REST API b24desk uses, with the real envelopes,
// error codes and HTTP statuses, list paging and filters, batch with
// $result references, the leaky-bucket and operating-time limits, outgoing
// lead events (pushed and offline), an OAuth token endpoint and faults on
// demand (latency, 5xx, HTML answers, a down portal, lost answers, late
// writes, a domain change), which the simulator's own control endpoint
// (control.go, not a portal feature) also sets at run time, and an Audit of
// what landed twice.
//
// It follows ../../docs and /work/shared/bitrix24-api.md; tests, the demo and
// the benchmarks run against it, so a difference from a real portal is a bug.
//
// All state lives in memory behind one mutex. Portal time (DATE_CREATE,
// DATE_MODIFY, event timestamps, token lifetimes) comes from the injected
// clock; the request limits use the wall clock (Options.WallClock), as the
// real portal's limiter does.
package sim
