package spam

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// protocolVersion is the SPAMC protocol version the client speaks.
const protocolVersion = "SPAMC/1.5"

// maxReply bounds a reply (a REPORT of a large mail stays far below).
const maxReply = 1 << 20

type header struct{ name, value string }

// reply is one parsed spamd answer.
type reply struct {
	headers []header
	body    []byte
}

func (r *reply) header(name string) string {
	for _, h := range r.headers {
		if strings.EqualFold(h.name, name) {
			return h.value
		}
	}
	return ""
}

// result reads the Spam header: "True ; 15.2 / 5.0".
func (r *reply) result() (Result, error) {
	v := r.header("Spam")
	if v == "" {
		return Result{}, fmt.Errorf("%w: reply without a Spam header", ErrUnavailable)
	}
	verdict, scores, ok := strings.Cut(v, ";")
	score, threshold, ok2 := strings.Cut(scores, "/")
	if !ok || !ok2 {
		return Result{}, fmt.Errorf("%w: unreadable Spam header %q", ErrUnavailable, v)
	}
	var res Result
	switch strings.ToLower(strings.TrimSpace(verdict)) {
	case "true", "yes":
		res.Spam = true
	case "false", "no":
	default:
		return Result{}, fmt.Errorf("%w: unreadable Spam header %q", ErrUnavailable, v)
	}
	var err1, err2 error
	res.Score, err1 = strconv.ParseFloat(strings.TrimSpace(score), 64)
	res.Threshold, err2 = strconv.ParseFloat(strings.TrimSpace(threshold), 64)
	if err1 != nil || err2 != nil {
		return Result{}, fmt.Errorf("%w: unreadable Spam header %q", ErrUnavailable, v)
	}
	if res.Score == 0 {
		res.Score = 0 // spamd writes -0.0
	}
	return res, nil
}

// encode writes one request. Content-length is spelled as spamd wants it
// (header names are case-sensitive there).
func encode(w *bytes.Buffer, cmd, user string, hs []header, body []byte) {
	w.WriteString(cmd + " " + protocolVersion + "\r\n")
	if user != "" {
		w.WriteString("User: " + user + "\r\n")
	}
	for _, h := range hs {
		w.WriteString(h.name + ": " + h.value + "\r\n")
	}
	if body != nil {
		w.WriteString("Content-length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
}

// do sends one request on a new connection and reads the reply.
func (c *Client) do(ctx context.Context, cmd string, hs []header, body []byte) (*reply, error) {
	if len(body) > c.maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(body), c.maxSize)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := c.dialer.DialContext(ctx, c.network, c.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, cmd, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	// A cancelled context ends a blocked read or write at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var req bytes.Buffer
	encode(&req, cmd, c.user, hs, body)
	if _, err := conn.Write(req.Bytes()); err != nil {
		return nil, fmt.Errorf("%w: %s: send: %w", ErrUnavailable, cmd, ctxErr(ctx, err))
	}
	r, err := decode(bufio.NewReader(io.LimitReader(conn, maxReply)))
	if err != nil {
		var re *ReplyError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, cmd, ctxErr(ctx, err))
	}
	return r, nil
}

// ctxErr prefers the context's reason (deadline, cancel) over the I/O
// error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if d, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		// The connection's deadline (the context's) fired first.
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

// decode reads "SPAMD/1.1 0 EX_OK", headers, a blank line and the body
// (Content-length bytes, or to the end when there is none).
func decode(br *bufio.Reader) (*reply, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("read status: %w", err)
	}
	proto, rest, _ := strings.Cut(line, " ")
	codeStr, msg, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(proto, "SPAMD/") {
		return nil, fmt.Errorf("not a spamd reply: %q", clip(line))
	}
	code, err := strconv.Atoi(codeStr)
	if err != nil {
		return nil, fmt.Errorf("not a spamd reply: %q", clip(line))
	}
	if code != 0 {
		return nil, &ReplyError{Code: code, Message: clip(msg)}
	}
	r := &reply{}
	for {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) && line == "" {
			return r, nil // PING: status line only
		}
		if err != nil {
			return nil, fmt.Errorf("read headers: %w", err)
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", clip(line))
		}
		r.headers = append(r.headers, header{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	if cl := r.header("Content-length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 || n > maxReply {
			return nil, fmt.Errorf("bad Content-length %q", clip(cl))
		}
		r.body = make([]byte, n)
		if _, err := io.ReadFull(br, r.body); err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		return r, nil
	}
	r.body, err = io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return r, nil
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) && line == "" {
			return "", io.EOF
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
