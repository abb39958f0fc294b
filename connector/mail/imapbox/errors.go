package imapbox

import "errors"

// Sentinels callers act on with errors.Is.
var (
	// ErrConfig: the Config is invalid; fix the config, do not retry.
	ErrConfig = errors.New("imapbox: invalid config")
	// ErrAuthFailed: the server refused the credentials; retrying with the
	// same ones will not help (report it, back off long).
	ErrAuthFailed = errors.New("imapbox: authentication failed")
	// ErrNotSupported: the server lacks something required.
	ErrNotSupported = errors.New("imapbox: not supported by the server")
	// ErrNotSelected: a method needing the intake folder ran before Select.
	ErrNotSelected = errors.New("imapbox: folder not selected")
)
