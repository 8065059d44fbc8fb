package config

import (
	"errors"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Passwords, user names and database names that a careless DSN builder
// would mangle.
var (
	awkwardPasswords = []string{"plain", "@:/?#%", "p@ss:w/rd?x=1&y#frag%2F%", "a)b(c/d", " spaces ", `"'\`, "ünï©ødé", "%41%zz"}
	awkwardUsers     = []string{"mailwright", "user@example.com", "a/b?c#d%e", ""}
	awkwardNames     = []string{"mail", "my db/x?y#z%", "ünï"}
)

func TestDSN_SQLiteURIEscapesPathForEachOS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		path     string
		windows  bool
		want     string
		wantPath string // url.Parse(want).Path
	}{
		{"unix absolute", "/var/lib/mailwright/data/mailwright.db", false,
			"file:///var/lib/mailwright/data/mailwright.db", "/var/lib/mailwright/data/mailwright.db"},
		{"unix special characters", "/srv/mail wright/a?b#c%d&e=f;g+h.db", false,
			"file:///srv/mail%20wright/a%3Fb%23c%25d&e=f;g+h.db", "/srv/mail wright/a?b#c%d&e=f;g+h.db"},
		{"unix backslash is a file name character", `/srv/a\b.db`, false,
			"file:///srv/a%5Cb.db", `/srv/a\b.db`},
		{"unix non-ASCII", "/srv/dätä/m.db", false,
			"file:///srv/d%C3%A4t%C3%A4/m.db", "/srv/dätä/m.db"},
		{"unix relative", "data/m.db", false, "file:data/m.db", ""},
		{"windows drive", `C:\x`, true, "file:///C:/x", "/C:/x"},
		{"windows drive with spaces and #", `C:\Program Files\Mail#1\data\mailwright.db`, true,
			"file:///C:/Program%20Files/Mail%231/data/mailwright.db", "/C:/Program Files/Mail#1/data/mailwright.db"},
		{"windows lower-case drive", `d:\m.db`, true, "file:///d:/m.db", "/d:/m.db"},
		{"windows UNC share", `\\server\share\mail\m.db`, true, "file:////server/share/mail/m.db", "//server/share/mail/m.db"},
		{"windows percent and question mark", `C:\a%b?c.db`, true, "file:///C:/a%25b%3Fc.db", "/C:/a%b?c.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sqliteURI(tc.path, tc.windows)
			if got != tc.want {
				t.Errorf("sqliteURI(%q) = %q, want %q", tc.path, got, tc.want)
			}
			_, dsn, err := Database{Type: SQLite, File: tc.path}.dsn(tc.windows)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatalf("DSN %q does not parse: %v", dsn, err)
			}
			if u.Scheme != "file" || u.Host != "" || u.User != nil || u.Fragment != "" {
				t.Errorf("DSN %q parses to scheme %q host %q user %v fragment %q", dsn, u.Scheme, u.Host, u.User, u.Fragment)
			}
			if tc.wantPath != "" && u.Path != tc.wantPath {
				t.Errorf("DSN %q has path %q, want %q", dsn, u.Path, tc.wantPath)
			}
			// modernc.org/sqlite takes the parameters from after the
			// first '?', so the path must not contain one.
			if q := dsn[strings.IndexByte(dsn, '?')+1:]; q != sqliteParams {
				t.Errorf("parameters after the first '?' are %q", q)
			}
			want := url.Values{
				"_pragma": {"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"},
				"_txlock": {"immediate"},
			}
			if q := u.Query(); !reflect.DeepEqual(q, want) {
				t.Errorf("query %v, want %v", q, want)
			}
		})
	}
}

func TestDSN_SQLiteUsesThisOSPathForm(t *testing.T) {
	c := Default(root(t))
	driver, dsn, err := c.Database.DSN()
	if err != nil {
		t.Fatal(err)
	}
	want := "file:///srv/mailwright-test/data/mailwright.db?"
	if runtime.GOOS == "windows" {
		want = "file:///C:/mailwright-test/data/mailwright.db?"
	}
	if driver != "sqlite" || !strings.HasPrefix(dsn, want) {
		t.Errorf("DSN() = %q, %q; want sqlite, %q...", driver, dsn, want)
	}
}

