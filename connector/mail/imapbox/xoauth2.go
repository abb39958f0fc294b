package imapbox

import "github.com/emersion/go-sasl"

// xoauth2Client is the SASL XOAUTH2 mechanism (Google, Microsoft 365): one
// initial response with the user and bearer token. On failure the server
// sends a JSON challenge, answered with an empty line, then NO.
type xoauth2Client struct {
	user, token string
}

var _ sasl.Client = (*xoauth2Client)(nil)

func (x *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

func (x *xoauth2Client) Next([]byte) ([]byte, error) {
	return []byte{}, nil
}
