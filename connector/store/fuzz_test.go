package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzInspectFile: any bytes in place of the state file are either
// accepted as a well-formed SQLite file or refused with ErrDamaged; the
// check never panics and never changes the file.
func FuzzInspectFile(f *testing.F) {
	header := append(append([]byte{}, sqliteMagic...), make([]byte, 84)...)
	header[16], header[17] = 0x10, 0x00 // 4096-byte pages
	header[31] = 2                      // two pages
	f.Add([]byte{})
	f.Add(sqliteMagic)
	f.Add(header)
	f.Add(append(header, make([]byte, 8192-len(header))...))
	f.Add([]byte("not a database at all"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "b24desk.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		err := inspectFile(path)
		if err != nil && !errors.Is(err, ErrDamaged) {
			t.Fatalf("not ErrDamaged: %v", err)
		}
		if err == nil && (len(b) < 100 || !bytes.Equal(b[:16], sqliteMagic)) {
			t.Fatalf("accepted %d bytes that are not an SQLite file", len(b))
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
			t.Fatal("the file was changed")
		}
	})
}
