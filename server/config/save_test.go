package config

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// equalIgnoringPath reports whether a and b are equal in every field but
// Path.
func equalIgnoringPath(a, b *Config) bool {
	x, y := *a, *b
	x.Path, y.Path = "", ""
	return reflect.DeepEqual(x, y)
}

func TestSave_ThenLoadRoundTrips(t *testing.T) {
	dir := t.TempDir()
	mysql := Default(dir)
	mysql.Database = Database{
		Type: MySQL, Server: "db.example.com", Port: 3307, Name: "mail",
		Username: "mw", Password: ` p@ss:w/o?r#d%;="x" `,
		Connections: 12, ConnectionAttempts: 1, ConnectionAttemptsDelay: 0,
	}
	mysql.Security.AdministratorPassword = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"

	quoted := Default(dir)
	quoted.Database.Password = `"quoted"`
	quoted.Security.AdministratorPassword = `"`

	spaces := Default(filepath.Join(dir, " spaced dir "))

	namedFile := Default(dir)
	namedFile.Database.Name = "named.db"
	namedFile.Database.File = filepath.Join(dir, "data", "named.db")

	empty := &Config{Database: defaultDatabase()}

	for name, c := range map[string]*Config{
		"defaults":                         Default(dir),
		"mysql with awkward password":      mysql,
		"values that look quoted":          quoted,
		"directories with outer spaces":    spaces,
		"sqlite file named in Database":    namedFile,
		"no directories":                   empty,
		"negative numbers kept for report": {Database: Database{Type: PostgreSQL, Port: -1, Connections: -2, ConnectionAttempts: 0, ConnectionAttemptsDelay: -3 * time.Second}},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mailwright.ini")
			if err := c.Save(path); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Path != path {
				t.Errorf("Path = %q, want %q", got.Path, path)
			}
			if !equalIgnoringPath(got, c) {
				t.Errorf("round trip changed the configuration\n got %+v\nwant %+v", got, c)
			}
		})
	}
}

func TestSave_KeepsSQLiteFileSetDirectly(t *testing.T) {
	// A File that does not follow from Name and DataFolder is written in
	// the Database key, so it comes back as both Name and File.
	dir := t.TempDir()
	c := Default(dir)
	c.Database.File = filepath.Join(dir, "elsewhere", "x.db")
	path := filepath.Join(dir, "mailwright.ini")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Database.File != c.Database.File || got.Database.Name != c.Database.File {
		t.Errorf("File %q, Name %q; want both %q", got.Database.File, got.Database.Name, c.Database.File)
	}
}

func TestSave_FileIsReadableOnlyByOwner(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix file modes")
	}
	path := filepath.Join(t.TempDir(), "mailwright.ini")
	// An existing, world-readable file is replaced by a private one.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Default(t.TempDir()).Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode %o, want 600", mode)
	}
}

func TestSave_ReplacesFileAndLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mailwright.ini")
	first := Default(filepath.Join(dir, "one"))
	second := Default(filepath.Join(dir, "two"))
	for _, c := range []*Config{first, second} {
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !equalIgnoringPath(got, second) {
		t.Errorf("got %+v, want the second configuration", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only mailwright.ini", names)
	}
}

func TestSave_ExplainsEveryKeyInAComment(t *testing.T) {
	data, err := Default(root(t)).marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if runtime.GOOS == "windows" {
		if strings.Count(text, "\r\n") != strings.Count(text, "\n") {
			t.Error("Windows file does not use CRLF throughout")
		}
		text = strings.ReplaceAll(text, "\r\n", "\n")
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if k, _, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, ";") {
			if k == "Password" || k == "ConnectionAttemptsDelay" {
				continue // explained together with the key before
			}
			if i == 0 || !strings.HasPrefix(lines[i-1], "; ") {
				t.Errorf("key %s has no comment above it", k)
			}
		}
	}
	for _, s := range []string{"[Directories]", "[Database]", "[Security]", "DataFolder=", "LogFolder=", "TempFolder=",
		"EventFolder=", "Type=sqlite", "Server=", "Port=0", "Database=", "Username=", "Password=",
		"NumberOfConnections=5", "ConnectionAttempts=6", "ConnectionAttemptsDelay=5", "AdministratorPassword="} {
		if !strings.Contains(text, "\n"+s) {
			t.Errorf("saved file lacks a line starting %q", s)
		}
	}
}

func TestSave_RefusesWhatTheFileCannotHold(t *testing.T) {
	for name, edit := range map[string]func(*Config){
		"line break in password":   func(c *Config) { c.Database.Password = "a\nb" },
		"line break in directory":  func(c *Config) { c.Directories.Logs = "/x\n/y" },
		"sub-second attempt delay": func(c *Config) { c.Database.ConnectionAttemptsDelay = 1500 * time.Millisecond },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := Default(dir)
			edit(c)
			path := filepath.Join(dir, "mailwright.ini")
			if err := c.Save(path); err == nil {
				t.Fatal("Save succeeded")
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("file exists after a failed Save: %v", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("temporary file left behind: %v", entries)
			}
		})
	}
}

func TestSave_IntoMissingDirectoryFails(t *testing.T) {
	if err := Default(t.TempDir()).Save(filepath.Join(t.TempDir(), "missing", "mailwright.ini")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
}
