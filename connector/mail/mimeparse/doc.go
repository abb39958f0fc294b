// Package mimeparse turns one raw mail (RFC 5322 + MIME bytes) into a
// Message the intake pipeline can act on: decoded headers and addresses, the
// readable text (text/plain preferred, HTML turned into text otherwise), the
// raw HTML, attachments (RFC 2231 / RFC 2047 file names), attached messages,
// bounce details and the automatic-mail class.
//
// It is pure: bytes in, a message out; no IMAP, no database, no portal.
//
// Broken mail never makes Parse fail as long as something usable came out:
// partial failures are listed in Message.Problems and flagged by
// Message.Partial (the intake then attaches the raw .eml to the ticket).
// Parse returns an error only when nothing usable could be read, and the
// intake quarantines the mail with that error as the reason.
//
// Charsets: every charset of golang.org/x/text (IANA and WHATWG names) is
// understood; importing this package registers go-message's charset reader.
// When a text part declares no charset, or declares one its bytes contradict
// (invalid UTF-8, a Cyrillic single-byte charset that scores far worse than
// another), the charset is detected: valid UTF-8 first; windows-1252 when
// the 8-bit bytes sit alone inside Latin words (accented letters); else the
// best of windows-1251, KOI8-R and CP866 by Russian letter-frequency
// scoring (frequent lowercase letters score, capitals inside words and
// pseudo-graphics cost).
// Message.Charset names the charset used and Message.CharsetDetected says
// whether it was guessed.
//
// Automatic mail (Message.Auto) is classified from RFC 3834 Auto-Submitted,
// Precedence, X-Autoreply/X-Autorespond, our own loop header LoopHeader,
// delivery-status reports, mailer-daemon/postmaster senders and an empty
// Return-Path. X-Auto-Response-Suppress alone does not make a mail automatic:
// Outlook and Exchange put it on ordinary person-to-person mail too. It sets
// Message.SuppressAutoReply (do not send an acknowledgement) and, together
// with an auto-reply subject ("Automatic reply:", "Автоматический ответ:",
// "Out of Office"), marks an Outlook auto-reply.
//
// Helpers for the ticket: FindTag / FormatTag / CleanSubject for subject
// tags such as "[#12345]", StripQuoted for the reply part of a mail,
// DedupeKey for the lead's ORIGIN_ID, EscapeBBCode for COMMENTS and
// timeline comments (BB codes), CleanLine for plain-text fields (TITLE).
package mimeparse
