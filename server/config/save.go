package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

const header = `; mailwright.ini: bootstrap settings for Mailwright.
;
; This file holds only what the server needs before it can reach its
; database: its directories, the database connection and the administrator
; password hash. Every other setting is stored in the database.
;
; It may contain a database password and the administrator password hash:
; keep it readable only by the account Mailwright runs as.
;
; Lines are [Section] headers, Key=Value pairs, or comments starting with ;
; or #. Section and key names are case-insensitive. Wrap a value in double
; quotes to keep leading or trailing spaces; there are no escapes and no
; comments after a value. Relative directories are resolved against the
; folder that holds this file.
`

// Save writes the configuration to path as an ini file that explains each
// key in a comment. It writes a temporary file in the same directory, syncs
// it and renames it over path, so readers see either the old file or the
// new one, never a mix. The file gets mode 0600 because it can hold a
// database password and the administrator password hash.
//
// Save does not call Validate: it refuses only values the ini format cannot
// hold (a line break in a value, a ConnectionAttemptsDelay that is not a
// whole number of seconds). Loading the saved file gives back the same
// configuration, apart from Path. Keys and sections that Mailwright does
// not read are not written, so saving over a copied hMailServer.ini drops
// them. If path is a symbolic link, the link itself is replaced.
func (c *Config) Save(path string) error {
	data, err := c.marshal()
	if err != nil {
		return fmt.Errorf("config: saving %s: %w", path, err)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("config: saving %s: %w", path, err)
	}
	return nil
}

// marshal renders the ini file.
func (c *Config) marshal() ([]byte, error) {
	nl := "\n"
	if runtime.GOOS == "windows" {
		nl = "\r\n" // what Notepad and hMailServer wrote
	}
	w := &iniWriter{nl: nl}
	for _, l := range strings.Split(strings.TrimSuffix(header, "\n"), "\n") {
		w.line(l)
	}

	w.section("Directories")
	w.key("Where messages are stored, and the SQLite database when Type is sqlite.",
		"DataFolder", c.Directories.Data)
	w.key("Where log files are written.",
		"LogFolder", c.Directories.Logs)
	w.key("Where temporary files go, such as attachments being scanned for viruses.",
		"TempFolder", c.Directories.Temp)
	w.key("Where event scripts are kept.",
		"EventFolder", c.Directories.Events)

	d := c.Database
	name := d.Name
	if d.Type == SQLite && d.File != "" && sqliteFile(d.Name, c.Directories.Data) != d.File {
		// The file was set directly: write it where Name would go, so
		// that loading gives the same file.
		name = d.File
	}
	if d.ConnectionAttemptsDelay%time.Second != 0 {
		w.err = errors.Join(w.err, fmt.Errorf("[Database] ConnectionAttemptsDelay: %v is not a whole number of seconds", d.ConnectionAttemptsDelay))
	}

	w.section("Database")
	w.key("The database that holds every other setting: sqlite (embedded, the\n"+
		"default), mssql (Microsoft SQL Server), mysql (MySQL or MariaDB) or\n"+
		"pgsql (PostgreSQL).",
		"Type", d.Type)
	w.key("Host name or address of the database server. For mssql, host\\instance\n"+
		"names a server instance. Not used by sqlite.",
		"Server", d.Server)
	w.key("Port of the database server; 0 for the default (mssql 1433, mysql 3306,\n"+
		"pgsql 5432, or the instance's port for mssql host\\instance). Not used by\n"+
		"sqlite.",
		"Port", strconv.Itoa(d.Port))
	w.key("Name of the database. For sqlite, the database file, relative to\n"+
		"DataFolder; empty means "+DefaultSQLiteFile+".",
		"Database", name)
	w.key("User name and password for the database server. For mssql, an empty\n"+
		"Username asks for Windows authentication. Not used by sqlite.",
		"Username", d.Username)
	w.key("", "Password", d.Password)
	w.key("Number of database connections the server keeps open.",
		"NumberOfConnections", strconv.Itoa(d.Connections))
	w.key("How many times the server tries to connect to the database when it\n"+
		"starts, and how many seconds it waits between tries.",
		"ConnectionAttempts", strconv.Itoa(d.ConnectionAttempts))
	w.key("", "ConnectionAttemptsDelay", strconv.FormatInt(int64(d.ConnectionAttemptsDelay/time.Second), 10))

	w.section("Security")
	w.key("Hash of the administrator password (not the password itself).",
		"AdministratorPassword", c.Security.AdministratorPassword)

	if w.err != nil {
		return nil, w.err
	}
	return []byte(w.b.String()), nil
}

type iniWriter struct {
	b   strings.Builder
	nl  string
	cur string // current section, for error messages
	err error
}

func (w *iniWriter) line(s string) {
	w.b.WriteString(s)
	w.b.WriteString(w.nl)
}

func (w *iniWriter) section(name string) {
	w.cur = name
	w.line("")
	w.line("[" + name + "]")
}

// key writes an optional comment (lines separated by \n) and Key=Value.
func (w *iniWriter) key(comment, name, value string) {
	if comment != "" {
		for _, l := range strings.Split(comment, "\n") {
			w.line("; " + l)
		}
	}
	v, err := formatValue(value)
	if err != nil {
		w.err = errors.Join(w.err, fmt.Errorf("[%s] %s: %w", w.cur, name, err))
	}
	w.line(name + "=" + v)
}

// formatValue returns v as Parse will read it back: wrapped in double
// quotes when it has leading or trailing space, or when it is itself
// wrapped in quotes that Parse would otherwise remove.
func formatValue(v string) (string, error) {
	if strings.Contains(v, "\n") {
		return "", errors.New("the value contains a line break, which an ini file cannot hold")
	}
	if v != strings.TrimSpace(v) || unquote(v) != v {
		return `"` + v + `"`, nil
	}
	return v, nil
}

// writeFileAtomic writes data to a temporary file next to path with mode
// 0600, flushes it to disk and renames it to path.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600; say so explicitly in case that changes.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir flushes a directory entry change to disk where the platform
// allows it. Failure is ignored: the file itself is already synced.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
