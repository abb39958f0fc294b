// Package config loads the b24desk daemon configuration: one YAML file,
// parsed strictly (unknown keys and wrong types are errors that name
// FILE:LINE:COL and the key path, all collected together as Problems),
// completed with defaults, overridden by B24DESK_* environment variables,
// with every secret readable from a file (the *_file keys), relative paths
// resolved against the config file's directory, and validated.
//
// Secrets are of type Secret, which prints as "****"; Config.Redacted and
// Config.Print give a view safe for logs and the check command.
//
// The package embeds the time zone database (time/tzdata) so that
// portal.timezone loads in minimal containers too.
package config
