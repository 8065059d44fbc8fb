package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The POP3 lock: one POP3 session at a time per account (RFC 1939 8: the
// server acquires an exclusive-access lock on the maildrop when the client
// authenticates). The lock is the accounts row's pop3_lock (the holder's
// token) and pop3_lock_at (when it was taken or last refreshed), so it
// holds across every node sharing the database. A holder that died without
// releasing it leaves a lock that expires; the Administrator's "Unlock"
// (UnlockAccount) clears it at once.

// ErrMailboxLocked is returned when another POP3 session holds the lock.
var ErrMailboxLocked = errors.New("the mailbox is locked by another POP3 session")

// ErrPOP3LockLost is returned when a session's lock was cleared or taken
// over (an administrator unlocked the account, or the lock expired).
var ErrPOP3LockLost = errors.New("the POP3 lock is no longer held")

// POP3Lock is a held POP3 lock.
type POP3Lock struct {
	AccountID int64
	Token     string
}

// newLockToken names a lock holder: the host and a random part, so an
// administrator looking at the row can tell which node holds it.
func newLockToken() string {
	b := make([]byte, 8)
	rand.Read(b)
	host, _ := os.Hostname()
	if len(host) > 40 {
		host = host[:40]
	}
	return host + "/" + hex.EncodeToString(b)
}

// LockPOP3 takes an account's POP3 lock. A lock last refreshed more than
// staleAfter ago is treated as abandoned and taken over. The lock is taken
// by one conditional UPDATE, so of two sessions (on one node or several)
// racing for it exactly one succeeds; the other gets ErrMailboxLocked.
func (s *Store) LockPOP3(ctx context.Context, accountID int64, staleAfter time.Duration) (POP3Lock, error) {
	lock := POP3Lock{AccountID: accountID, Token: newLockToken()}
	now := s.unix()
	stale := now - int64(staleAfter/time.Second)
	res, err := s.exec(ctx, s.db, "UPDATE accounts SET pop3_lock = ?, pop3_lock_at = ? WHERE id = ? AND (pop3_lock = '' OR pop3_lock_at < ?)",
		lock.Token, now, accountID, stale)
	if err != nil {
		return POP3Lock{}, err
	}
	// The token is new, so a row that matched always changes and MySQL's
	// "affected rows" counts it.
	if n, err := res.RowsAffected(); err != nil {
		return POP3Lock{}, err
	} else if n == 1 {
		return lock, nil
	}
	if err := s.requireAccountRow(ctx, s.db, accountID); err != nil {
		return POP3Lock{}, err
	}
	return POP3Lock{}, ErrMailboxLocked
}

// RefreshPOP3Lock records that the holder is still alive, so a long session
// does not look abandoned. It returns ErrPOP3LockLost when the lock is no
// longer the holder's.
func (s *Store) RefreshPOP3Lock(ctx context.Context, lock POP3Lock) error {
	res, err := s.exec(ctx, s.db, "UPDATE accounts SET pop3_lock_at = ? WHERE id = ? AND pop3_lock = ?", s.unix(), lock.AccountID, lock.Token)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	// MySQL reports 0 affected rows when pop3_lock_at did not change.
	return s.checkPOP3Lock(ctx, s.db, lock)
}

// checkPOP3Lock returns ErrPOP3LockLost unless lock is held.
func (s *Store) checkPOP3Lock(ctx context.Context, q queryer, lock POP3Lock) error {
	n, err := s.count(ctx, q, "SELECT COUNT(*) FROM accounts WHERE id = ? AND pop3_lock = ?", lock.AccountID, lock.Token)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrPOP3LockLost
	}
	return nil
}

// UnlockPOP3 releases a lock; it does nothing when the lock is no longer
// the holder's (an administrator cleared it and another session took it).
func (s *Store) UnlockPOP3(ctx context.Context, lock POP3Lock) error {
	_, err := s.exec(ctx, s.db, "UPDATE accounts SET pop3_lock = '', pop3_lock_at = 0 WHERE id = ? AND pop3_lock = ?", lock.AccountID, lock.Token)
	return err
}

