package config

import (
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// EnvName is the environment variable that overrides the key at path:
// "B24DESK_" followed by the path in upper case with every "." and list
// index turned into "_", e.g. portal.webhook_url → B24DESK_PORTAL_WEBHOOK_URL,
// mailboxes[0].imap.password → B24DESK_MAILBOXES_0_IMAP_PASSWORD. A secret
// key also has KEY_FILE (B24DESK_PORTAL_WEBHOOK_URL_FILE).
func EnvName(path string) string {
	r := strings.NewReplacer(".", "_", "[", "_", "]", "")
	return "B24DESK_" + strings.ToUpper(r.Replace(path))
}

// finish walks the decoded configuration: environment overrides, secret
// files, then relative paths.
func (l *loader) finish(v reflect.Value, path, env string) {
	for _, f := range fields(v.Type()) {
		fv := v.Field(f.index)
		p := joinPath(path, f.key)
		e := env + "_" + strings.ToUpper(f.key)
		switch {
		case fv.Type() == timeType || fv.Kind() != reflect.Struct && fv.Kind() != reflect.Slice:
			l.override(fv, p, e)
			if fv.Type() == secretType {
				l.resolveSecret(fv, p, e)
			}
			if f.path && fv.String() != "" {
				fv.SetString(l.resolvePath(fv.String()))
			}
		case fv.Kind() == reflect.Struct:
			l.finish(fv, p, e)
		case fv.Kind() == reflect.Slice:
			for i := range fv.Len() {
				idx := strconv.Itoa(i)
				if fv.Index(i).Kind() != reflect.Struct { // a list of values
					l.override(fv.Index(i), p+"["+idx+"]", e+"_"+idx)
					continue
				}
				l.finish(fv.Index(i), p+"["+idx+"]", e+"_"+idx)
			}
		}
	}
}

// override applies the environment variable env to the scalar v.
func (l *loader) override(v reflect.Value, path, env string) {
	text, ok := l.env(env)
	if !ok {
		return
	}
	at := origin{env: env}
	l.origins[path] = at
	delete(l.failed, path)
	if msg := setScalar(v, text, ""); msg != "" {
		l.addAt(at, path, "%s", msg)
		l.failed[path] = true
		return
	}
	if v.Type() == secretType {
		src := l.secret(path)
		src.valueAt = &at
		src.file = "" // the environment replaces the file's KEY_file too
	}
}

// resolvePath makes a relative path absolute against the config directory.
func (l *loader) resolvePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.dir, p)
}
