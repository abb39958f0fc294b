// Package demo is `b24desk demo`: the whole product against a world of its
// own in one process (the portal simulator, an in-memory IMAP mailbox, an
// SMTP server catching the answers, a config and the default rules in a
// temporary directory), playing a support day with the staff's part and
// ending with a table of the tickets.
//
// It lives at the top level, beside cmd, not under connector: it wires every
// part like cmd does and it depends on the simulator (bitrix/sim), which the
// daemon's own packages must never import outside their tests. It builds
// the client, runs setup and the daemon through the same functions the CLI
// uses (daemon.NewClient, daemon.Setup, daemon.New), so the demo shows what
// a user's installation does. cmd/b24desk only parses the demo's flags.
package demo
