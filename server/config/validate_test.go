package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	r := root(t)
	network := func(typ string) func(*Config) {
		return func(c *Config) {
			c.Database.Type = typ
			c.Database.Server = "db.example.com"
			c.Database.Name = "mail"
			c.Database.Username = "mw"
			c.Database.Password = "pw"
			c.Database.File = ""
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; none means valid
	}{
		{"default configuration is valid", func(*Config) {}, nil},
		{"pgsql configuration is valid", network(PostgreSQL), nil},
		{"mysql configuration is valid", network(MySQL), nil},
		{"mssql configuration is valid", network(MSSQL), nil},
		{"mssql named instance is valid", func(c *Config) { network(MSSQL)(c); c.Database.Server = `db\SQLEXPRESS` }, nil},
		{"mssql without username is valid (Windows authentication)", func(c *Config) { network(MSSQL)(c); c.Database.Username = "" }, nil},
		{"IPv6 server is valid", func(c *Config) { network(PostgreSQL)(c); c.Database.Server = "[::1]" }, nil},
		{"port 65535 is valid", func(c *Config) { network(PostgreSQL)(c); c.Database.Port = 65535 }, nil},
		{"zero delay is valid", func(c *Config) { c.Database.ConnectionAttemptsDelay = 0 }, nil},

		{"unknown type is rejected", func(c *Config) { c.Database.Type = "oracle" }, []string{`[Database] Type: "oracle" is not a database type`}},
		{"empty type is rejected", func(c *Config) { c.Database.Type = "" }, []string{`[Database] Type: ""`}},
		{"zero connections are rejected", func(c *Config) { c.Database.Connections = 0 }, []string{"NumberOfConnections: 0 is less than 1"}},
		{"negative connections are rejected", func(c *Config) { c.Database.Connections = -1 }, []string{"NumberOfConnections: -1"}},
		{"zero attempts are rejected", func(c *Config) { c.Database.ConnectionAttempts = 0 }, []string{"ConnectionAttempts: 0 is less than 1"}},
		{"negative delay is rejected", func(c *Config) { c.Database.ConnectionAttemptsDelay = -1 }, []string{"ConnectionAttemptsDelay: -1ns is negative"}},
		{"port above range is rejected", func(c *Config) { network(MySQL)(c); c.Database.Port = 65536 }, []string{"Port: 65536 is not a port number"}},
		{"negative port is rejected", func(c *Config) { network(MySQL)(c); c.Database.Port = -1 }, []string{"Port: -1 is not a port number"}},
		{"relative directory is rejected", func(c *Config) { c.Directories.Logs = filepath.Join("rel", "logs") }, []string{"[Directories] LogFolder:", "is not an absolute path"}},
		{"missing directories are each reported", func(c *Config) {
			c.Directories.Data, c.Directories.Temp, c.Directories.Events = "", "", ""
		}, []string{"DataFolder is not set", "TempFolder is not set", "EventFolder is not set"}},
		{"missing server is rejected", func(c *Config) { network(PostgreSQL)(c); c.Database.Server = "" }, []string{"[Database] Server is not set"}},
		{"missing database name is rejected", func(c *Config) { network(MSSQL)(c); c.Database.Name = "" }, []string{"[Database] Database is not set"}},
		{"server with a slash is rejected", func(c *Config) { network(MySQL)(c); c.Database.Server = "db/x" }, []string{`Server: "db/x" contains '/'`}},
		{"server with a space is rejected", func(c *Config) { network(PostgreSQL)(c); c.Database.Server = "db x" }, []string{"contains ' '"}},
		{"instance outside mssql is rejected", func(c *Config) { network(MySQL)(c); c.Database.Server = `db\inst` }, []string{`only names an instance for mssql`}},
		{"mysql user with colon is rejected", func(c *Config) { network(MySQL)(c); c.Database.Username = "a:b" }, []string{`Username: a MySQL user name containing ":"`}},
		{"sqlite without file is rejected", func(c *Config) { c.Database.File = "" }, []string{"SQLite database file is not set"}},
		{"relative sqlite file is rejected", func(c *Config) { c.Database.File = "mail.db" }, []string{`SQLite database file "mail.db" is not an absolute path`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default(r)
			tc.edit(c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error %q does not start with config:", err)
			}
		})
	}
}

func TestValidate_ErrorsNameTheFile(t *testing.T) {
	c, err := Parse(strings.NewReader("[Database]\nType=pgsql\n"), filepath.Join(root(t), "mailwright.ini"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, c.Path+": ") {
			t.Errorf("line %q does not start with the file name", line)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 6 { // four directories, Server, Database
		t.Errorf("%d problems reported, want 6:\n%v", n, err)
	}
}