// CommitPOP3 is the UPDATE state of RFC 1939 6: in one transaction it
// checks that the lock is still held, deletes the account's stored
// messages with the given ids and releases the lock; then it removes their
// files. Ids that are gone already (deleted over IMAP meanwhile) are
// skipped. It returns how many messages were deleted. On ErrPOP3LockLost
// nothing is deleted; on ErrMessageFilesLeft the commit happened.
func (s *Store) CommitPOP3(ctx context.Context, lock POP3Lock, messageIDs []int64) (int, error) {
	var paths []string
	var folders []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Updating the row first holds the account row for the
		// transaction, so the check below cannot go stale.
		res, err := s.exec(ctx, tx, "UPDATE accounts SET pop3_lock = '', pop3_lock_at = 0 WHERE id = ? AND pop3_lock = ?", lock.AccountID, lock.Token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrPOP3LockLost
		}
		paths, folders, err = s.deleteStoredMessages(ctx, tx, lock.AccountID, messageIDs)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.notifyFolders(folders...)
	return len(paths), s.removeMessageFiles(paths)
}

// ErrMessageFilesLeft is returned when the rows of deleted messages are
// committed but some of their files could not be removed; the start-up
// reconciliation removes them later.
var ErrMessageFilesLeft = errors.New("the messages are deleted but some of their files could not be removed")

func (s *Store) removeMessageFiles(paths []string) error {
	if err := s.removeFiles(paths, ""); err != nil {
		return fmt.Errorf("%w: %w", ErrMessageFilesLeft, err)
	}
	return nil
}

// DeleteMessages deletes an account's stored messages with the given ids,
// rows in one transaction and then their files. Ids that are not the
// account's stored messages are skipped. It returns how many were deleted;
// on ErrMessageFilesLeft the rows are deleted.
func (s *Store) DeleteMessages(ctx context.Context, accountID int64, messageIDs []int64) (int, error) {
	var paths []string
	var folders []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		paths, folders, err = s.deleteStoredMessages(ctx, tx, accountID, messageIDs)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.notifyFolders(folders...)
	return len(paths), s.removeMessageFiles(paths)
}

// deleteBatch keeps the number of parameters of one statement well under
// every engine's limit (SQL Server's is 2,100).
const deleteBatch = 500

// deleteStoredMessages deletes the rows and returns the files' paths and
// the folders that held them, whose version it moves on first (IMAP
// sessions see the deletion through FolderVersion).
func (s *Store) deleteStoredMessages(ctx context.Context, tx *sql.Tx, accountID int64, ids []int64) ([]string, []int64, error) {
	folders, err := s.touchFoldersOfMessages(ctx, tx, accountID, ids)
	if err != nil {
		return nil, nil, err
	}
	var paths []string
	for len(ids) > 0 {
		batch := ids[:min(len(ids), deleteBatch)]
		ids = ids[len(batch):]
		in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",") + ")"
		args := []any{accountID, MessageStored}
		for _, id := range batch {
			args = append(args, id)
		}
		where := "account_id = ? AND state = ? AND id IN " + in
		found, err := s.stringColumn(ctx, tx, "SELECT path FROM messages WHERE "+where, args...)
		if err != nil {
			return nil, nil, err
		}
		if len(found) == 0 {
			continue
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM message_recipients WHERE message_id IN (SELECT id FROM messages WHERE "+where+")", args...); err != nil {
			return nil, nil, err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM messages WHERE "+where, args...); err != nil {
			return nil, nil, err
		}
		paths = append(paths, found...)
	}
	return paths, folders, nil
}

// POP3UID is a message's unique-id listing (RFC 1939 7, UIDL): the message
// row's id in decimal. It never changes while the message exists, whatever
// its folder's UIDVALIDITY does, and is never given to another message.
func POP3UID(m StoredMessage) string { return strconv.FormatInt(m.ID, 10) }
