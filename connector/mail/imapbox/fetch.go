package imapbox

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// firstPartCap bounds the text fetched from a mail above Config.MaxSize.
const firstPartCap = 1 << 20

// Fetched is one mail read from the intake folder.
type Fetched struct {
	UID          uint32
	Size         int64     // RFC822.SIZE: the full mail's size
	InternalDate time.Time // when the server received it
	// Raw is the whole mail, or, when Truncated, a stand-in built from the
	// original header and the mail's first text part (at most 1 MiB of
	// it): a parseable mail that says what the customer wrote.
	Raw       []byte
	Truncated bool
}

// FetchSince returns up to max mails of the intake folder with a UID above
// lastUID, in UID order, fetched with BODY.PEEK[] so no flag changes. A
// result of max mails means more may wait: call again before Wait.
func (b *Box) FetchSince(ctx context.Context, lastUID uint32, max int) ([]Fetched, error) {
	if err := b.requireSelected(); err != nil {
		return nil, err
	}
	if max <= 0 {
		max = 100
	}
	if lastUID == math.MaxUint32 {
		return nil, nil // no UID can follow
	}
	// Every EXISTS told so far is covered by this fetch.
	select {
	case <-b.exists:
	default:
	}
	defer b.guard(ctx)()
	// Dovecot adds mail appended by another session to this session's view
	// only when a command completes: a NOOP first, so the FETCH sees mail
	// that arrived since the last command.
	if err := b.c.Noop().Wait(); err != nil {
		return nil, b.ctxErr(ctx, fmt.Errorf("imapbox: noop: %w", err))
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(lastUID+1), 0) // lastUID+1:*
	metas, err := b.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil {
		return nil, b.ctxErr(ctx, fmt.Errorf("imapbox: fetch sizes since UID %d: %w", lastUID, err))
	}
	var out []Fetched
	for _, m := range metas {
		// "n:*" also matches the last mail when n is above every UID.
		if uint32(m.UID) > lastUID {
			out = append(out, Fetched{UID: uint32(m.UID), Size: m.RFC822Size, InternalDate: m.InternalDate})
		}
	}
	slices.SortFunc(out, func(a, b Fetched) int { return cmp.Compare(a.UID, b.UID) })
	if len(out) > max {
		out = out[:max]
	}
	var whole imap.UIDSet
	for i := range out {
		if b.cfg.MaxSize > 0 && out[i].Size > b.cfg.MaxSize {
			raw, err := b.fetchTruncated(out[i].UID)
			if err != nil {
				return nil, b.ctxErr(ctx, err)
			}
			out[i].Raw, out[i].Truncated = raw, true
			b.log.Info().Uint32("uid", out[i].UID).Int64("size", out[i].Size).Msg("mail above the size cap: fetched header and first text part")
			continue
		}
		whole.AddNum(imap.UID(out[i].UID))
	}
	if len(whole) == 0 {
		return out, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := b.c.Fetch(whole, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, b.ctxErr(ctx, fmt.Errorf("imapbox: fetch mail since UID %d: %w", lastUID, err))
	}
	bodies := make(map[uint32][]byte, len(msgs))
	for _, m := range msgs {
		bodies[uint32(m.UID)] = m.FindBodySection(section)
	}
	kept := out[:0]
	for _, f := range out {
		if f.Truncated {
			kept = append(kept, f)
			continue
		}
		raw, ok := bodies[f.UID]
		if !ok {
			// Expunged by someone else between the two fetches: skip it.
			continue
		}
		f.Raw = raw
		kept = append(kept, f)
	}
	return kept, nil
}

// fetchTruncated builds the stand-in for a mail above the size cap.
func (b *Box) fetchTruncated(uid uint32) ([]byte, error) {
	set := imap.UIDSetNum(imap.UID(uid))
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	msgs, err := b.c.Fetch(set, &imap.FetchOptions{
		UID: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection: []*imap.FetchItemBodySection{header},
	}).Collect()
	if err != nil || len(msgs) == 0 {
		return nil, fmt.Errorf("imapbox: fetch header of UID %d: %w", uid, err)
	}
	m := msgs[0]
	hdr := m.FindBodySection(header)
	path, single := firstTextPart(m.BodyStructure)
	var partHeader, text []byte
	partial := &imap.SectionPartial{Offset: 0, Size: firstPartCap}
	switch {
	case single:
		body := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText, Peek: true, Partial: partial}
		text, err = b.fetchSections(uid, body)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		writeHeaderWithout(&buf, hdr)
		buf.WriteString("\r\n")
		buf.Write(text)
		return buf.Bytes(), nil
	case path != nil:
		mime := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierMIME, Part: path, Peek: true}
		body := &imap.FetchItemBodySection{Part: path, Peek: true, Partial: partial}
		parts, err := b.fetchSectionsN(uid, mime, body)
		if err != nil {
			return nil, err
		}
		partHeader, text = parts[0], parts[1]
	default:
		partHeader = []byte("Content-Type: text/plain; charset=utf-8\r\n\r\n")
		text = []byte("(no text part)\r\n")
	}
	var buf bytes.Buffer
	writeHeaderWithout(&buf, hdr, "content-type", "content-transfer-encoding", "content-disposition")
	buf.Write(partHeader)
	buf.Write(text)
	return buf.Bytes(), nil
}

