// Package daemon builds and runs `b24desk run` from a loaded config: the
// outbox worker, the mail intake of each mailbox, the portal events (webhook
// handler, offline poller or reconcile only), reconcile and sweep on cron, the
// SLA ticks, the retention job and the rules reload, plus the HTTP server with
// /healthz, /readyz, /metrics, /bitrix/events and, with a debug clock only,
// POST /debug/clock.
//
// New binds the HTTP listener and checks the portal schema, so a bad address
// or a portal where `b24desk setup` never ran fails before anything starts.
// Run stops in two phases when its context ends: first the intake (IMAP,
// webhooks, offline events, cron) stops taking new work, then the outbox is
// drained within Options.DrainTimeout, then everything else is cancelled.
//
// docs/operations.md describes the endpoints, metrics, signals and readiness
// rules for operators.
package daemon
