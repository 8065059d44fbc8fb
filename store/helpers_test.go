package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// The engines the store suite runs on. SQLite always; PostgreSQL and
// MariaDB/MySQL when their DSNs are in the environment (.ci/run sets them).
// Each test gets its own schema or database, dropped when it ends.
const (
	envPostgres = "MAILWRIGHT_TEST_PGSQL_DSN" // e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable
	envMySQL    = "MAILWRIGHT_TEST_MYSQL_DSN" // e.g. root@tcp(127.0.0.1:3306)/test
)

type engine struct {
	name string
	open func(t *testing.T) *Store
}

func engines() []engine {
	return []engine{
		{"sqlite", openSQLite},
		{"pgsql", openPostgres},
		{"mysql", openMySQL},
	}
}

// forEachStore runs f as a subtest on every engine.
func forEachStore(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Helper()
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			f(t, e.open(t))
		})
	}
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "mwtest_" + hex.EncodeToString(b)
}

func sqliteDSN(file string) string {
	return "file:" + file + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"
}

func openSQLite(t *testing.T) *Store {
	dir := t.TempDir()
	return openWith(t, Options{Type: "sqlite", DSN: sqliteDSN(dir + "/mailwright.db"), DataDir: dir + "/data", Connections: 8})
}

func openWith(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", opts.Type, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T) *Store {
	dsn := os.Getenv(envPostgres)
	if dsn == "" {
		t.Skip(envPostgres + " is not set: no PostgreSQL to run against (.ci/run sets it)")
	}
	schema := randomName()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return openWith(t, Options{Type: "pgsql", DSN: u.String(), DataDir: t.TempDir(), Connections: 8})
}

func openMySQL(t *testing.T) *Store {
	dsn := os.Getenv(envMySQL)
	if dsn == "" {
		t.Skip(envMySQL + " is not set: no MariaDB/MySQL to run against (.ci/run sets it)")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := randomName()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			db.Exec("DROP DATABASE " + name)
			db.Close()
		}
	})
	cfg.DBName = name
	return openWith(t, Options{Type: "mysql", DSN: cfg.FormatDSN(), DataDir: t.TempDir(), Connections: 8})
}

// mustDomain creates a domain or fails the test.
func mustDomain(t *testing.T, s *Store, d Domain) Domain {
	t.Helper()
	d.Active = true
	out, err := s.CreateDomain(context.Background(), d)
	if err != nil {
		t.Fatalf("create domain %s: %v", d.Name, err)
	}
	return out
}

// mustAccount creates an active account or fails the test.
func mustAccount(t *testing.T, s *Store, address string, sizeMB int) Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), Account{Address: address, Active: true, MaxSizeMB: sizeMB}, "secret-"+address)
	if err != nil {
		t.Fatalf("create account %s: %v", address, err)
	}
	return a
}

// wantValidation asserts err is a ValidationError naming field.
func wantValidation(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a validation error on %q", field)
	}
	v, ok := AsValidation(err)
	if !ok {
		t.Fatalf("got %v (%T), want a validation error on %q", err, err, field)
	}
	if v.Field != field {
		t.Fatalf("validation error names %q (%v), want %q", v.Field, v, field)
	}
}
