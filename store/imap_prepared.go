package store

import (
	"context"
	"database/sql"
)

// The IMAP commands' hot statements run with their statements prepared
// (prepared, queue.go): every SELECT, STORE, APPEND and EXPUNGE runs a
// handful of them, and on SQLite parsing each again was a large part of
// their CPU. On the pool a statement is prepared at once; in a transaction
// only when it was prepared before (see insertPrepared for why), else it
// runs unprepared while it is prepared for the next time. Statements with
// an IN list are prepared only up to maxPreparedIn items, so that there
// are a few texts only.

// imapQuery is query with the statement prepared as above. On a queryer
// that is neither the pool nor a transaction it runs unprepared.
func (s *Store) imapQuery(ctx context.Context, q queryer, query string, args ...any) (*sql.Rows, error) {
	tx, inTx := q.(*sql.Tx)
	if !inTx {
		if q != queryer(s.db) {
			return s.query(ctx, q, query, args...)
		}
		return s.queryPrepared(ctx, q, query, args...)
	}
	if _, ok := s.statements.Load(query); !ok {
		s.background(func() { _, _ = s.prepared(context.WithoutCancel(ctx), query) })
		return s.query(ctx, tx, query, args...)
	}
	return s.queryPrepared(ctx, tx, query, args...)
}

// imapQueryRow is queryRow with the statement prepared as above.
func (s *Store) imapQueryRow(ctx context.Context, q queryer, query string, args ...any) rowScanner {
	if tx, inTx := q.(*sql.Tx); inTx {
		return s.queryRowIfPrepared(ctx, tx, query, args...)
	}
	if q != queryer(s.db) {
		return s.queryRow(ctx, q, query, args...)
	}
	return s.queryRowPrepared(ctx, q, query, args...)
}

// imapQueryIn is imapQuery for a query with an IN list of n items.
func (s *Store) imapQueryIn(ctx context.Context, q queryer, n int, query string, args ...any) (*sql.Rows, error) {
	if n > maxPreparedIn {
		return s.query(ctx, q, query, args...)
	}
	return s.imapQuery(ctx, q, query, args...)
}

// imapExecIn runs a statement with an IN list of n items in tx, prepared
// as above.
func (s *Store) imapExecIn(ctx context.Context, tx *sql.Tx, n int, query string, args ...any) (sql.Result, error) {
	if n > maxPreparedIn {
		return s.exec(ctx, tx, query, args...)
	}
	return s.execIfPrepared(ctx, tx, query, args...)
}
