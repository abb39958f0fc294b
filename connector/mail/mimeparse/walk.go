package mimeparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// walker visits the MIME tree once, keeping the counters the limits need.
type walker struct {
	opts     Options
	msg      *Message
	oversize bool
	parts    int
	attBytes int
	gotText  bool
	inReport bool
	level    int // nesting of the message being walked (attached messages)
}

// content is the body text found under one entity.
type content struct {
	text     string
	html     string
	hasPlain bool
	charset  string
	detected bool
	// htmlText is true while text still has to be made from html (done
	// lazily: an HTML alternative of a plain text part is never converted).
	htmlText bool
}

// resolve makes the text of an HTML-only content.
func (c content) resolve() content {
	if c.htmlText {
		c.text, c.htmlText = htmlToText(c.html), false
	}
	return c
}

func (c *content) add(o content, sep string) {
	o = o.resolve()
	if o.text != "" {
		if c.text != "" {
			c.text += sep
		}
		c.text += o.text
	}
	if o.html != "" {
		c.html += o.html
	}
	c.hasPlain = c.hasPlain || o.hasPlain
	if c.charset == "" {
		c.charset, c.detected = o.charset, o.detected
	}
}

// entity handles one MIME entity whose body is r.
func (w *walker) entity(h textproto.Header, r io.Reader, depth int, parent string) content {
	w.parts++
	if w.parts > w.opts.MaxParts {
		if w.parts == w.opts.MaxParts+1 {
			w.msg.problem("more than %d MIME parts: the rest is skipped", w.opts.MaxParts)
		}
		return content{}
	}
	ctype, params := parseMediaHeader(h.Get("Content-Type"))
	if ctype == "" || !strings.Contains(ctype, "/") {
		ctype = "text/plain"
		if parent == "multipart/digest" {
			ctype = "message/rfc822"
		}
	}
	if strings.HasPrefix(ctype, "multipart/") {
		if b := params["boundary"]; b != "" {
			return w.multipart(ctype, params, r, depth)
		}
		w.msg.problem("%s without boundary: read as text", ctype)
		ctype = "text/plain"
	}
	body, ok := transferReader(h.Get("Content-Transfer-Encoding"), r)
	if !ok {
		w.msg.problem("unknown transfer encoding %s", quoteShort(h.Get("Content-Transfer-Encoding")))
	}
	disp, dparams := parseMediaHeader(h.Get("Content-Disposition"))
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	isBody := (ctype == "text/plain" || ctype == "text/html") && disp != "attachment" && filename == ""
	switch {
	case isBody:
		return w.text(ctype, params, body)
	case ctype == "message/rfc822" || ctype == "message/global":
		return w.attachedMessage(h, body, filename, depth)
	case ctype == "message/delivery-status" || ctype == "message/global-delivery-status":
		data, _, err := readPart(body, 1<<20)
		if err != nil && !errors.Is(err, errTooLong) {
			w.msg.problem("delivery status: %v", shortErr(err))
		}
		w.deliveryStatus(data)
		return content{}
	case ctype == "text/rfc822-headers" || ctype == "message/global-headers":
		data, _, _ := readPart(body, w.opts.MaxHeaderBytes)
		hh, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(data, '\r', '\n'))))
		if id := firstMsgID(hh.Get("Message-Id")); id != "" && w.msg.AttachedMessageID == "" {
			w.msg.AttachedMessageID = id
		}
		return content{}
	}
	w.attachment(h, ctype, disp, filename, parent, body)
	return content{}
}

func (w *walker) multipart(ctype string, params map[string]string, r io.Reader, depth int) content {
	if w.level+depth >= w.opts.MaxDepth {
		w.msg.problem("MIME nesting deeper than %d: skipped", w.opts.MaxDepth)
		return content{}
	}
	if ctype == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") && depth == 0 {
		w.inReport = true
		if w.msg.Bounce == nil {
			w.msg.Bounce = &Bounce{}
		}
	}
	mr := textproto.NewMultipartReader(r, params["boundary"])
	var out content
	var alts []content
	for {
		if w.oversize && w.gotText {
			break // oversize: headers and the first text part only
		}
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.msg.problem("%s: %s", ctype, shortErr(err))
			break
		}
		c := w.entity(p.Header, p, depth+1, ctype)
		if ctype == "multipart/alternative" {
			alts = append(alts, c)
			continue
		}
		out.add(c, "\n\n")
	}
	if ctype == "multipart/alternative" {
		return pickAlternative(alts)
	}
	return out
}

// pickAlternative prefers the first alternative with text/plain, else the
// first with any text; the HTML comes from the first that has it.
func pickAlternative(alts []content) content {
	var out content
	for _, c := range alts {
		if c.hasPlain && c.text != "" {
			out = c
			break
		}
	}
	if out.text == "" {
		for _, c := range alts {
			if c = c.resolve(); c.text != "" {
				out = c
				break
			}
		}
	}
	if out.html == "" {
		for _, c := range alts {
			if c.html != "" {
				out.html = c.html
				break
			}
		}
	}
	return out
}

