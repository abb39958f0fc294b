package mimeparse

// Default limits applied by Parse when an Options field is zero.
const (
	// DefaultMaxSize is the raw size above which only the headers and the
	// first text part are read (25 MiB, the intake's default cap).
	DefaultMaxSize = 25 << 20
	// DefaultMaxTextBytes caps the decoded text kept in Message.Text and
	// Message.HTML (each).
	DefaultMaxTextBytes = 1 << 20
	// DefaultMaxParts caps the number of MIME parts visited.
	DefaultMaxParts = 1000
	// DefaultMaxDepth caps multipart and message/rfc822 nesting.
	DefaultMaxDepth = 16
	// DefaultMaxHeaderBytes caps the size of one header block (the vital
	// fields are kept beyond it).
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxFieldBytes caps one header field (a 1 MB Subject is cut
	// to this).
	DefaultMaxFieldBytes = 32 << 10
)

// Options bound the work and memory of Parse. The zero value uses the
// defaults above.
type Options struct {
	// MaxSize: when the raw mail is larger, Parse keeps the headers and the
	// first text part only and sets Message.Oversize.
	MaxSize int
	// MaxTextBytes caps the bytes kept in Message.Text and Message.HTML;
	// longer text is cut and a problem is recorded.
	MaxTextBytes int
	// MaxAttachmentBytes caps the total attachment data kept; attachments
	// beyond it keep their name and size but no Data (Omitted is set).
	// Zero means MaxSize.
	MaxAttachmentBytes int
	// MaxParts caps the number of MIME parts visited.
	MaxParts int
	// MaxDepth caps nesting of multiparts and attached messages.
	MaxDepth int
	// MaxHeaderBytes caps one header block: once over it, only the vital
	// fields (Message-ID, Date, From, Subject, Content-Type… see
	// vitalFields) are kept.
	MaxHeaderBytes int
	// MaxFieldBytes caps one header field; a longer one is cut.
	MaxFieldBytes int
}

func (o Options) withDefaults() Options {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxTextBytes <= 0 {
		o.MaxTextBytes = DefaultMaxTextBytes
	}
	if o.MaxAttachmentBytes <= 0 {
		o.MaxAttachmentBytes = o.MaxSize
	}
	if o.MaxParts <= 0 {
		o.MaxParts = DefaultMaxParts
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxFieldBytes <= 0 {
		o.MaxFieldBytes = DefaultMaxFieldBytes
	}
	return o
}
