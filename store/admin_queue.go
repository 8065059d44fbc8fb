package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
)

// The administrator's hand on the delivery queue (manual: Delivery queue):
// list it with its recipients, send a message now, remove one, clear it.
//
// Removing is allowed while a worker holds a lease on the message, as in
// hMailServer. The worker copes: its recipient updates find nothing
// pending, FinishQueued reports ErrNotFound and ReleaseQueued ErrLeaseLost,
// and a missing queue file reads as a message that left the queue.

// QueueLength counts the queued messages.
func (s *Store) QueueLength(ctx context.Context) (int, error) {
	n, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM messages WHERE state = ?", MessageQueued)
	if err != nil {
		return 0, fmt.Errorf("store: count the queue: %w", err)
	}
	return n, nil
}

// QueuedRecipients returns the recipients of every queued message, by
// message id, in the order they were queued: with QueuedMessages, the
// whole queue in two queries.
func (s *Store) QueuedRecipients(ctx context.Context) (map[int64][]QueuedRecipient, error) {
	return s.queuedRecipientsBetween(ctx, 0, math.MaxInt64)
}

// queuedRecipientsBetween is QueuedRecipients for the messages whose ids
// lie in [first, last]: one query for a page of the queue.
func (s *Store) queuedRecipientsBetween(ctx context.Context, first, last int64) (map[int64][]QueuedRecipient, error) {
	rows, err := s.query(ctx, s.db, `SELECT r.message_id, r.id, r.address, r.original_address, r.local_account_id, r.status, r.last_reply
		FROM message_recipients r JOIN messages m ON m.id = r.message_id
		WHERE m.state = ? AND m.id BETWEEN ? AND ? ORDER BY r.message_id, r.id`, MessageQueued, first, last)
	if err != nil {
		return nil, fmt.Errorf("store: list queued recipients: %w", err)
	}
	defer rows.Close()
	out := map[int64][]QueuedRecipient{}
	for rows.Next() {
		var messageID int64
		var r QueuedRecipient
		if err := rows.Scan(&messageID, &r.ID, &r.Address, &r.OriginalAddress, &r.AccountID, &r.Status, &r.LastReply); err != nil {
			return nil, err
		}
		out[messageID] = append(out[messageID], r)
	}
	return out, rows.Err()
}

// SetNextTry makes a queued message due at the Unix second at; "send now"
// passes the current time. A lease a worker holds is left alone: that
// worker is delivering the message already.
func (s *Store) SetNextTry(ctx context.Context, id, at int64) error {
	res, err := s.exec(ctx, s.db, "UPDATE messages SET next_try_at = ? WHERE id = ? AND state = ?", at, id, MessageQueued)
	if err != nil {
		return fmt.Errorf("store: set the next try of queued message %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// RemoveQueued deletes a queued message's row and its recipients, whatever
// their status, and returns the path of its queue file, which the caller
// then removes. The error is ErrNotFound if the message is not queued.
func (s *Store) RemoveQueued(ctx context.Context, id int64) (string, error) {
	var path string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		path, err = s.removeQueuedTx(ctx, tx, id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: remove queued message %d: %w", id, err)
	}
	return path, nil
}

// removeQueuedTx deletes one queued message in the caller's transaction.
// As in finishTx, the row count of the delete decides, so of two
// transactions removing one message only one returns its path.
func (s *Store) removeQueuedTx(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var path string
	err := s.queryRow(ctx, tx, "SELECT path FROM messages WHERE id = ? AND state = ?", id, MessageQueued).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if err := s.deleteQueuedRows(ctx, tx, id); err != nil {
		return "", err
	}
	return path, nil
}

// ClearQueue deletes every queued message and returns the paths of their
// queue files, which the caller then removes. A message that leaves the
// queue meanwhile (a worker finished it) is skipped: its worker removes
// its file.
func (s *Store) ClearQueue(ctx context.Context) ([]string, error) {
	queued, err := s.QueuedMessages(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: clear the queue: %w", err)
	}
	var paths []string
	err = s.tx(ctx, func(tx *sql.Tx) error {
		paths = paths[:0]
		for _, m := range queued {
			path, err := s.removeQueuedTx(ctx, tx, m.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: clear the queue: %w", err)
	}
	return paths, nil
}

// QueuePage is one page of the delivery queue, oldest first, with each
// message's recipients, and the length of the whole queue.
func (s *Store) QueuePage(ctx context.Context, limit, offset int) ([]QueuedMessage, int, error) {
	total, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM messages WHERE state = ?", MessageQueued)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, s.db, s.dialect.Page("SELECT "+queuedColumns+" FROM messages WHERE state = ? ORDER BY id", limit, max(offset, 0)), MessageQueued)
	if err != nil {
		return nil, 0, err
	}
	var page []QueuedMessage
	for rows.Next() {
		m, err := scanQueued(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		page = append(page, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(page) == 0 {
		return page, total, err
	}
	recipients, err := s.queuedRecipientsBetween(ctx, page[0].ID, page[len(page)-1].ID)
	if err != nil {
		return nil, 0, err
	}
	for i := range page {
		page[i].Recipients = recipients[page[i].ID]
	}
	return page, total, nil
}
