package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// root returns an absolute directory for test paths on any OS; nothing is
// created there.
func root(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		return `C:\mailwright-test`
	}
	return "/srv/mailwright-test"
}

func parseString(t *testing.T, text, path string) (*Config, error) {
	t.Helper()
	return Parse(strings.NewReader(text), path)
}

func TestParse_FullHMailServerStyleFileParses(t *testing.T) {
	r := root(t)
	ini := filepath.Join(r, "etc", "mailwright.ini")
	text := "\uFEFF; Mailwright configuration\r\n" +
		"[Directories]\r\n" +
		"ProgramFolder=" + filepath.Join(r, "program") + "\r\n" +
		"DatabaseFolder=" + filepath.Join(r, "database") + "\r\n" +
		"DataFolder=" + filepath.Join(r, "data") + "\r\n" +
		"LogFolder = " + filepath.Join(r, "logs") + "\r\n" +
		"TempFolder=\"" + filepath.Join(r, "temp") + "\"\r\n" +
		"EventFolder=" + filepath.Join(r, "events") + "\r\n" +
		"\r\n" +
		"[GUILanguages]\r\n" +
		"ValidLanguages=english,swedish\r\n" +
		"\r\n" +
		"[Security]\r\n" +
		"AdministratorPassword=5f4dcc3b5aa765d61d8327deb882cf99\r\n" +
		"\r\n" +
		"[Database]\r\n" +
		"Type=MySQL\r\n" +
		"Username=hmail\r\n" +
		"Password=p;a#s=s \"w\"\r\n" +
		"PasswordEncryption=0\r\n" +
		"Port=3307\r\n" +
		"Server=db.example.com\r\n" +
		"Database=hmailserver\r\n" +
		"Internal=0\r\n" +
		"NumberOfConnections=10\r\n" +
		"ConnectionAttempts=3\r\n" +
		"ConnectionAttemptsDelay=2\r\n"
	got, err := parseString(t, text, ini)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Path: ini}
	want.Directories.Data = filepath.Join(r, "data")
	want.Directories.Logs = filepath.Join(r, "logs")
	want.Directories.Temp = filepath.Join(r, "temp")
	want.Directories.Events = filepath.Join(r, "events")
	want.Security.AdministratorPassword = "5f4dcc3b5aa765d61d8327deb882cf99"
	want.Database = Database{
		Type:                    MySQL,
		Server:                  "db.example.com",
		Port:                    3307,
		Name:                    "hmailserver",
		Username:                "hmail",
		Password:                `p;a#s=s "w"`,
		Connections:             10,
		ConnectionAttempts:      3,
		ConnectionAttemptsDelay: 2 * time.Second,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParse_MissingKeysGetDefaults(t *testing.T) {
	r := root(t)
	got, err := parseString(t, "[Database]\nType=pgsql\nServer=db\nDatabase=mail\n", filepath.Join(r, "mailwright.ini"))
	if err != nil {
		t.Fatal(err)
	}
	d := got.Database
	if d.Connections != 5 || d.ConnectionAttempts != 6 || d.ConnectionAttemptsDelay != 5*time.Second || d.Port != 0 {
		t.Errorf("defaults: got connections %d, attempts %d, delay %v, port %d; want 5, 6, 5s, 0",
			d.Connections, d.ConnectionAttempts, d.ConnectionAttemptsDelay, d.Port)
	}
	if d.File != "" {
		t.Errorf("File = %q for pgsql, want empty", d.File)
	}
	// Empty values also mean the default.
	got, err = parseString(t, "[Database]\nNumberOfConnections=\nConnectionAttempts=\nConnectionAttemptsDelay=\nPort=\nType=\n", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := defaultDatabase(); !reflect.DeepEqual(got.Database, want) {
		t.Errorf("empty values: got %+v, want %+v", got.Database, want)
	}
}

func TestParse_WithoutDatabaseSectionUsesSQLiteInDataDirectory(t *testing.T) {
	r := root(t)
	data := filepath.Join(r, "data")
	for name, text := range map[string]string{
		"no [Database] section":   "[Directories]\nDataFolder=" + data + "\n",
		"[Database] without Type": "[Directories]\nDataFolder=" + data + "\n[Database]\nServer=ignored\n",
		"Type=SQLite":             "[Database]\nType=SQLite\n[Directories]\nDataFolder=" + data + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := parseString(t, text, filepath.Join(r, "mailwright.ini"))
			if err != nil {
				t.Fatal(err)
			}
			if got.Database.Type != SQLite {
				t.Errorf("Type = %q, want sqlite", got.Database.Type)
			}
			if want := filepath.Join(data, "mailwright.db"); got.Database.File != want {
				t.Errorf("File = %q, want %q", got.Database.File, want)
			}
		})
	}
}