func TestDSN_PostgreSQLRoundTripsThroughNetURL(t *testing.T) {
	for _, user := range awkwardUsers {
		for _, pass := range awkwardPasswords {
			for _, name := range awkwardNames {
				d := Database{Type: PostgreSQL, Server: "db.example.com", Port: 6432, Name: name, Username: user, Password: pass}
				driver, dsn, err := d.DSN()
				if err != nil {
					t.Fatal(err)
				}
				if driver != "pgx" {
					t.Errorf("driver %q", driver)
				}
				u, err := url.Parse(dsn)
				if err != nil {
					t.Fatalf("%q: %v", dsn, err)
				}
				gotPass, _ := u.User.Password()
				if u.Scheme != "postgres" || u.User.Username() != user || gotPass != pass ||
					u.Hostname() != "db.example.com" || u.Port() != "6432" ||
					strings.TrimPrefix(u.Path, "/") != name || u.RawQuery != "" || u.Fragment != "" {
					t.Errorf("%q parses to user %q password %q host %q port %q path %q query %q fragment %q",
						dsn, u.User.Username(), gotPass, u.Hostname(), u.Port(), u.Path, u.RawQuery, u.Fragment)
				}
			}
		}
	}
}

func TestDSN_MSSQLRoundTripsThroughNetURL(t *testing.T) {
	for _, user := range awkwardUsers {
		for _, pass := range awkwardPasswords {
			for _, name := range awkwardNames {
				d := Database{Type: MSSQL, Server: "sql.example.com", Name: name, Username: user, Password: pass}
				driver, dsn, err := d.DSN()
				if err != nil {
					t.Fatal(err)
				}
				if driver != "sqlserver" {
					t.Errorf("driver %q", driver)
				}
				u, err := url.Parse(dsn)
				if err != nil {
					t.Fatalf("%q: %v", dsn, err)
				}
				gotPass, _ := u.User.Password()
				if u.Scheme != "sqlserver" || u.User.Username() != user || gotPass != pass ||
					u.Hostname() != "sql.example.com" || u.Port() != "1433" || u.Path != "" ||
					!reflect.DeepEqual(u.Query(), url.Values{"database": {name}}) || u.Fragment != "" {
					t.Errorf("%q parses to user %q password %q host %q port %q path %q query %v fragment %q",
						dsn, u.User.Username(), gotPass, u.Hostname(), u.Port(), u.Path, u.Query(), u.Fragment)
				}
			}
		}
	}
}

// parseMySQLDSN splits a DSN the way github.com/go-sql-driver/mysql's
// ParseDSN does: at the last '/', then at the last '@' before it, then at
// the first ':' before that; the address is inside "tcp(...)"; the database
// name is path-unescaped and ends at the first '?' after the slash.
func parseMySQLDSN(dsn string) (user, pass, netw, addr, name, params string, err error) {
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		return "", "", "", "", "", "", errors.New("no slash")
	}
	left := dsn[:slash]
	if at := strings.LastIndexByte(left, '@'); at >= 0 {
		user, pass, _ = strings.Cut(left[:at], ":")
		left = left[at+1:]
	}
	open := strings.IndexByte(left, '(')
	if open < 0 || !strings.HasSuffix(left, ")") {
		return "", "", "", "", "", "", errors.New("no (address)")
	}
	netw, addr = left[:open], left[open+1:len(left)-1]
	name, params, _ = strings.Cut(dsn[slash+1:], "?")
	name, err = url.PathUnescape(name)
	return user, pass, netw, addr, name, params, err
}

