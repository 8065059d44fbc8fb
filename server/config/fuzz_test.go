package config

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are
// *ParseErrors naming a line, and that whatever it accepts survives Save
// and Load unchanged (apart from Path).
func FuzzParse(f *testing.F) {
	f.Add([]byte("[Directories]\nDataFolder=data\n[Database]\nType=MySQL\nServer=db\nPassword=\"  x  \"\n"))
	f.Add([]byte("\uFEFF[Database]\r\nType=pgsql\r\nPort=5432\r\n"))
	f.Add([]byte("not ini"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		c, err := Parse(bytes.NewReader(data), filepath.Join(dir, "in.ini"))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a *ParseError with a line", err)
			}
			return
		}
		_ = c.Validate()
		_, _, _ = c.Database.DSN()

		out := filepath.Join(dir, "out.ini")
		if err := c.Save(out); err != nil {
			t.Fatalf("Save of a parsed configuration failed: %v", err)
		}
		again, err := Load(out)
		if err != nil {
			t.Fatalf("Load of a saved configuration failed: %v", err)
		}
		if !equalIgnoringPath(c, again) {
			t.Fatalf("Save+Load changed the configuration\nparsed %+v\nloaded %+v", c, again)
		}
	})
}
