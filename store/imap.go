package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// IMAP's view of folders and messages: folder tree changes, the messages of
// a folder with UIDs, flags and keywords, \Recent, APPEND/COPY/MOVE/EXPUNGE
// with quota, public folders and their permissions (RFC 4314 rights), and
// the change notifications that let other sessions see a folder change.

// ErrQuotaExceeded is returned when a message would take an account over its
// maximum size.
var ErrQuotaExceeded = errors.New("the account's quota would be exceeded")

// ErrFolderHasChildren is returned when deleting a folder that has
// subfolders.
var ErrFolderHasChildren = errors.New("the folder has subfolders")

// IMAPMessage is a message in a folder as IMAP sees it.
type IMAPMessage struct {
	ID           int64
	UID          uint32
	Flags        int // FlagSeen, FlagAnswered, FlagFlagged, FlagDeleted, FlagDraft
	Keywords     []string
	Size         int64
	InternalDate time.Time
	Path         string
	Recent       bool // \Recent for the session that claimed it
}

// FolderStatus is what IMAP STATUS reports.
type FolderStatus struct {
	Messages, Recent, Unseen int
	UIDNext, UIDValidity     uint32
}

// FolderChange is how one committed change moved a folder's version on
// (FolderVersion): From is the version just before the change and To just
// after it, both read in the change's own transaction. A session whose
// view was at From when the change committed has missed nothing but the
// change itself, so it can take To as its view's version without reading
// the folder again.
type FolderChange struct {
	From, To int64
}

// StoreFlagsMode says how SetFlags changes flags.
type StoreFlagsMode int

const (
	FlagsReplace StoreFlagsMode = iota
	FlagsAdd
	FlagsRemove
)

// ACLEntry is one identifier's rights on a public folder (RFC 4314 letters).
// The identifier is "anyone", an account address or "$" + a group name.
type ACLEntry struct {
	Identifier string
	Rights     string
}

// AllRights are the rights of an account on its own folders.
const AllRights = "lrswipkxtea"

const folderColumns = "id, account_id, parent_id, name, subscribed, uid_validity, uid_next"

func scanFolder(row interface{ Scan(...any) error }) (Folder, error) {
	var f Folder
	var validity, next int64
	err := row.Scan(&f.ID, &f.AccountID, &f.ParentID, &f.Name, &f.Subscribed, &validity, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return Folder{}, ErrNotFound
	}
	f.UIDValidity, f.UIDNext = uint32(validity), uint32(next)
	return f, err
}

func (s *Store) folderIn(ctx context.Context, q queryer, id int64) (Folder, error) {
	return scanFolder(s.imapQueryRow(ctx, q, "SELECT "+folderColumns+" FROM imap_folders WHERE id = ?", id))
}

// lockFolder holds the folder's row for the rest of the transaction (an
// UPDATE that changes nothing locks the row on every engine), so that
// writers of one folder's messages queue up, and returns the folder.
func (s *Store) lockFolder(ctx context.Context, tx *sql.Tx, id int64) (Folder, error) {
	if _, err := s.exec(ctx, tx, "UPDATE imap_folders SET change_count = change_count WHERE id = ?", id); err != nil {
		return Folder{}, err
	}
	return s.folderIn(ctx, tx, id)
}