// text decodes a body text part.
func (w *walker) text(ctype string, params map[string]string, r io.Reader) content {
	if w.oversize && w.gotText {
		_, _ = countPart(r)
		return content{}
	}
	w.gotText = true
	data, _, err := readPart(r, 4*w.opts.MaxTextBytes)
	if err != nil {
		if errors.Is(err, errTooLong) {
			w.msg.problem("%s part cut at %d bytes", ctype, 4*w.opts.MaxTextBytes)
		} else {
			w.msg.problem("%s part: %s", ctype, shortErr(err))
		}
	}
	d := decodeText(data, params["charset"])
	switch {
	case d.problem != "" && d.severe:
		w.msg.problem("%s", d.problem)
	case d.problem != "":
		w.msg.note("%s", d.problem)
	}
	c := content{charset: d.charset, detected: d.detected}
	if ctype == "text/html" {
		c.html, c.htmlText = d.text, true
	} else {
		text := normalizeNewlines(d.text)
		if strings.EqualFold(params["format"], "flowed") {
			text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
		}
		c.text = strings.TrimRight(text, " \n")
		c.hasPlain = true
	}
	return c
}

// attachment records one file part.
func (w *walker) attachment(h textproto.Header, ctype, disp, filename, parent string, r io.Reader) {
	a := Attachment{
		Filename:    sanitizeFilename(filename),
		ContentType: ctype,
		ContentID:   normalizeMsgID(h.Get("Content-Id")),
		Inline:      disp == "inline" || (parent == "multipart/related" && disp != "attachment"),
	}
	if a.Filename == "" {
		a.Filename = fmt.Sprintf("attachment-%d%s", len(w.msg.Attachments)+1, extensionFor(ctype))
	}
	var err error
	if w.oversize {
		a.Size, err = countPart(r)
		a.Omitted = true
	} else {
		a.Data, a.Size, err = readPart(r, w.opts.MaxAttachmentBytes-w.attBytes)
		if errors.Is(err, errTooLong) {
			err = nil
			a.Data, a.Omitted = nil, true
			w.msg.problem("attachment %q (%d bytes) over the attachment size limit: left out", a.Filename, a.Size)
		}
		w.attBytes += len(a.Data)
	}
	if err != nil {
		w.msg.problem("attachment %q: %s", a.Filename, shortErr(err))
	}
	w.msg.Attachments = append(w.msg.Attachments, a)
}

// maxAttachedLevels is how deep attached messages are read (a forward of a
// forward of a forward); deeper ones are kept as files only, since each
// level copies its part.
const maxAttachedLevels = 3

// attachedMessage records a message/rfc822 part as an attachment, takes its
// Message-ID for bounce lookup and returns its text as a forwarded block
// (not for the returned copy inside a bounce report).
func (w *walker) attachedMessage(h textproto.Header, r io.Reader, filename string, depth int) content {
	limit := w.opts.MaxAttachmentBytes - w.attBytes
	if w.oversize {
		limit = w.opts.MaxHeaderBytes
	}
	data, size, err := readPart(r, limit)
	if err != nil && !errors.Is(err, errTooLong) {
		w.msg.problem("attached message: %s", shortErr(err))
	}
	var nested *Message
	nerr := errors.New("attached message nested too deep")
	if level := w.level + 1; level <= maxAttachedLevels && w.level+depth+1 < w.opts.MaxDepth {
		o := w.opts
		o.MaxSize, o.MaxParts = len(data)+1, max(1, w.opts.MaxParts-w.parts)
		nested, nerr = parse(data, o, level)
	} else {
		w.msg.problem("attached message nested too deep: kept as a file, not read")
	}
	a := Attachment{Filename: sanitizeFilename(filename), ContentType: "message/rfc822", Size: size, Data: data}
	if errors.Is(err, errTooLong) || w.oversize {
		a.Data, a.Omitted = nil, true
	}
	w.attBytes += len(a.Data)
	if nerr == nil && nested != nil {
		for _, p := range nested.Problems {
			w.msg.note("attached message: %s", p)
		}
		w.msg.Partial = w.msg.Partial || nested.Partial
		if w.msg.AttachedMessageID == "" {
			w.msg.AttachedMessageID = nested.MessageID
		}
		if a.Filename == "" {
			a.Filename = sanitizeFilename(nested.Subject)
			if a.Filename != "" {
				a.Filename += ".eml"
			}
		}
	}
	if a.Filename == "" {
		a.Filename = fmt.Sprintf("message-%d.eml", len(w.msg.Attachments)+1)
	}
	w.msg.Attachments = append(w.msg.Attachments, a)
	if nerr != nil || nested == nil || w.inReport || w.oversize {
		return content{}
	}
	var b strings.Builder
	b.WriteString("---------- Forwarded message ----------\n")
	fmt.Fprintf(&b, "From: %s\n", nested.From)
	if !nested.Date.IsZero() {
		fmt.Fprintf(&b, "Date: %s\n", nested.Date.Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	}
	fmt.Fprintf(&b, "Subject: %s\n\n", nested.Subject)
	b.WriteString(nested.Text)
	return content{text: b.String(), hasPlain: true}
}

// sanitizeFilename keeps the base name, without path separators and
// control characters.
func sanitizeFilename(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "." || name == ".." {
		return ""
	}
	return cutUTF8(name, 255)
}

func extensionFor(ctype string) string {
	switch ctype {
	case "image/jpeg":
		return ".jpg"
	case "text/plain":
		return ".txt"
	case "application/octet-stream":
		return ".bin"
	}
	if exts, err := mime.ExtensionsByType(ctype); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}