func TestDSN_MySQLSplitsBackAsTheDriverDoes(t *testing.T) {
	for _, user := range awkwardUsers {
		for _, pass := range append(awkwardPasswords, "") {
			for _, name := range awkwardNames {
				d := Database{Type: MySQL, Server: "db.example.com", Name: name, Username: user, Password: pass}
				driver, dsn, err := d.DSN()
				if err != nil {
					t.Fatal(err)
				}
				if driver != "mysql" {
					t.Errorf("driver %q", driver)
				}
				gu, gp, gn, ga, gd, gq, err := parseMySQLDSN(dsn)
				if err != nil {
					t.Fatalf("%q: %v", dsn, err)
				}
				if gu != user || gp != pass || gn != "tcp" || ga != "db.example.com:3306" || gd != name ||
					gq != "charset=utf8mb4&collation=utf8mb4_unicode_ci" {
					t.Errorf("%q splits to user %q password %q net %q addr %q db %q params %q",
						dsn, gu, gp, gn, ga, gd, gq)
				}
			}
		}
	}
	_, dsn, err := Database{Type: MySQL, Server: "db", Port: 3307, Name: "mail", Username: "mw", Password: "pw"}.DSN()
	if want := "mw:pw@tcp(db:3307)/mail?charset=utf8mb4&collation=utf8mb4_unicode_ci"; err != nil || dsn != want {
		t.Errorf("DSN() = %q, %v; want %q", dsn, err, want)
	}
}

func TestDSN_ServersAndPorts(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Database
		want string
	}{
		{"pgsql default port", Database{Type: PostgreSQL, Server: "h", Name: "d"}, "postgres://h:5432/d"},
		{"pgsql without database name", Database{Type: PostgreSQL, Server: "h", Username: "u"}, "postgres://u@h:5432"},
		{"pgsql IPv6", Database{Type: PostgreSQL, Server: "::1", Name: "d"}, "postgres://[::1]:5432/d"},
		{"pgsql bracketed IPv6", Database{Type: PostgreSQL, Server: "[::1]", Port: 5433, Name: "d"}, "postgres://[::1]:5433/d"},
		{"mysql default port without credentials", Database{Type: MySQL, Server: "h", Name: "d"}, "tcp(h:3306)/d?charset=utf8mb4&collation=utf8mb4_unicode_ci"},
		{"mysql password without user", Database{Type: MySQL, Server: "h", Name: "d", Password: "p"}, ":p@tcp(h:3306)/d?charset=utf8mb4&collation=utf8mb4_unicode_ci"},
		{"mysql IPv6", Database{Type: MySQL, Server: "::1", Name: "d", Username: "u"}, "u@tcp([::1]:3306)/d?charset=utf8mb4&collation=utf8mb4_unicode_ci"},
		{"mssql default port", Database{Type: MSSQL, Server: "h", Name: "d", Username: "sa", Password: "p"}, "sqlserver://sa:p@h:1433?database=d"},
		{"mssql Windows authentication", Database{Type: MSSQL, Server: "h", Name: "d"}, "sqlserver://h:1433?database=d"},
		{"mssql named instance without port", Database{Type: MSSQL, Server: `h\SQLEXPRESS`, Name: "d"}, "sqlserver://h/SQLEXPRESS?database=d"},
		{"mssql named instance with port", Database{Type: MSSQL, Server: `h\SQLEXPRESS`, Port: 1500, Name: "d"}, "sqlserver://h:1500/SQLEXPRESS?database=d"},
		{"mssql IPv6 instance", Database{Type: MSSQL, Server: `::1\I`, Name: "d"}, "sqlserver://[::1]/I?database=d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := tc.d.DSN()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDSN_RefusesWhatItCannotBuild(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Database
		want string
	}{
		{"unknown type", Database{Type: "oracle", Server: "h"}, `Type: "oracle"`},
		{"sqlite without file", Database{Type: SQLite}, "no SQLite database file"},
		{"missing server", Database{Type: PostgreSQL, Name: "d"}, "Server is not set"},
		{"port out of range", Database{Type: MSSQL, Server: "h", Port: 70000}, "Port: 70000"},
		{"server with @", Database{Type: PostgreSQL, Server: "u@h"}, `contains '@'`},
		{"server with parenthesis", Database{Type: MySQL, Server: "h)"}, `contains ')'`},
		{"empty brackets", Database{Type: MySQL, Server: "[]"}, "has no host name"},
		{"empty instance", Database{Type: MSSQL, Server: `h\`}, "only names an instance"},
		{"empty host before instance", Database{Type: MSSQL, Server: `\I`}, "has no host name"},
		{"two instances", Database{Type: MSSQL, Server: `h\I\J`}, `contains '\\'`},
		{"mysql user with colon", Database{Type: MySQL, Server: "h", Username: "a:b"}, "Username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			driver, dsn, err := tc.d.DSN()
			if err == nil {
				t.Fatalf("got %q, %q", driver, dsn)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