// lockFolderVersion is lockFolder for a writer that needs the folder's
// version (FolderVersion) rather than the folder: it holds the row for the
// rest of the transaction and returns the version as it is before the
// writer's change.
func (s *Store) lockFolderVersion(ctx context.Context, tx *sql.Tx, id int64) (int64, error) {
	if _, err := s.execIfPrepared(ctx, tx, "UPDATE imap_folders SET change_count = change_count WHERE id = ?", id); err != nil {
		return 0, err
	}
	var v int64
	err := s.queryRowIfPrepared(ctx, tx, folderVersionQuery, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return v, err
}

// touchFolder moves the folder's version on (FolderVersion) by one.
func (s *Store) touchFolder(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := s.execIfPrepared(ctx, tx, "UPDATE imap_folders SET change_count = change_count + 1 WHERE id = ?", id)
	return err
}

// isInbox reports whether f is an account's INBOX.
func isInbox(f Folder) bool { return f.AccountID != 0 && f.ParentID == 0 && f.Name == "INBOX" }

// Folder returns one folder.
func (s *Store) Folder(ctx context.Context, id int64) (Folder, error) {
	return s.folderIn(ctx, s.db, id)
}

// CreateFolder creates a folder under parentID (0: top level) of an account
// (0: public). The name is one level, validated.
func (s *Store) CreateFolder(ctx context.Context, accountID, parentID int64, name string) (Folder, error) {
	if err := s.validateFolderLevel(ctx, accountID, parentID, name); err != nil {
		return Folder{}, err
	}
	var f Folder
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if accountID != 0 {
			if err := s.requireAccountRow(ctx, tx, accountID); err != nil {
				return err
			}
		}
		tree, err := s.loadFolderTree(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if parentID != 0 {
			if _, ok := tree[parentID]; !ok {
				return invalid("parent_id", "there is no folder %d to create %q in", parentID, name)
			}
		}
		if depth := tree.depth(parentID) + 1; depth > maxFolderDepth {
			return invalid("name", "folders nest at most %d levels deep", maxFolderDepth)
		}
		f, err = s.createFolder(ctx, tx, accountID, parentID, name)
		return err
	})
	return f, err
}

// DeleteFolder deletes a folder, its messages and their files. INBOX cannot
// be deleted; a folder with subfolders gives ErrFolderHasChildren. On
// ErrMessageFilesLeft the folder is deleted but some files are left.
func (s *Store) DeleteFolder(ctx context.Context, id int64) error {
	var paths []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		f, err := s.lockFolder(ctx, tx, id)
		if err != nil {
			return err
		}
		if isInbox(f) {
			return invalid("name", "INBOX cannot be deleted")
		}
		children, err := s.count(ctx, tx, "SELECT COUNT(*) FROM imap_folders WHERE account_id = ? AND parent_id = ?", f.AccountID, f.ID)
		if err != nil {
			return err
		}
		if children > 0 {
			return ErrFolderHasChildren
		}
		if paths, err = s.stringColumn(ctx, tx, "SELECT path FROM messages WHERE folder_id = ? AND state = ?", id, MessageStored); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM messages WHERE folder_id = ? AND state = ?", id, MessageStored); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM imap_acl WHERE folder_id = ?", id); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, "DELETE FROM imap_folders WHERE id = ?", id)
		return err
	})
	if err != nil {
		return err
	}
	s.notifyFolders(id)
	return s.removeMessageFiles(paths)
}

// RenameFolder moves a folder with its subfolders under newParentID with
// newName. Moving a folder under itself or its own subfolder is refused.
func (s *Store) RenameFolder(ctx context.Context, id, newParentID int64, newName string) error {
	f, err := s.Folder(ctx, id)
	if err != nil {
		return err
	}
	if isInbox(f) {
		return invalid("name", "INBOX is renamed by moving its messages to a new folder (RenameInbox)")
	}
	if err := s.validateFolderLevel(ctx, f.AccountID, newParentID, newName); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		f, err := s.folderIn(ctx, tx, id)
		if err != nil {
			return err
		}
		tree, err := s.loadFolderTree(ctx, tx, f.AccountID)
		if err != nil {
			return err
		}
		if newParentID != 0 {
			if _, ok := tree[newParentID]; !ok {
				return invalid("parent_id", "there is no folder %d to move %q into", newParentID, f.Name)
			}
			if tree.isWithin(newParentID, id) {
				return invalid("parent_id", "a folder cannot move into itself or one of its subfolders")
			}
		}
		if tree.depth(newParentID)+tree.height(id) > maxFolderDepth {
			return invalid("name", "folders nest at most %d levels deep", maxFolderDepth)
		}
		if newParentID == f.ParentID && newName == f.Name {
			return nil
		}
		_, err = s.exec(ctx, tx, "UPDATE imap_folders SET parent_id = ?, name = ? WHERE id = ?", newParentID, newName, id)
		return s.duplicate(err, "name", "the folder %q already exists", newName)
	})
}

