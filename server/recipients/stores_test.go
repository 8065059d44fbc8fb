package recipients

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/mailwright/mailwright/store"
)

// The engines the tests run on, as in store/helpers_test.go: SQLite always;
// PostgreSQL and MariaDB/MySQL when their DSNs are in the environment, each
// test in its own schema or database, dropped when it ends.
const (
	envPostgres = "MAILWRIGHT_TEST_PGSQL_DSN" // e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable
	envMySQL    = "MAILWRIGHT_TEST_MYSQL_DSN" // e.g. root@tcp(127.0.0.1:3306)/test
)

// forEachStore runs f as a subtest on every engine.
func forEachStore(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, e := range []struct {
		name string
		open func(t *testing.T) *store.Store
	}{{"sqlite", func(t *testing.T) *store.Store { return openSQLite(t) }}, {"pgsql", openPostgres}, {"mysql", openMySQL}} {
		t.Run(e.name, func(t *testing.T) { f(t, e.open(t)) })
	}
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "mwtest_" + hex.EncodeToString(b)
}

func openSQLite(t testing.TB) *store.Store {
	dir := t.TempDir()
	dsn := "file:" + dir + "/mailwright.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"
	return openWith(t, store.Options{Type: "sqlite", DSN: dsn, DataDir: dir + "/data", Connections: 8})
}

func openWith(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", opts.Type, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T) *store.Store {
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
	return openWith(t, store.Options{Type: "pgsql", DSN: u.String(), DataDir: t.TempDir(), Connections: 8})
}

func openMySQL(t *testing.T) *store.Store {
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
	return openWith(t, store.Options{Type: "mysql", DSN: cfg.FormatDSN(), DataDir: t.TempDir(), Connections: 8})
}
