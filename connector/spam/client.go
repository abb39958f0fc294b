package spam

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Defaults of Options fields left zero.
const (
	// DefaultTimeout bounds one request: connect, send, spamd's work, reply.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxSize is the largest mail sent to spamd (spamc's default,
	// 500 KiB): spam is small, and scoring large mail is slow.
	DefaultMaxSize = 500 << 10
)

// Errors callers act on.
var (
	// ErrUnavailable: spamd could not be reached or its answer could not be
	// read in time (a refused or timed-out connect, a reset, a cut reply).
	ErrUnavailable = errors.New("spamd unavailable")
	// ErrTooLarge: the mail is above Options.MaxSize and was not sent.
	ErrTooLarge = errors.New("mail too large for the spam check")
)

// ReplyError is spamd answering a request with a non-zero code, e.g. 69
// for TELL when spamd runs without --allow-tell.
type ReplyError struct {
	Code    int
	Message string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("spamd answered %d %s", e.Code, e.Message)
}

// Options configure New.
type Options struct {
	// Addr is spamd's address: host:port, or the path of a unix socket
	// (starting with "/").
	Addr string
	// Timeout bounds one request (default DefaultTimeout).
	Timeout time.Duration
	// MaxSize is the largest mail sent (default DefaultMaxSize).
	MaxSize int
	// User, when set, is sent as the User header (spamd's per-user
	// configuration; not needed with spamd -x).
	User string
}

// Client talks to one spamd. It holds no connection between calls and is
// safe for concurrent use.
type Client struct {
	network, addr string
	timeout       time.Duration
	maxSize       int
	user          string
	dialer        net.Dialer
}

// New checks the options and returns a client; it does not connect.
func New(o Options) (*Client, error) {
	if o.Addr == "" {
		return nil, errors.New("spamd: no address")
	}
	c := &Client{network: "tcp", addr: o.Addr, timeout: o.Timeout, maxSize: o.MaxSize, user: o.User}
	if strings.HasPrefix(o.Addr, "/") {
		c.network = "unix"
	} else if _, port, err := net.SplitHostPort(o.Addr); err != nil || port == "" {
		return nil, fmt.Errorf("spamd address %q: want host:port or /path/to/socket", o.Addr)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxSize <= 0 {
		c.maxSize = DefaultMaxSize
	}
	return c, nil
}

// Addr is the address the client talks to.
func (c *Client) Addr() string { return c.addr }

// Result is spamd's verdict on one mail.
type Result struct {
	// Spam is spamd's own verdict: Score at or above its required_score.
	Spam bool
	// Score is the mail's score; Threshold spamd's required_score.
	Score, Threshold float64
	// Rules are the names of the rules that hit (SYMBOLS only), in spamd's
	// order.
	Rules []string
}

// Ping checks that spamd answers.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, "PING", nil, nil)
	return err
}

// Check scores the raw mail.
func (c *Client) Check(ctx context.Context, raw []byte) (Result, error) {
	r, err := c.do(ctx, "CHECK", nil, raw)
	if err != nil {
		return Result{}, err
	}
	return r.result()
}

// Symbols scores the raw mail and names the rules that hit.
func (c *Client) Symbols(ctx context.Context, raw []byte) (Result, error) {
	r, err := c.do(ctx, "SYMBOLS", nil, raw)
	if err != nil {
		return Result{}, err
	}
	res, err := r.result()
	if err != nil {
		return res, err
	}
	for _, s := range strings.Split(strings.TrimSpace(string(r.body)), ",") {
		if s = strings.TrimSpace(s); s != "" {
			res.Rules = append(res.Rules, s)
		}
	}
	return res, nil
}

// Report scores the raw mail and returns spamd's text report (a table of
// the rules that hit, with their points and descriptions).
func (c *Client) Report(ctx context.Context, raw []byte) (Result, string, error) {
	r, err := c.do(ctx, "REPORT", nil, raw)
	if err != nil {
		return Result{}, "", err
	}
	res, err := r.result()
	return res, string(r.body), err
}

// Class is what a mail is taught as.
type Class string

// The classes TELL teaches.
const (
	ClassSpam Class = "spam"
	ClassHam  Class = "ham"
)

// Tell teaches spamd's Bayes filter the raw mail as class. A mail taught
// before as the other class is forgotten and taught again (SpamAssassin
// keeps the Message-ID of every learned mail). learned is false when
// spamd had already learned the mail as this class.
func (c *Client) Tell(ctx context.Context, raw []byte, class Class) (learned bool, err error) {
	if class != ClassSpam && class != ClassHam {
		return false, fmt.Errorf("spamd: unknown class %q", class)
	}
	r, err := c.do(ctx, "TELL", []header{{"Message-class", string(class)}, {"Set", "local"}}, raw)
	if err != nil {
		return false, err
	}
	return strings.Contains(r.header("DidSet"), "local"), nil
}

// Forget makes spamd's Bayes filter forget the raw mail. forgotten is
// false when it did not know the mail.
func (c *Client) Forget(ctx context.Context, raw []byte) (forgotten bool, err error) {
	r, err := c.do(ctx, "TELL", []header{{"Remove", "local"}}, raw)
	if err != nil {
		return false, err
	}
	return strings.Contains(r.header("DidRemove"), "local"), nil
}
