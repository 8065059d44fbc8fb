package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MaxLineLength is the longest line, in bytes and without its line ending,
// that Parse accepts.
const MaxLineLength = 64 << 10

// ParseError reports a problem on one line of an ini file. Its message has
// the form `mailwright.ini:7: [Database] Port: "abc" is not a number`.
type ParseError struct {
	Path    string // the path given to Parse, or "mailwright.ini" when that was empty
	Line    int    // 1-based line number
	Section string // the section the problem is in, if it is about a key
	Key     string // the key the problem is about, if any
	Msg     string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.Path, e.Line)
	if e.Section != "" {
		fmt.Fprintf(&b, "[%s] ", e.Section)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, "%s: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// key describes one key that Mailwright reads from the ini file.
type key struct {
	section string // canonical section name
	name    string // canonical key name
	// set stores the value; its error is the message for a ParseError.
	// A nil set means the key is accepted and ignored.
	set func(p *parser, v string) error
}

// keys maps "section\x00key", both lower-case, to what to do with the key.
var keys = map[string]key{}

func init() {
	for _, k := range []key{
		{"Directories", "DataFolder", func(p *parser, v string) error { p.c.Directories.Data = p.dir(v); return nil }},
		{"Directories", "LogFolder", func(p *parser, v string) error { p.c.Directories.Logs = p.dir(v); return nil }},
		{"Directories", "TempFolder", func(p *parser, v string) error { p.c.Directories.Temp = p.dir(v); return nil }},
		{"Directories", "EventFolder", func(p *parser, v string) error { p.c.Directories.Events = p.dir(v); return nil }},
		{"Directories", "ProgramFolder", nil},

		{"Database", "Type", func(p *parser, v string) (err error) { p.c.Database.Type, err = parseType(v); return err }},
		{"Database", "Server", func(p *parser, v string) error { p.c.Database.Server = v; return nil }},
		{"Database", "Port", func(p *parser, v string) error { return parseInt(v, &p.c.Database.Port) }},
		{"Database", "Database", func(p *parser, v string) error { p.c.Database.Name = v; return nil }},
		{"Database", "Username", func(p *parser, v string) error { p.c.Database.Username = v; return nil }},
		{"Database", "Password", func(p *parser, v string) error { p.c.Database.Password = v; return nil }},
		{"Database", "NumberOfConnections", func(p *parser, v string) error { return parseInt(v, &p.c.Database.Connections) }},
		{"Database", "ConnectionAttempts", func(p *parser, v string) error { return parseInt(v, &p.c.Database.ConnectionAttempts) }},
		{"Database", "ConnectionAttemptsDelay", func(p *parser, v string) error { return parseSeconds(v, &p.c.Database.ConnectionAttemptsDelay) }},
		{"Database", "PasswordEncryption", func(p *parser, v string) error { return checkPasswordEncryption(v) }},

		{"Security", "AdministratorPassword", func(p *parser, v string) error { p.c.Security.AdministratorPassword = v; return nil }},
	} {
		keys[strings.ToLower(k.section)+"\x00"+strings.ToLower(k.name)] = k
	}
}

type parser struct {
	c       *Config
	name    string // file name for errors
	base    string // directory that relative directories are resolved against
	line    int
	section string         // current section, lower-case; "" before the first header
	header  bool           // whether a section header has been seen
	seenSec map[string]int // lower-case section name → line of its header
	seenKey map[string]int // keys map key → line where it was set
}

// Parse reads an ini file from r. path is the file's name: it is used in
// error messages, recorded as Config.Path, and its directory is what
// relative directories are resolved against (Parse does not consult the
// working directory; Load passes an absolute path).
//
// Keys the file leaves out keep their defaults: the connection settings
// DefaultConnections, DefaultConnectionAttempts and
// DefaultConnectionAttemptsDelay, and Type sqlite with its file in the data
// directory. Directories left out are empty, which Validate reports.
//
// Every error is a *ParseError naming the line.
func Parse(r io.Reader, path string) (*Config, error) {
	p := &parser{
		c:       &Config{Path: path, Database: defaultDatabase()},
		name:    path,
		base:    filepath.Dir(path),
		seenSec: map[string]int{},
		seenKey: map[string]int{},
	}
	if p.name == "" {
		p.name = "mailwright.ini"
	}

	sc := bufio.NewScanner(r)
	// Room for the longest line plus "\r\n", so that a line of exactly
	// MaxLineLength bytes is accepted whatever its line ending.
	sc.Buffer(make([]byte, 0, 4096), MaxLineLength+2)
	for sc.Scan() {
		p.line++
		text := sc.Text()
		if p.line == 1 {
			if strings.HasPrefix(text, "\xff\xfe") || strings.HasPrefix(text, "\xfe\xff") {
				return nil, p.errorf("", "", "the file is UTF-16 encoded; save it as UTF-8")
			}
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if len(text) > MaxLineLength {
			return nil, p.errorf("", "", "line is longer than %d bytes", MaxLineLength)
		}
		if err := p.parseLine(text); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			p.line++
			return nil, p.errorf("", "", "line is longer than %d bytes", MaxLineLength)
		}
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}

	if p.c.Database.Type == SQLite {
		p.c.Database.File = sqliteFile(p.c.Database.Name, p.c.Directories.Data)
	}
	return p.c, nil
}

func (p *parser) parseLine(text string) error {
	s := strings.TrimSpace(text)
	switch {
	case s == "" || s[0] == ';' || s[0] == '#':
		return nil

	case s[0] == '[':
		if s[len(s)-1] != ']' {
			return p.errorf("", "", "section header %s has no closing \"]\"", quote(s))
		}
		name := strings.TrimSpace(s[1 : len(s)-1])
		if name == "" {
			return p.errorf("", "", "section header has no name")
		}
		if strings.ContainsAny(name, "[]") {
			return p.errorf("", "", "section name %s contains a bracket", quote(name))
		}
		lower := strings.ToLower(name)
		if first, ok := p.seenSec[lower]; ok {
			return p.errorf("", "", "section [%s] appears a second time (first on line %d); "+
				"an ini file cannot have two sections with the same name", name, first)
		}
		p.seenSec[lower] = p.line
		p.section = lower
		p.header = true
		return nil
	}

	i := strings.IndexByte(s, '=')
	if i < 0 {
		return p.errorf("", "", "expected a [Section] header, a Key=Value line or a comment, got %s", quote(s))
	}
	name := strings.TrimSpace(s[:i])
	if name == "" {
		return p.errorf("", "", "line %s has no key before \"=\"", quote(s))
	}
	if !p.header {
		return p.errorf("", "", "key %s comes before any [Section] header", quote(name))
	}
	id := p.section + "\x00" + strings.ToLower(name)
	k, ok := keys[id]
	if !ok {
		return nil // unknown section or key: ignored, as hMailServer.ini has many
	}
	if first, ok := p.seenKey[id]; ok {
		return p.errorf(k.section, k.name, "set a second time (first on line %d)", first)
	}
	p.seenKey[id] = p.line
	if k.set == nil {
		return nil
	}
	if err := k.set(p, unquote(strings.TrimSpace(s[i+1:]))); err != nil {
		return p.errorf(k.section, k.name, "%s", err.Error())
	}
	return nil
}

func (p *parser) errorf(section, key, format string, args ...any) *ParseError {
	return &ParseError{Path: p.name, Line: p.line, Section: section, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// dir resolves a directory value against the ini file's directory.
func (p *parser) dir(v string) string {
	if v == "" {
		return ""
	}
	if filepath.IsAbs(v) {
		return filepath.Clean(v)
	}
	return filepath.Join(p.base, v)
}

// unquote removes one pair of double quotes wrapping v. There are no escapes:
// everything between the outer quotes is the value.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

func parseType(v string) (string, error) {
	switch t := strings.ToLower(v); t {
	case "":
		return SQLite, nil
	case SQLite, MSSQL, MySQL, PostgreSQL:
		return t, nil
	}
	return "", fmt.Errorf("%s is not a database type Mailwright supports (SQLite, MSSQL, MySQL or PGSQL)", quote(v))
}

// parseInt stores v in *n; an empty v leaves the default in place.
func parseInt(v string, n *int) error {
	if v == "" {
		return nil
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%s is out of range", quote(v))
		}
		return fmt.Errorf("%s is not a number", quote(v))
	}
	*n = i
	return nil
}

// parseSeconds stores v, a whole number of seconds, in *d; an empty v leaves
// the default in place.
func parseSeconds(v string, d *time.Duration) error {
	var n int
	if v == "" {
		return nil
	}
	if err := parseInt(v, &n); err != nil {
		return err
	}
	if int64(n) > math.MaxInt64/int64(time.Second) || int64(n) < math.MinInt64/int64(time.Second) {
		return fmt.Errorf("%s is out of range", quote(v))
	}
	*d = time.Duration(n) * time.Second
	return nil
}

func checkPasswordEncryption(v string) error {
	if v == "" || v == "0" {
		return nil
	}
	return errors.New("encrypted database passwords (hMailServer's Blowfish encryption) are not supported; " +
		"write the password in plain text and remove this key")
}

// quote quotes s for an error message, shortening it if it is long.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