func TestParse_SQLiteDatabaseKeyNamesFileRelativeToDataFolder(t *testing.T) {
	r := root(t)
	data := filepath.Join(r, "data")
	other := filepath.Join(r, "elsewhere", "mail.db")
	for _, tc := range []struct{ name, value, want string }{
		{"relative name", "mail.db", filepath.Join(data, "mail.db")},
		{"absolute path", other, other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseString(t, "[Directories]\nDataFolder="+data+"\n[Database]\nDatabase="+tc.value+"\n", "")
			if err != nil {
				t.Fatal(err)
			}
			if got.Database.File != tc.want {
				t.Errorf("File = %q, want %q", got.Database.File, tc.want)
			}
		})
	}
}

func TestParse_RelativeDirectoriesAreResolvedAgainstIniDirectory(t *testing.T) {
	r := root(t)
	ini := filepath.Join(r, "etc", "mailwright.ini")
	got, err := parseString(t, "[Directories]\nDataFolder=data\nLogFolder=../logs\nTempFolder=.\nEventFolder=./a/../events\n", ini)
	if err != nil {
		t.Fatal(err)
	}
	want := [4]string{
		filepath.Join(r, "etc", "data"),
		filepath.Join(r, "logs"),
		filepath.Join(r, "etc"),
		filepath.Join(r, "etc", "events"),
	}
	dirs := got.Directories
	if have := [4]string{dirs.Data, dirs.Logs, dirs.Temp, dirs.Events}; have != want {
		t.Errorf("got %q, want %q", have, want)
	}
	if want := filepath.Join(r, "etc", "data", "mailwright.db"); got.Database.File != want {
		t.Errorf("File = %q, want %q", got.Database.File, want)
	}
}

func TestParse_AcceptsTheSyntaxHMailServerIniUses(t *testing.T) {
	r := root(t)
	data := filepath.Join(r, "data")
	for _, tc := range []struct {
		name, text string
		check      func(*Config) bool
	}{
		{"UTF-8 BOM", "\uFEFF[Database]\nType=mssql\n", func(c *Config) bool { return c.Database.Type == MSSQL }},
		{"BOM before a comment", "\uFEFF; hello\n[Database]\nType=mssql\n", func(c *Config) bool { return c.Database.Type == MSSQL }},
		{"CRLF", "[Database]\r\nType=PGSQL\r\nServer=db\r\n", func(c *Config) bool { return c.Database.Server == "db" && c.Database.Type == PostgreSQL }},
		{"no final newline", "[Database]\nServer=db", func(c *Config) bool { return c.Database.Server == "db" }},
		{"section and key names in any case", "[database]\nSERVER=db\n[DIRECTORIES]\ndatafolder=" + data + "\n",
			func(c *Config) bool { return c.Database.Server == "db" && c.Directories.Data == data }},
		{"spaces around section, key and value", "  [ Database ]  \n  Server  =  db  \n", func(c *Config) bool { return c.Database.Server == "db" }},
		{"quotes keep spaces", "[Database]\nPassword=\"  pw  \"\n", func(c *Config) bool { return c.Database.Password == "  pw  " }},
		{"unbalanced quote kept", "[Database]\nPassword=\"pw\n", func(c *Config) bool { return c.Database.Password == `"pw` }},
		{"one pair of quotes removed", "[Database]\nPassword=\"\"pw\"\"\n", func(c *Config) bool { return c.Database.Password == `"pw"` }},
		{"value with = ; and #", "[Database]\nPassword=a=b ;c #d\n", func(c *Config) bool { return c.Database.Password == "a=b ;c #d" }},
		{"comments with ; and #", "; one\n  # two\n[Database]\n;Server=no\n#Server=no\nServer=yes\n", func(c *Config) bool { return c.Database.Server == "yes" }},
		{"empty value", "[Database]\nPassword=\n", func(c *Config) bool { return c.Database.Password == "" }},
		{"unknown sections and keys ignored", "[Unknown]\nServer=no\nServer=twice is fine\n[Database]\nInternal=1\nInternal=1\nServer=db\n",
			func(c *Config) bool { return c.Database.Server == "db" }},
		{"ProgramFolder accepted", "[Directories]\nProgramFolder=C:\\Program Files\\hMailServer\n", func(c *Config) bool { return true }},
		{"type MSSQL", "[Database]\nType=MSSQL\n", func(c *Config) bool { return c.Database.Type == MSSQL }},
		{"type MySQL", "[Database]\nType=MySQL\n", func(c *Config) bool { return c.Database.Type == MySQL }},
		{"type pgsql", "[Database]\nType=pgsql\n", func(c *Config) bool { return c.Database.Type == PostgreSQL }},
		{"PasswordEncryption=0", "[Database]\nPasswordEncryption=0\n", func(c *Config) bool { return true }},
		{"administrator hash as given", "[Security]\nAdministratorPassword= $2a$10$abc/def= \n",
			func(c *Config) bool { return c.Security.AdministratorPassword == "$2a$10$abc/def=" }},
		{"empty file", "", func(c *Config) bool { return c.Database.Type == SQLite }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseString(t, tc.text, "")
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected result %+v", c)
			}
		})
	}
}

