package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
)

// Default ports of the database servers, used when Database.Port is 0.
const (
	DefaultMSSQLPort      = 1433
	DefaultMySQLPort      = 3306
	DefaultPostgreSQLPort = 5432
)

// sqliteParams are the connection settings for the embedded database, in
// modernc.org/sqlite's DSN syntax: wait up to 10 s for a lock, write-ahead
// logging, enforced foreign keys, full fsync on commit, and transactions
// that take the write lock at BEGIN so that they never fail to upgrade a
// read lock half-way.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"

// mysqlParams make the connection use full 4-byte UTF-8.
const mysqlParams = "charset=utf8mb4&collation=utf8mb4_unicode_ci"

// DSN returns the database/sql driver name and data source name for the
// database:
//
//   - sqlite: driver "sqlite" (modernc.org/sqlite), DSN
//     "file:///<path>?_pragma=...", where the path is percent-encoded as a
//     URI path so that '?', '#', '%' and spaces in it survive; on Windows
//     C:\dir\mail.db becomes file:///C:/dir/mail.db and \\host\share\mail.db
//     becomes file:////host/share/mail.db, the forms SQLite documents.
//   - pgsql: driver "pgx", DSN postgres://user:password@host:port/database,
//     built with net/url so user and password are percent-encoded.
//   - mysql: driver "mysql" (github.com/go-sql-driver/mysql), DSN
//     user:password@tcp(host:port)/database?charset=utf8mb4&collation=utf8mb4_unicode_ci.
//     That format has no escapes for the user and password: the driver
//     splits at the last '/' (before the database name), then at the last
//     '@' before it, then at the first ':' before that. So the password is
//     written as is and may contain any character, including '@', ':', '/',
//     '?' and '%'; the database name, which the driver path-unescapes, is
//     written with url.PathEscape (so a '/' or '?' in it cannot move the
//     split); and a user name containing ':' is refused, as it cannot be
//     written at all.
//   - mssql: driver "sqlserver" (github.com/microsoft/go-mssqldb), DSN
//     sqlserver://user:password@host:port?database=name via net/url. A
//     Server of the form host\instance becomes sqlserver://...@host/instance,
//     without a port unless Port is set, so that the SQL Server Browser
//     finds the instance.
//
// A Port of 0 means the default port of the type. DSN checks only what it
// needs to build the string; Validate checks the rest.
func (d Database) DSN() (driver, dsn string, err error) {
	driver, dsn, err = d.dsn(runtime.GOOS == "windows")
	if err != nil {
		return "", "", fmt.Errorf("config: %w", err)
	}
	return driver, dsn, nil
}

func (d Database) dsn(windows bool) (driver, dsn string, err error) {
	if d.Port < 0 || d.Port > 65535 {
		return "", "", fmt.Errorf("[Database] Port: %d is not a port number", d.Port)
	}
	switch d.Type {
	case SQLite:
		if d.File == "" {
			return "", "", errors.New("no SQLite database file: [Directories] DataFolder is not set")
		}
		return "sqlite", sqliteURI(d.File, windows) + "?" + sqliteParams, nil

	case PostgreSQL:
		host, err := checkServer(d.Server, false)
		if err != nil {
			return "", "", err
		}
		u := &url.URL{
			Scheme: "postgres",
			User:   userinfo(d.Username, d.Password),
			Host:   net.JoinHostPort(host, d.port(DefaultPostgreSQLPort)),
		}
		if d.Name != "" {
			u.Path = "/" + d.Name
		}
		return "pgx", u.String(), nil

	case MySQL:
		host, err := checkServer(d.Server, false)
		if err != nil {
			return "", "", err
		}
		if strings.Contains(d.Username, ":") {
			return "", "", errors.New(`[Database] Username: a MySQL user name containing ":" cannot be used`)
		}
		var b strings.Builder
		if d.Username != "" || d.Password != "" {
			b.WriteString(d.Username)
			if d.Password != "" {
				b.WriteString(":")
				b.WriteString(d.Password)
			}
			b.WriteString("@")
		}
		b.WriteString("tcp(")
		b.WriteString(net.JoinHostPort(host, d.port(DefaultMySQLPort)))
		b.WriteString(")/")
		b.WriteString(url.PathEscape(d.Name))
		b.WriteString("?")
		b.WriteString(mysqlParams)
		return "mysql", b.String(), nil

	case MSSQL:
		host, err := checkServer(d.Server, true)
		if err != nil {
			return "", "", err
		}
		host, instance, _ := strings.Cut(host, `\`)
		u := &url.URL{Scheme: "sqlserver", User: userinfo(d.Username, d.Password)}
		switch {
		case instance == "":
			u.Host = net.JoinHostPort(host, d.port(DefaultMSSQLPort))
		case d.Port != 0:
			u.Host = net.JoinHostPort(host, strconv.Itoa(d.Port))
		case strings.Contains(host, ":"):
			u.Host = "[" + host + "]"
		default:
			u.Host = host
		}
		if instance != "" {
			u.Path = "/" + instance
		}
		if d.Name != "" {
			u.RawQuery = url.Values{"database": {d.Name}}.Encode()
		}
		return "sqlserver", u.String(), nil
	}
	return "", "", fmt.Errorf("[Database] Type: %s is not a database type Mailwright supports", quote(d.Type))
}

func (d Database) port(def int) string {
	if d.Port == 0 {
		return strconv.Itoa(def)
	}
	return strconv.Itoa(d.Port)
}

func userinfo(user, password string) *url.Userinfo {
	switch {
	case password != "":
		return url.UserPassword(user, password)
	case user != "":
		return url.User(user)
	}
	return nil
}

// checkServer checks that s can be written as the host of a DSN and
// returns it without the brackets an IPv6 address may be written with. For
// mssql, one '\' may separate the host from an instance name.
func checkServer(s string, instance bool) (string, error) {
	if s == "" {
		return "", errors.New("[Database] Server is not set")
	}
	host, inst, hasInst := strings.Cut(s, `\`)
	if hasInst && (!instance || inst == "") {
		return "", fmt.Errorf(`[Database] Server: %s contains "\", which only names an instance for mssql, as host\instance`, quote(s))
	}
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return "", fmt.Errorf("[Database] Server: %s has no host name", quote(s))
	}
	for _, part := range []string{host, inst} {
		for _, r := range part {
			if r <= ' ' || r == 0x7f || strings.ContainsRune(`/\@?#()[]%,"'`, r) {
				return "", fmt.Errorf("[Database] Server: %s contains %q, which cannot be part of a host name", quote(s), r)
			}
		}
	}
	if hasInst {
		return host + `\` + inst, nil
	}
	return host, nil
}

// sqliteURI turns a file path into an SQLite URI filename
// (https://sqlite.org/uri.html). With windows set, the path is a Windows
// path: backslashes become slashes and a drive letter gets a leading slash.
func sqliteURI(path string, windows bool) string {
	p := path
	if windows {
		p = strings.ReplaceAll(p, `\`, "/")
		if len(p) >= 2 && p[1] == ':' && isASCIILetter(p[0]) {
			p = "/" + p
		}
	}
	// EscapedPath percent-encodes everything but unreserved characters,
	// '/' and a few sub-delimiters, so '?', '#' and '%' cannot end the path
	// early; SQLite decodes %XX in the path.
	esc := (&url.URL{Path: p}).EscapedPath()
	if strings.HasPrefix(p, "/") {
		return "file://" + esc // empty authority: file:///abs/path
	}
	return "file:" + esc
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
