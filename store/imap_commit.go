package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commit of the IMAP sessions' writes on SQLite. There one writer
// runs at a time (lockWrites) and every commit waits for an fsync of the
// WAL (synchronous=FULL), so with many sessions storing flags, appending
// and expunging at once, most of a write's time was spent queued behind
// the others' fsyncs. The writes that arrive while a batch commits wait
// together and then run in one transaction, each in a savepoint of its
// own: one write that fails rolls back only itself, and one fsync makes
// them all durable. No write is answered before the commit that holds it.
// The other engines lock rows and commit concurrently, so there each
// write keeps a transaction of its own.

// imapWriteBatch is the Store's queue of IMAP writes waiting for a
// transaction. The zero value is ready to use.
type imapWriteBatch struct {
	mu      sync.Mutex
	pending []*imapWrite
	running bool // a goroutine is committing batches
}

// imapWrite is one write waiting in the batch and, once done, its result.
type imapWrite struct {
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// imapTx runs fn in a transaction, shared with other IMAP writes on
// SQLite, and returns once its changes are committed (or not at all, on
// an error). fn must use the ctx it is given, not its caller's: a
// cancelled caller must not interrupt the others' statements. fn may run
// on another goroutine, and must not retry anything itself.
func (s *Store) imapTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if s.dialect.Name != "sqlite" {
		return s.tx(ctx, func(tx *sql.Tx) error { return fn(ctx, tx) })
	}
	w := &imapWrite{fn: fn, done: make(chan error, 1)}
	b := &s.imapWrites
	b.mu.Lock()
	b.pending = append(b.pending, w)
	lead := !b.running
	b.running = true
	b.mu.Unlock()
	if lead {
		s.commitIMAPWrites()
	}
	return <-w.done
}

// commitIMAPWrites commits the pending writes as one batch; when more
// arrived meanwhile, another goroutine goes on with them, so that the
// writer that led this batch is answered at once.
func (s *Store) commitIMAPWrites() {
	b := &s.imapWrites
	b.mu.Lock()
	batch := b.pending
	b.pending = nil
	b.mu.Unlock()
	s.commitBatch(batch)
	b.mu.Lock()
	if len(b.pending) == 0 {
		b.running = false
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	if !s.background(s.commitIMAPWrites) {
		s.commitIMAPWrites() // the store is closing: no new goroutines
	}
}

// commitBatch runs the writes in one transaction, each in a savepoint
// when there are several, and tells each its result. (The savepoint
// statements are those of SQLite, PostgreSQL and MySQL, not SQL Server's;
// imapTx batches on SQLite only.)
func (s *Store) commitBatch(batch []*imapWrite) {
	ctx := context.Background()
	results := make([]error, len(batch))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if len(batch) == 1 {
			results[0] = batch[0].run(ctx, tx)
			return results[0]
		}
		for i, w := range batch {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT imap_write"); err != nil {
				return err
			}
			if results[i] = w.run(ctx, tx); results[i] != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT imap_write"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT imap_write"); err != nil {
				return err
			}
		}
		return nil
	})
	for i, w := range batch {
		if results[i] != nil {
			w.done <- results[i]
		} else {
			w.done <- err
		}
	}
}

// run runs the write's function. A panic becomes the write's error: the
// goroutine running the batch may be another writer's, and the writers
// waiting for the batch must all be answered.
func (w *imapWrite) run(ctx context.Context, tx *sql.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: IMAP write panicked: %v", r)
		}
	}()
	return w.fn(ctx, tx)
}
