package store

import (
	"context"
	"database/sql"
)

// The administration calls on accounts that the mail protocols do not need:
// the figures the Administrator shows beside accounts and folders, and the
// manual's "Empty account" and "Unlock" buttons.

// AccountSizes is AccountSize for every account of a domain at once, for
// account lists. Accounts without stored messages are absent (size 0).
func (s *Store) AccountSizes(ctx context.Context, domainID int64) (map[int64]int64, error) {
	rows, err := s.query(ctx, s.db,
		"SELECT m.account_id, SUM(m.size) FROM messages m JOIN accounts a ON a.id = m.account_id WHERE a.domain_id = ? AND m.state = ? GROUP BY m.account_id",
		domainID, MessageStored)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sizes := make(map[int64]int64)
	for rows.Next() {
		var id int64
		var size sql.NullInt64
		if err := rows.Scan(&id, &size); err != nil {
			return nil, err
		}
		sizes[id] = size.Int64
	}
	return sizes, rows.Err()
}

// FolderMessageCounts gives how many messages each of an account's folders
// holds, by folder id. Empty folders are absent (count 0).
func (s *Store) FolderMessageCounts(ctx context.Context, accountID int64) (map[int64]int, error) {
	rows, err := s.query(ctx, s.db, "SELECT folder_id, COUNT(*) FROM messages WHERE account_id = ? AND state = ? GROUP BY folder_id", accountID, MessageStored)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := make(map[int64]int)
	for rows.Next() {
		var folder int64
		var n int
		if err := rows.Scan(&folder, &n); err != nil {
			return nil, err
		}
		counts[folder] = n
	}
	return counts, rows.Err()
}

// EmptyAccount deletes every message of an account, in all its folders, and
// their files (manual: Accounts → "Empty account"). The folders stay, with
// their UIDVALIDITY and next UID, so a UID is never handed out twice. It
// returns how many messages were deleted.
func (s *Store) EmptyAccount(ctx context.Context, accountID int64) (int, error) {
	var paths []string
	var folders []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.requireAccountRow(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		paths, err = s.stringColumn(ctx, tx, "SELECT path FROM messages WHERE account_id = ? AND state = ?", accountID, MessageStored)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM message_recipients WHERE message_id IN (SELECT id FROM messages WHERE account_id = ? AND state = ?)",
			accountID, MessageStored); err != nil {
			return err
		}
		if _, err = s.exec(ctx, tx, "DELETE FROM messages WHERE account_id = ? AND state = ?", accountID, MessageStored); err != nil {
			return err
		}
		// IMAP sessions with one of the folders selected must see the
		// messages go (FolderVersion, and the watch below).
		if folders, err = s.int64Column(ctx, tx, "SELECT id FROM imap_folders WHERE account_id = ? ORDER BY id", accountID); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, "UPDATE imap_folders SET change_count = change_count + 1 WHERE account_id = ?", accountID)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.notifyFolders(folders...)
	return len(paths), s.removeFiles(paths, "")
}

// UnlockAccount clears an account's POP3 lock (manual: Accounts → "Unlock"),
// left behind when a POP3 session ended without QUIT.
func (s *Store) UnlockAccount(ctx context.Context, accountID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Counted first: MySQL reports 0 affected rows for an UPDATE that
		// changes nothing, which must not read as "no such account".
		if err := s.requireAccountRow(ctx, tx, accountID); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, "UPDATE accounts SET pop3_lock = ?, pop3_lock_at = ? WHERE id = ?", "", 0, accountID)
		return err
	})
}

// requireAccountRow returns ErrNotFound unless the account exists.
func (s *Store) requireAccountRow(ctx context.Context, q queryer, accountID int64) error {
	n, err := s.count(ctx, q, "SELECT COUNT(*) FROM accounts WHERE id = ?", accountID)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
