package config

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Validate reports every problem that would stop the server from using the
// configuration, one per line: a directory that is not set or not absolute
// (Parse and Load resolve relative ones against the ini file's directory),
// an unknown database Type, a pool size or connection attempt count below
// 1, a negative delay, a port outside 0..65535, a missing Server or
// Database name for a database server, a Server that cannot be written as a
// host name, and an SQLite file that is not an absolute path.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	for _, dir := range []struct{ key, value string }{
		{"DataFolder", c.Directories.Data},
		{"LogFolder", c.Directories.Logs},
		{"TempFolder", c.Directories.Temp},
		{"EventFolder", c.Directories.Events},
	} {
		switch {
		case dir.value == "":
			add("[Directories] %s is not set", dir.key)
		case !filepath.IsAbs(dir.value):
			add("[Directories] %s: %s is not an absolute path", dir.key, quote(dir.value))
		}
	}
	dirErrs := len(errs)

	d := c.Database
	if d.Connections < 1 {
		add("[Database] NumberOfConnections: %d is less than 1", d.Connections)
	}
	if d.ConnectionAttempts < 1 {
		add("[Database] ConnectionAttempts: %d is less than 1", d.ConnectionAttempts)
	}
	if d.ConnectionAttemptsDelay < 0 {
		add("[Database] ConnectionAttemptsDelay: %v is negative", d.ConnectionAttemptsDelay)
	}
	if d.Port < 0 || d.Port > 65535 {
		add("[Database] Port: %d is not a port number (1 to 65535, or 0 for the default)", d.Port)
	}
	switch d.Type {
	case SQLite:
		switch {
		case dirErrs > 0:
			// The file is derived from DataFolder, already reported.
		case d.File == "":
			add("[Database] the SQLite database file is not set")
		case !filepath.IsAbs(d.File):
			add("[Database] the SQLite database file %s is not an absolute path", quote(d.File))
		}
	case MSSQL, MySQL, PostgreSQL:
		if d.Server == "" {
			add("[Database] Server is not set")
		}
		if d.Name == "" {
			add("[Database] Database is not set")
		}
	default:
		add("[Database] Type: %s is not a database type Mailwright supports (sqlite, mssql, mysql or pgsql)", quote(d.Type))
	}
	if len(errs) == dirErrs && d.Type != SQLite {
		// No database problem found so far: report whatever else stops
		// the DSN from being built (the form of Server, a MySQL user name
		// with ':').
		if _, _, err := d.dsn(false); err != nil {
			errs = append(errs, err)
		}
	}

	if len(errs) == 0 {
		return nil
	}
	prefix := "config: "
	if c.Path != "" {
		prefix = c.Path + ": "
	}
	for i, err := range errs {
		errs[i] = fmt.Errorf("%s%w", prefix, err)
	}
	return errors.Join(errs...)
}
