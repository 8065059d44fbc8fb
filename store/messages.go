package store

import (
	"context"
	"database/sql"
	"errors"
	"path"
	"strings"

	"github.com/mailwright/mailwright/store/messagefile"
)

// Message states.
const (
	MessageQueued = 1 // waiting for delivery; its file is under queue/
	MessageStored = 2 // in an account's folder
)

// Message flags, stored as a bit set.
const (
	FlagSeen = 1 << iota
	FlagAnswered
	FlagFlagged
	FlagDeleted
	FlagDraft
	FlagRecent
)

// StoredMessage is a message in a folder.
type StoredMessage struct {
	ID           int64
	AccountID    int64
	FolderID     int64
	UID          uint32
	Path         string // relative to the data directory
	Size         int64
	Flags        int
	InternalDate int64
}

// AddToFolder records a message whose file is already durable at
// m.Path, giving it the folder's next UID. The UID and the row are committed
// together, so a UID is never handed out twice. The new message is
// \Recent (RFC 3501 2.3.2), whatever m.Flags says.
func (s *Store) AddToFolder(ctx context.Context, m StoredMessage) (StoredMessage, error) {
	m.Flags |= FlagRecent
	if err := messagefile.ValidateRel(m.Path); err != nil {
		return StoredMessage{}, invalid("path", "%v", err)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Taking the UID by UPDATE first locks the folder row on every engine,
		// so concurrent deliveries to one folder queue up here.
		res, err := s.exec(ctx, tx, "UPDATE imap_folders SET uid_next = uid_next + 1 WHERE id = ? AND account_id = ?", m.FolderID, m.AccountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return invalid("folder_id", "the account has no folder with id %d", m.FolderID)
		}
		var next int64
		if err := s.queryRow(ctx, tx, "SELECT uid_next FROM imap_folders WHERE id = ?", m.FolderID).Scan(&next); err != nil {
			return err
		}
		m.UID = uint32(next - 1)
		m.ID, err = s.dialect.insert(ctx, tx, "messages",
			[]string{"account_id", "folder_id", "uid", "state", "path", "size", "flags", "from_address", "internal_date", "created_at",
				"next_try_at", "try_count", "locked_by", "locked_until"},
			m.AccountID, m.FolderID, int64(m.UID), MessageStored, m.Path, m.Size, m.Flags, "", m.InternalDate, s.unix(), 0, 0, "", 0)
		return err
	})
	if err != nil {
		return StoredMessage{}, err
	}
	s.notifyFolders(m.FolderID)
	return m, nil
}

// FolderMessages lists a folder's messages by UID.
func (s *Store) FolderMessages(ctx context.Context, folderID int64) ([]StoredMessage, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, account_id, folder_id, uid, path, size, flags, internal_date FROM messages WHERE folder_id = ? AND state = ? ORDER BY uid", folderID, MessageStored)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredMessage
	for rows.Next() {
		var m StoredMessage
		var uid int64
		if err := rows.Scan(&m.ID, &m.AccountID, &m.FolderID, &uid, &m.Path, &m.Size, &m.Flags, &m.InternalDate); err != nil {
			return nil, err
		}
		m.UID = uint32(uid)
		out = append(out, m)
	}
	return out, rows.Err()
}

// accountDir is the directory holding an account's message files.
func accountDir(address string) (string, error) {
	local, domain, ok := strings.Cut(address, "@")
	if !ok {
		return "", errors.New("store: an account address without @")
	}
	p, err := messagefile.AccountPath(domain, local, strings.Repeat("0", 32))
	if err != nil {
		return "", err
	}
	return path.Dir(path.Dir(p)), nil
}

// AccountMessagePath is where a new message of an account goes.
func AccountMessagePath(address, id string) (string, error) {
	local, domain, ok := strings.Cut(address, "@")
	if !ok {
		return "", errors.New("store: an account address without @")
	}
	return messagefile.AccountPath(domain, local, id)
}
