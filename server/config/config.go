// Package config owns mailwright.ini, the small file that holds Mailwright's
// bootstrap facts: the directories the server works in, how to reach its
// database, and the administrator password hash. Every other setting lives in
// the database, because the server can read nothing else until it has
// connected to it.
//
// The file is modelled on hMailServer.ini as the hMailServer 5 manual
// describes it, so an administrator who knew that file will recognise this
// one:
//
//	[Directories]
//	DataFolder=/var/lib/mailwright
//	LogFolder=/var/log/mailwright
//	TempFolder=/var/tmp/mailwright
//	EventFolder=/var/lib/mailwright/events
//
//	[Database]
//	Type=PGSQL
//	Server=db.example.com
//	Port=5432
//	Database=mailwright
//	Username=mailwright
//	Password=secret
//
//	[Security]
//	AdministratorPassword=<password hash>
//
// # Syntax
//
// Lines are blank, comments (the first non-blank character is ';' or '#'),
// section headers ("[Name]"), or "Key=Value" pairs. Section and key names are
// case-insensitive. Spaces around keys and values are trimmed, and a value
// wrapped in double quotes has the quotes removed, which is how a value keeps
// leading or trailing spaces; nothing else is special inside a value (there
// are no escapes and no trailing comments, so a password may contain ';', '#',
// '=' or '"'). A UTF-8 byte order mark at the start of the file and CRLF line
// endings are accepted. Unknown sections and keys are ignored, as
// hMailServer.ini carries many, but a line that fits none of the forms above,
// a second section of the same name, a known key given twice in its section,
// and a line longer than 64 KiB are errors that name the line.
//
// # Sections and keys
//
// [Directories] DataFolder, LogFolder, TempFolder and EventFolder name the
// directories the server uses. A relative value is resolved against the
// directory that holds the ini file. ProgramFolder is accepted and ignored.
//
// [Database] Type is one of sqlite, mssql, mysql or pgsql, in any letter case
// (hMailServer wrote "MSSQL" and "MySQL"). Without a [Database] section, or
// with an empty Type, the server uses the embedded SQLite database
// mailwright.db in the data directory. For sqlite the Database key may name a
// different file, relative to DataFolder. For the other types Server,
// Port (empty or 0 for the type's default port), Database, Username and
// Password describe the connection. NumberOfConnections (default 5) is the
// size of the connection pool, ConnectionAttempts (default 6) how many times
// the server tries to connect at start-up, and ConnectionAttemptsDelay
// (seconds, default 5) how long it waits between attempts. hMailServer could
// store the password Blowfish-encrypted (PasswordEncryption=1); Mailwright
// cannot read such a password, and says so rather than failing to log in
// later.
//
// [Security] AdministratorPassword holds the administrator password hash,
// stored exactly as given.
//
// Parse and Load check the syntax and the types of values; Validate checks
// that the result is usable. Save writes a commented file atomically, with
// mode 0600 because it may hold a database password and the administrator
// hash.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Database types, as stored in Database.Type.
const (
	SQLite     = "sqlite"
	MSSQL      = "mssql"
	MySQL      = "mysql"
	PostgreSQL = "pgsql"
)

// Defaults applied when the ini file leaves a key out.
const (
	DefaultConnections             = 5
	DefaultConnectionAttempts      = 6
	DefaultConnectionAttemptsDelay = 5 * time.Second
	// DefaultSQLiteFile is the name of the embedded database file in the
	// data directory.
	DefaultSQLiteFile = "mailwright.db"
)

// Config is the content of mailwright.ini.
type Config struct {
	// Path is the file the configuration was loaded from, or "" when it
	// was built in code.
	Path string

	// Directories holds absolute paths once the file has been loaded and
	// validated.
	Directories struct {
		Data   string // DataFolder: messages, and the SQLite database by default
		Logs   string // LogFolder
		Temp   string // TempFolder
		Events string // EventFolder: event scripts
	}

	Database Database

	Security struct {
		// AdministratorPassword is the administrator password hash,
		// exactly as it appears in the file.
		AdministratorPassword string
	}
}

// Database says how to reach the database that holds every other setting.
type Database struct {
	// Type is "sqlite", "mssql", "mysql" or "pgsql".
	Type string

	Server   string // host name or address; for mssql "host\instance" names an instance
	Port     int    // 0 means the default port of Type
	Name     string // the ini key Database; for sqlite the file name, see File
	Username string
	Password string

	Connections             int           // NumberOfConnections: size of the pool
	ConnectionAttempts      int           // tries at start-up before giving up
	ConnectionAttemptsDelay time.Duration // wait between tries; whole seconds in the file

	// File is the absolute path of the SQLite database file, for Type
	// sqlite: Name resolved against the data directory, by default
	// <Data>/mailwright.db. It is empty for the other types.
	File string
}

// Default returns the configuration of a fresh installation with every
// directory under base (base/data, base/logs, base/temp, base/events) and the
// embedded SQLite database in the data directory. base should be absolute.
func Default(base string) *Config {
	c := &Config{}
	c.Directories.Data = filepath.Join(base, "data")
	c.Directories.Logs = filepath.Join(base, "logs")
	c.Directories.Temp = filepath.Join(base, "temp")
	c.Directories.Events = filepath.Join(base, "events")
	c.Database = defaultDatabase()
	c.Database.File = sqliteFile("", c.Directories.Data)
	return c
}

func defaultDatabase() Database {
	return Database{
		Type:                    SQLite,
		Connections:             DefaultConnections,
		ConnectionAttempts:      DefaultConnectionAttempts,
		ConnectionAttemptsDelay: DefaultConnectionAttemptsDelay,
	}
}

// DefaultPath returns where the server looks for mailwright.ini when told
// nothing else: %ProgramData%\Mailwright\mailwright.ini on Windows and
// /etc/mailwright/mailwright.ini elsewhere.
func DefaultPath() string {
	if runtime.GOOS == "windows" {
		base := os.Getenv("ProgramData")
		if base == "" {
			base = `C:\ProgramData`
		}
		return filepath.Join(base, "Mailwright", "mailwright.ini")
	}
	return "/etc/mailwright/mailwright.ini"
}

// Load reads and parses the ini file at path. Relative directories in it
// are resolved against the file's directory, and Config.Path is the
// absolute path of the file. Load does not call Validate.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return Parse(f, abs)
}

// sqliteFile resolves the ini Database value for sqlite against the data
// directory. It returns "" when a relative name has no data directory to be
// resolved against.
func sqliteFile(name, data string) string {
	if name == "" {
		name = DefaultSQLiteFile
	}
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	if data == "" {
		return ""
	}
	return filepath.Join(data, name)
}