// RenameInbox does RFC 3501's rename of INBOX: a new folder is created and
// every INBOX message moves into it; INBOX stays, empty.
func (s *Store) RenameInbox(ctx context.Context, accountID, newParentID int64, newName string) (Folder, error) {
	if err := s.validateFolderLevel(ctx, accountID, newParentID, newName); err != nil {
		return Folder{}, err
	}
	var f Folder
	var inboxID int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := s.queryRow(ctx, tx, "SELECT id FROM imap_folders WHERE account_id = ? AND parent_id = 0 AND name = 'INBOX'", accountID).Scan(&inboxID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		inbox, err := s.lockFolder(ctx, tx, inboxID)
		if err != nil {
			return err
		}
		tree, err := s.loadFolderTree(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if newParentID != 0 {
			if _, ok := tree[newParentID]; !ok {
				return invalid("parent_id", "there is no folder %d to create %q in", newParentID, newName)
			}
		}
		if tree.depth(newParentID)+1 > maxFolderDepth {
			return invalid("name", "folders nest at most %d levels deep", maxFolderDepth)
		}
		if f, err = s.createFolder(ctx, tx, accountID, newParentID, newName); err != nil {
			return err
		}
		// The new folder has a UIDVALIDITY of its own, so the messages
		// keep their UIDs there, and it continues INBOX's next UID.
		f.UIDNext = inbox.UIDNext
		if _, err := s.exec(ctx, tx, "UPDATE imap_folders SET uid_next = ?, change_count = change_count + 1 WHERE id = ?", int64(f.UIDNext), f.ID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "UPDATE messages SET folder_id = ? WHERE folder_id = ? AND state = ?", f.ID, inbox.ID, MessageStored); err != nil {
			return err
		}
		return s.touchFolder(ctx, tx, inbox.ID)
	})
	if err != nil {
		return Folder{}, err
	}
	s.notifyFolders(inboxID)
	return f, nil
}

// SetFolderSubscribed subscribes or unsubscribes a folder.
func (s *Store) SetFolderSubscribed(ctx context.Context, id int64, subscribed bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.folderIn(ctx, tx, id); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, "UPDATE imap_folders SET subscribed = ? WHERE id = ?", boolInt(subscribed), id)
		return err
	})
}

// folderTree is an account's folders (0: the public ones) as id → parent id.
type folderTree map[int64]int64

// maxFolderDepth is how many levels folders nest at most.
const maxFolderDepth = 20

func (s *Store) loadFolderTree(ctx context.Context, q queryer, accountID int64) (folderTree, error) {
	rows, err := s.query(ctx, q, "SELECT id, parent_id FROM imap_folders WHERE account_id = ?", accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := folderTree{}
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, err
		}
		t[id] = parent
	}
	return t, rows.Err()
}

// depth is how many levels down id is: 0 for the top (id 0), 1 for a
// top-level folder.
func (t folderTree) depth(id int64) int {
	n := 0
	for id != 0 && n <= len(t) {
		id = t[id]
		n++
	}
	return n
}

// isWithin reports whether id is ancestor or one of its subfolders.
func (t folderTree) isWithin(id, ancestor int64) bool {
	for n := 0; id != 0 && n <= len(t); n++ {
		if id == ancestor {
			return true
		}
		id = t[id]
	}
	return false
}

// height is how many levels id and its subfolders take: 1 for a folder
// without subfolders.
func (t folderTree) height(id int64) int {
	h := 1
	for child, parent := range t {
		if parent == id && child != id {
			h = max(h, 1+t.height(child))
		}
	}
	return h
}
