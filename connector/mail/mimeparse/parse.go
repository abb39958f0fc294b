package mimeparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// ErrUnreadable is wrapped by Parse's error when nothing usable came out of
// the mail (the intake quarantines it with the error as the reason).
var ErrUnreadable = errors.New("mail is unreadable")

// Parse reads one raw mail. It fails (wrapping ErrUnreadable) only when the
// mail has no readable header; every other defect is recorded in
// Message.Problems with Message.Partial set.
func Parse(raw []byte, opts Options) (*Message, error) {
	return parse(raw, opts.withDefaults(), 0)
}

// parse reads a mail nested level message/rfc822 parts deep.
func parse(raw []byte, opts Options, level int) (*Message, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrUnreadable)
	}
	m := &Message{Size: len(raw), Oversize: len(raw) > opts.MaxSize}
	// The header block is cut to size before it is read, so a huge field
	// never pushes the fields after it into the body.
	head, body := splitHeader(raw)
	head = m.boundHeader(head, opts)
	end := "\r\n"
	if !bytes.HasSuffix(head, []byte("\n")) {
		end = "\r\n\r\n"
	}
	br := bufio.NewReader(io.MultiReader(bytes.NewReader(head), strings.NewReader(end), bytes.NewReader(body)))
	h, err := textproto.ReadHeader(br)
	if h.Len() == 0 {
		if err == nil {
			err = errors.New("no header fields")
		}
		return nil, fmt.Errorf("%w: header: %w", ErrUnreadable, err)
	}
	if err != nil {
		m.problem("header: %v", shortErr(err))
	}
	readHeader(m, h)

	w := &walker{opts: opts, msg: m, oversize: m.Oversize, level: level}
	c := w.entity(h, br, 0, "").resolve()
	m.Text = w.capText(normalizeNewlines(c.text), "text")
	m.HTML = w.capText(c.html, "html")
	m.Charset, m.CharsetDetected = c.charset, c.detected
	if m.Oversize {
		m.Problems = append(m.Problems, fmt.Sprintf("mail is %d bytes, over the %d limit: headers and the first text part only", len(raw), opts.MaxSize))
	}
	classify(m, h)
	return m, nil
}

// readHeader fills the header fields of m.
func readHeader(m *Message, h textproto.Header) {
	m.Header = headerMap(h)
	m.MessageID = firstMsgID(h.Get("Message-Id"))
	m.InReplyTo = firstMsgID(h.Get("In-Reply-To"))
	m.References = parseMsgIDs(h.Get("References"))
	if from := parseAddressList(h.Get("From")); len(from) > 0 {
		m.From = from[0]
	} else if sender := parseAddressList(h.Get("Sender")); len(sender) > 0 {
		m.From = sender[0]
	}
	m.ReplyTo = parseAddressList(h.Get("Reply-To"))
	m.To = parseAddressList(strings.Join(h.Values("To"), ", "))
	m.Cc = parseAddressList(strings.Join(h.Values("Cc"), ", "))
	if h.Has("Return-Path") {
		m.HasReturnPath = true
		rp := strings.TrimSpace(h.Get("Return-Path"))
		rp = strings.TrimSpace(strings.Trim(rp, "<>"))
		m.ReturnPath = strings.ToLower(fixHeaderText(rp))
	}
	m.Subject = strings.TrimSpace(decodeHeader(h.Get("Subject")))
	m.Date = parseDate(h.Get("Date"))
}

func (w *walker) capText(s, what string) string {
	if len(s) <= w.opts.MaxTextBytes {
		return s
	}
	w.msg.problem("%s cut at %d bytes", what, w.opts.MaxTextBytes)
	return cutUTF8(s, w.opts.MaxTextBytes)
}

// cutUTF8 cuts s to at most n bytes on a rune boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimRight(s, " \t\n")
}

func shortErr(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