func TestParse_ErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       string // the whole message after "mailwright.ini:"
	}{
		{"not a number", "; comment\n[Database]\nType=mysql\nServer=db\n\n\nPort=abc\n",
			`7: [Database] Port: "abc" is not a number`},
		{"number out of range", "[Database]\nNumberOfConnections=99999999999999999999\n",
			`2: [Database] NumberOfConnections: "99999999999999999999" is out of range`},
		{"delay out of range", "[Database]\nConnectionAttemptsDelay=9999999999999\n",
			`2: [Database] ConnectionAttemptsDelay: "9999999999999" is out of range`},
		{"delay not a number", "[Database]\nConnectionAttemptsDelay=1.5\n",
			`2: [Database] ConnectionAttemptsDelay: "1.5" is not a number`},
		{"unknown type", "[Database]\nType=MSSQLCE\n",
			`2: [Database] Type: "MSSQLCE" is not a database type Mailwright supports (SQLite, MSSQL, MySQL or PGSQL)`},
		{"encrypted password", "[Database]\nPassword=abc\nPasswordEncryption=1\n",
			"3: [Database] PasswordEncryption: encrypted database passwords"},
		{"garbage line", "[Database]\nServer=db\nthis is not ini\n",
			`3: expected a [Section] header, a Key=Value line or a comment, got "this is not ini"`},
		{"duplicate section", "[Database]\nServer=a\n[Directories]\n[DATABASE]\n",
			"4: section [DATABASE] appears a second time (first on line 1)"},
		{"duplicate unknown section", "[X]\n[x]\n", "2: section [x] appears a second time (first on line 1)"},
		{"duplicate key", "[Database]\nServer=a\nserver=b\n", "3: [Database] Server: set a second time (first on line 2)"},
		{"unclosed section header", "\n[Database\n", `2: section header "[Database" has no closing "]"`},
		{"text after section header", "[Database] ; main\n", `1: section header "[Database] ; main" has no closing "]"`},
		{"empty section name", "[ ]\n", "1: section header has no name"},
		{"bracket in section name", "[a]b]\n", `1: section name "a]b" contains a bracket`},
		{"missing key", "[Database]\n= value\n", `2: line "= value" has no key before "="`},
		{"key before any section", "; c\nServer=db\n[Database]\n", `2: key "Server" comes before any [Section] header`},
		{"UTF-16 file", "\xff\xfe[\x00D\x00", "1: the file is UTF-16 encoded; save it as UTF-8"},
		{"line too long", "[Database]\nPassword=" + strings.Repeat("x", MaxLineLength) + "\n",
			"2: line is longer than 65536 bytes"},
		{"very long line", "[Database]\n\n" + strings.Repeat("x", 3*MaxLineLength) + "\n",
			"3: line is longer than 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseString(t, tc.text, "mailwright.ini")
			if err == nil {
				t.Fatalf("no error; got %+v", c)
			}
			if c != nil {
				t.Errorf("Config %+v returned with error", c)
			}
			if want := "mailwright.ini:" + tc.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n  %q\ndoes not start with\n  %q", err, want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Path != "mailwright.ini" || pe.Line == 0 {
				t.Errorf("error %#v is not a *ParseError with path and line", err)
			}
		})
	}
}