func (b *Box) fetchSections(uid uint32, s *imap.FetchItemBodySection) ([]byte, error) {
	parts, err := b.fetchSectionsN(uid, s)
	if err != nil {
		return nil, err
	}
	return parts[0], nil
}

func (b *Box) fetchSectionsN(uid uint32, sections ...*imap.FetchItemBodySection) ([][]byte, error) {
	msgs, err := b.c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{UID: true, BodySection: sections}).Collect()
	if err != nil || len(msgs) == 0 {
		return nil, fmt.Errorf("imapbox: fetch parts of UID %d: %w", uid, err)
	}
	out := make([][]byte, len(sections))
	for i, s := range sections {
		out[i] = msgs[0].FindBodySection(s)
	}
	return out, nil
}

// firstTextPart finds the first text/plain part (else the first text/*
// part) of a multipart mail; single is true for a non-multipart mail,
// whose body is the text.
func firstTextPart(bs imap.BodyStructure) (path []int, single bool) {
	if bs == nil {
		return nil, false
	}
	if _, ok := bs.(*imap.BodyStructureSinglePart); ok {
		return nil, true
	}
	var plain, anyText []int
	bs.Walk(func(p []int, part imap.BodyStructure) bool {
		sp, ok := part.(*imap.BodyStructureSinglePart)
		if !ok || !strings.EqualFold(sp.Type, "text") {
			return true
		}
		if d := sp.Disposition(); d != nil && strings.EqualFold(d.Value, "attachment") {
			return true
		}
		if plain == nil && strings.EqualFold(sp.Subtype, "plain") {
			plain = slices.Clone(p)
		}
		if anyText == nil {
			anyText = slices.Clone(p)
		}
		return true
	})
	if plain != nil {
		return plain, false
	}
	return anyText, false
}

// writeHeaderWithout copies a raw header block without its final blank
// line, dropping the named fields (lower case) and their continuations.
func writeHeaderWithout(buf *bytes.Buffer, hdr []byte, drop ...string) {
	skipping := false
	for line := range bytes.Lines(hdr) {
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			break
		}
		if trimmed[0] == ' ' || trimmed[0] == '\t' {
			if !skipping {
				buf.Write(line)
			}
			continue
		}
		name, _, _ := bytes.Cut(trimmed, []byte(":"))
		skipping = slices.Contains(drop, strings.ToLower(strings.TrimSpace(string(name))))
		if !skipping {
			buf.Write(line)
		}
	}
	buf.WriteString("X-B24desk-Truncated: yes\r\n")
}
