package store

import (
	"context"
	"database/sql"
)

// CheckQueued reports whether Enqueue and EnqueueAll would take m, without
// touching the database. The queue's group commit checks each accepted
// message with it before the message joins a shared transaction, so that
// one message that would be refused cannot fail the others.
func CheckQueued(m QueuedMessage) error { return validateQueued(m) }

// insertPrepared is Dialect.insert with the statement prepared once
// (prepared, queue.go) and bound to tx: enqueueTx runs for every accepted
// message and each of its recipients, and parsing the INSERT again each
// time is a large part of the accept's CPU on SQLite.
//
// The statement is prepared on the pool, which takes a connection of its
// own; inside a transaction that would wait for a free connection while
// holding the database's write lock, and on SQLite the pool's other
// connections may all be waiting for that lock: a deadlock until the busy
// timeout. So the first insert of each kind runs unprepared in tx, and the
// statement is prepared meanwhile by a goroutine that holds nothing.
func (s *Store) insertPrepared(ctx context.Context, tx *sql.Tx, table string, columns []string, args ...any) (int64, error) {
	query := s.dialect.insertQuery(table, columns)
	if _, ok := s.statements.Load(query); !ok {
		s.background(func() { _, _ = s.prepared(context.WithoutCancel(ctx), query) })
		return s.dialect.insert(ctx, tx, table, columns, args...)
	}
	if s.dialect.returningID == "lastinsertid" {
		res, err := s.execPrepared(ctx, tx, query, args...)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	var id int64
	err := s.queryRowPrepared(ctx, tx, query, args...).Scan(&id)
	return id, err
}

// execIfPrepared runs query in tx with its prepared statement when there
// is one already, else unprepared while a goroutine that holds nothing
// prepares it for the next time (see insertPrepared for why not inside
// tx): for statements of transactions that may come before any
// prepareSettle.
func (s *Store) execIfPrepared(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if _, ok := s.statements.Load(query); !ok {
		s.background(func() { _, _ = s.prepared(context.WithoutCancel(ctx), query) })
		return s.exec(ctx, tx, query, args...)
	}
	return s.execPrepared(ctx, tx, query, args...)
}

// queryRowIfPrepared is execIfPrepared for a query of one row.
func (s *Store) queryRowIfPrepared(ctx context.Context, tx *sql.Tx, query string, args ...any) rowScanner {
	if _, ok := s.statements.Load(query); !ok {
		s.background(func() { _, _ = s.prepared(context.WithoutCancel(ctx), query) })
		return s.queryRow(ctx, tx, query, args...)
	}
	return s.queryRowPrepared(ctx, tx, query, args...)
}

// The columns enqueueTx inserts.
var (
	queuedMessageColumns = []string{"account_id", "folder_id", "uid", "state", "path", "size", "flags", "from_address", "internal_date", "created_at",
		"next_try_at", "try_count", "locked_by", "locked_until"}
	queuedRecipientColumns = []string{"message_id", "address", "address_lower", "original_address", "local_account_id", "status", "last_reply"}
)