func TestParse_ErrorWithoutPathUsesFileName(t *testing.T) {
	_, err := parseString(t, "junk\n", "")
	if err == nil || !strings.HasPrefix(err.Error(), "mailwright.ini:1: ") {
		t.Errorf("got %v, want an error starting with mailwright.ini:1:", err)
	}
}

func TestParse_LineLengthLimitIsInclusive(t *testing.T) {
	// A line of exactly MaxLineLength bytes passes whatever its ending;
	// one byte more fails.
	for _, tc := range []struct {
		name   string
		length int
		end    string
		ok     bool
	}{
		{"max with LF", MaxLineLength, "\n", true},
		{"max with CRLF", MaxLineLength, "\r\n", true},
		{"max at end of file", MaxLineLength, "", true},
		{"max+1 with LF", MaxLineLength + 1, "\n", false},
		{"max+1 with CRLF", MaxLineLength + 1, "\r\n", false},
		{"max+1 at end of file", MaxLineLength + 1, "", false},
		{"max+2 at end of file", MaxLineLength + 2, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := "Password="
			line := prefix + strings.Repeat("p", tc.length-len(prefix))
			c, err := parseString(t, "[Database]\n"+line+tc.end, "mailwright.ini")
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Database.Password) != tc.length-len(prefix) {
					t.Errorf("password length %d", len(c.Database.Password))
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), "mailwright.ini:2: line is longer") {
				t.Errorf("got %v, want a line-too-long error on line 2", err)
			}
		})
	}
}

func TestParse_ReaderErrorIsReported(t *testing.T) {
	want := errors.New("disk on fire")
	_, err := Parse(&failingReader{data: "[Database]\n", err: want}, "x.ini")
	if !errors.Is(err, want) {
		t.Errorf("got %v, want it to wrap %v", err, want)
	}
}

type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestLoad_ResolvesAgainstTheFileAndRecordsAbsolutePath(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "m.ini"), []byte("[Directories]\nDataFolder=data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	c, err := Load(filepath.Join("etc", "m.ini"))
	if err != nil {
		t.Fatal(err)
	}
	// TempDir may sit behind a symlink; compare with what Abs gives.
	abs, err := filepath.Abs(filepath.Join("etc", "m.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != abs {
		t.Errorf("Path = %q, want %q", c.Path, abs)
	}
	if want := filepath.Join(filepath.Dir(abs), "data"); c.Directories.Data != want {
		t.Errorf("Data = %q, want %q", c.Directories.Data, want)
	}
}

func TestLoad_MissingFileIsNotExist(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.ini"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want fs.ErrNotExist", err)
	}
}

func TestLoad_ParseErrorNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailwright.ini")
	if err := os.WriteFile(path, []byte("[Database]\nPort=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: [Database] Port:") {
		t.Errorf("got %v", err)
	}
}

func TestDefault_PutsEverythingUnderBaseWithSQLite(t *testing.T) {
	r := root(t)
	c := Default(r)
	dirs := c.Directories
	want := [4]string{filepath.Join(r, "data"), filepath.Join(r, "logs"), filepath.Join(r, "temp"), filepath.Join(r, "events")}
	if have := [4]string{dirs.Data, dirs.Logs, dirs.Temp, dirs.Events}; have != want {
		t.Errorf("directories %q, want %q", have, want)
	}
	wantDB := defaultDatabase()
	wantDB.File = filepath.Join(r, "data", "mailwright.db")
	if !reflect.DeepEqual(c.Database, wantDB) {
		t.Errorf("database %+v, want %+v", c.Database, wantDB)
	}
	if c.Path != "" {
		t.Errorf("Path = %q, want empty", c.Path)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestDefaultPath_IsTheSystemLocation(t *testing.T) {
	got := DefaultPath()
	if runtime.GOOS == "windows" {
		t.Setenv("ProgramData", `D:\PD`)
		if got := DefaultPath(); got != `D:\PD\Mailwright\mailwright.ini` {
			t.Errorf("DefaultPath() = %q", got)
		}
		t.Setenv("ProgramData", "")
		if got := DefaultPath(); got != `C:\ProgramData\Mailwright\mailwright.ini` {
			t.Errorf("DefaultPath() without ProgramData = %q", got)
		}
		return
	}
	if got != "/etc/mailwright/mailwright.ini" {
		t.Errorf("DefaultPath() = %q", got)
	}
}
