package config

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
)

// secretSource is how a secret was given: its value (in the file or the
// environment) and/or a KEY_file.
type secretSource struct {
	valueAt *origin
	file    string
	fileAt  origin
}

func (l *loader) secret(path string) *secretSource {
	src, ok := l.secrets[path]
	if !ok {
		src = &secretSource{}
		l.secrets[path] = src
	}
	return src
}

// secretValue notes that the secret at path was written in the file.
func (l *loader) secretValue(path string, v reflect.Value, at origin) {
	if v.Type() == secretType && v.String() != "" {
		l.secret(path).valueAt = &at
	}
}

// resolveSecret applies KEY_FILE from the environment, checks that a secret
// is given once, and reads its file. env is the secret's own variable.
func (l *loader) resolveSecret(v reflect.Value, path, env string) {
	src := l.secret(path)
	fileKey := path + "_file"
	if name, ok := l.env(env + "_FILE"); ok {
		at := origin{env: env + "_FILE"}
		if _, both := l.env(env); both {
			l.addAt(at, fileKey, "set either %s or %s_FILE, not both", env, env)
			return
		}
		l.origins[fileKey] = at
		src.file, src.fileAt, src.valueAt = name, at, nil
		v.SetString("")
		if name == "" {
			l.addAt(at, fileKey, "must be a file name")
			return
		}
	}
	if src.file == "" {
		return
	}
	if src.valueAt != nil {
		key := path[strings.LastIndexAny(path, ".]")+1:]
		l.addAt(src.fileAt, fileKey, "set either %s or %s_file, not both", key, key)
		return
	}
	name := l.resolvePath(src.file)
	data, err := l.readFile(name)
	if err != nil {
		l.addAt(src.fileAt, fileKey, "cannot read secret file %s: %s", name, describeFileError(err))
		return
	}
	value := strings.TrimRight(string(data), "\r\n")
	if value == "" {
		l.addAt(src.fileAt, fileKey, "secret file %s is empty", name)
		return
	}
	v.SetString(value)
}

// describeFileError names what went wrong without repeating file contents.
func describeFileError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
