// Package imaptest starts IMAP servers for tests: a private Dovecot in a
// temporary directory on a loopback port, and go-imap's in-memory server,
// both behind the same Server type so a suite runs unchanged against each
// (see ForEach).
//
// Server also offers the client-side helpers a test needs to set the scene
// and to check the outcome: AddUser, CreateFolder, Append, AppendMany and
// List, which returns each message's UID, flags and raw bytes so a test can
// assert the folder a mail ended up in and whether it was marked \Seen.
//
// Dovecot rule: when /usr/sbin/dovecot is missing (or the test does not run
// as root), StartDovecot skips the test, unless B24DESK_REQUIRE_DOVECOT=1 or
// CI=true is set, in which case it fails it.
package imaptest
