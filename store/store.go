// Package store owns Mailwright's persistence: the schema and its migrations
// on SQLite (embedded, the default), PostgreSQL, MySQL/MariaDB and SQL Server;
// the repositories for the hMailServer objects (domains, accounts, aliases,
// distribution lists, groups, IP ranges, routes, ports, certificates, server
// messages, settings, folders, messages); and the model invariants of the
// hMailServer manual, so that the RPC, the command line and the Administrator
// all get the same rules. Message bytes live in files (store/messagefile);
// this package keeps the rows that point at them.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	// The four engines. Importing them here keeps every program that opens a
	// store able to open any configured engine.
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/microsoft/go-mssqldb"
	_ "modernc.org/sqlite"

	"github.com/mailwright/mailwright/store/messagefile"
)

// Options says which database to open and where message files live.
type Options struct {
	// Type is sqlite, pgsql, mysql or mssql.
	Type string
	// DSN is the driver's connection string.
	DSN string
	// DataDir is the data directory holding the message files.
	DataDir string
	// Connections is the pool size ("NumberOfConnections", default 5).
	Connections int
	// ConnectionAttempts and ConnectionAttemptsDelay are tried at start
	// (hMailServer's defaults: 6 attempts, 5 seconds apart).
	ConnectionAttempts      int
	ConnectionAttemptsDelay time.Duration
}

// Store is an open database with its message files.
type Store struct {
	db      *sql.DB
	dialect *Dialect
	files   *messagefile.Store
	now     func() time.Time
	cache   *cache // objects hot paths read again and again (cache.go)
	// lookups holds recipient resolution's domains and address owners
	// (lookup_cache.go).
	lookups lookupCache
	// statements holds the queue's hot statements, prepared once
	// (prepared, queue.go): query text → *sql.Stmt.
	statements sync.Map
	// writes makes the store's writers wait their turn in the process on
	// SQLite (lockWrites).
	writes sync.Mutex
	// logins holds the passwords that passed a check lately, as HMACs
	// (login_cache.go).
	logins loginCache
	// bg counts the store's own goroutines (background); Close waits for
	// them, and once bgClosed is set starts no more.
	bgMu     sync.Mutex
	bg       sync.WaitGroup
	bgClosed bool
	// watches are the IMAP sessions' folder watches (imap_watch.go).
	watches folderWatchers
	// headers holds the header sections IMAP SEARCH read lately
	// (imap_headers.go).
	headers headerCache
	// imapWrites are the IMAP writes waiting for a shared transaction on
	// SQLite (imap_commit.go).
	imapWrites imapWriteBatch
}

// ErrNotFound is returned when the object asked for does not exist.
var ErrNotFound = errors.New("not found")

// Open connects to the database, retrying as configured, and brings the
// schema up to date.
func Open(ctx context.Context, opts Options) (*Store, error) {
	d, err := LookupDialect(opts.Type)
	if err != nil {
		return nil, err
	}
	files, err := messagefile.New(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("store: data directory: %w", err)
	}
	db, err := sql.Open(d.Driver, opts.DSN)
	if err != nil {
		files.Close()
		return nil, fmt.Errorf("store: open %s: %w", d.Name, err)
	}
	conns := opts.Connections
	if conns <= 0 {
		conns = 5
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)

	attempts := max(opts.ConnectionAttempts, 1)
	for attempt := 1; ; attempt++ {
		err = db.PingContext(ctx)
		if err == nil {
			break
		}
		if attempt >= attempts {
			db.Close()
			files.Close()
			return nil, fmt.Errorf("store: cannot connect to the %s database after %d attempt(s): %w", d.Name, attempt, err)
		}
		select {
		case <-ctx.Done():
			db.Close()
			files.Close()
			return nil, ctx.Err()
		case <-time.After(opts.ConnectionAttemptsDelay):
		}
	}
	s := &Store{db: db, dialect: d, files: files, now: time.Now, cache: newCache()}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.bgMu.Lock()
	s.bgClosed = true
	s.bgMu.Unlock()
	s.bg.Wait()
	return errors.Join(s.db.Close(), s.files.Close())
}

// background runs fn on a goroutine of the store's own — preparing a
// statement, committing the next batch of IMAP writes — that Close waits
// for, so that nothing opens a connection or writes in the data directory
// after Close has returned. Once Close has begun it starts nothing and
// returns false.
func (s *Store) background(fn func()) bool {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.bgClosed {
		return false
	}
	s.bg.Go(fn)
	return true
}

// Dialect reports which engine the store runs on.
func (s *Store) Dialect() *Dialect { return s.dialect }

// DB gives the server's other packages the pool, for their own tables.
func (s *Store) DB() *sql.DB { return s.db }

// Files gives access to the message file store.
func (s *Store) Files() *messagefile.Store { return s.files }

// unix is the current time as stored: Unix seconds.
func (s *Store) unix() int64 { return s.now().Unix() }

// tx runs fn in a transaction and commits when it returns nil. On SQLite
// the transaction holds the store's write lock (lockWrites) from its
// BEGIN to its end.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	unlock := s.lockWrites()
	defer unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// lockWrites makes a writer wait its turn in the process on SQLite, where
// there is one writer at a time anyway and every transaction begins
// IMMEDIATE (the DSN's _txlock): without it, concurrent writers meet in
// SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between tries, so a
// writer often sleeps long after the lock was free. A Go mutex hands the
// lock over at once. The other engines lock rows and need nothing here.
// It returns the unlock. A writer must not call lockWrites again, directly
// or through tx or exec on the pool, while it holds the lock: on SQLite
// that would have waited for its own lock until the busy timeout before.
func (s *Store) lockWrites() func() {
	if s.dialect.Name != "sqlite" {
		return func() {}
	}
	s.writes.Lock()
	return s.writes.Unlock
}

// exec runs a portable statement (? placeholders) on q. A statement run
// on the pool itself (an autocommit write) takes the write lock
// (lockWrites); one in a transaction runs under the transaction's.
func (s *Store) exec(ctx context.Context, q queryer, query string, args ...any) (sql.Result, error) {
	if _, onPool := q.(*sql.DB); onPool {
		defer s.lockWrites()()
	}
	return q.ExecContext(ctx, s.dialect.Rebind(query), args...)
}

// queryRow runs a portable single-row query on q.
func (s *Store) queryRow(ctx context.Context, q queryer, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.dialect.Rebind(query), args...)
}

// query runs a portable query on q.
func (s *Store) query(ctx context.Context, q queryer, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.dialect.Rebind(query), args...)
}

// count returns the integer a COUNT(*) query gives.
func (s *Store) count(ctx context.Context, q queryer, query string, args ...any) (int, error) {
	var n int
	err := s.queryRow(ctx, q, query, args...).Scan(&n)
	return n, err
}

// boolInt stores a boolean as 0/1, the same on every engine.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
