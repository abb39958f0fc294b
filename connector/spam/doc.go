// Package spam is a client of SpamAssassin's spamd (the SPAMC/1.5 protocol
// that spamc speaks) over TCP or a unix socket: CHECK, SYMBOLS and REPORT
// score a raw mail, TELL teaches spamd's Bayes filter a mail as spam or ham
// (spamd must run with --allow-tell), PING checks that it answers.
//
// One request per connection, as spamd wants: the request is written with
// an exact Content-length (spamd reads only that spelling), the reply read
// until spamd closes the connection. Every call is bounded by the context
// and by Options.Timeout. Failures to reach spamd or to read its answer
// are ErrUnavailable (try again later, process the mail as unchecked); an
// answer with a non-zero spamd code is a *ReplyError; a mail above
// Options.MaxSize is ErrTooLarge and never sent (spamc skips such mail too).
//
// The subpackage spamdtest starts a private spamd for tests.
package spam
