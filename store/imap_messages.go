package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/mailwright/mailwright/store/messagefile"
)

// The messages of a folder as IMAP sees them. Every change takes the
// folder's row first (lockFolder, or the UID UPDATE), so that changes to
// one folder queue up on every engine, and moves the folder's version on
// in the same transaction; the watchers are told after the commit. When an
// account's row is needed too (quota), it is taken before the folders',
// and several folders are taken in id order, so two transactions never
// wait for each other.

// userFlags are the flags a client sets; FlagRecent is the server's.
const userFlags = FlagSeen | FlagAnswered | FlagFlagged | FlagDeleted | FlagDraft

const imapMessageColumns = "id, uid, flags, keywords, size, internal_date, path"

// storedIMAPMessage is an IMAPMessage with its flags as stored.
type storedIMAPMessage struct {
	IMAPMessage
	stored int // Flags with FlagRecent
}

func scanIMAPMessage(rows *sql.Rows) (storedIMAPMessage, error) {
	var m storedIMAPMessage
	var uid, date int64
	var keywords string
	if err := rows.Scan(&m.ID, &uid, &m.stored, &keywords, &m.Size, &date, &m.Path); err != nil {
		return m, err
	}
	m.UID, m.Flags = uint32(uid), m.stored&userFlags
	m.Keywords, m.InternalDate = splitKeywords(keywords), time.Unix(date, 0)
	return m, nil
}

func (s *Store) queryIMAPMessages(ctx context.Context, q queryer, query string, args ...any) ([]storedIMAPMessage, error) {
	return s.scanIMAPMessages(s.imapQuery(ctx, q, query, args...))
}

// scanIMAPMessages reads the rows of a query of imapMessageColumns.
func (s *Store) scanIMAPMessages(rows *sql.Rows, err error) ([]storedIMAPMessage, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedIMAPMessage
	for rows.Next() {
		m, err := scanIMAPMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// messagesByUID reads the folder's messages with these UIDs, by UID.
// UIDs that are not there are skipped.
func (s *Store) messagesByUID(ctx context.Context, q queryer, folderID int64, uids []uint32) ([]storedIMAPMessage, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	base := "SELECT " + imapMessageColumns + " FROM messages WHERE folder_id = ? AND state = ?"
	if len(uids) > deleteBatch {
		// Many UIDs: read the folder and keep them, rather than bind
		// more parameters than an engine takes.
		all, err := s.queryIMAPMessages(ctx, q, base+" ORDER BY uid", folderID, MessageStored)
		if err != nil {
			return nil, err
		}
		want := make(map[uint32]bool, len(uids))
		for _, u := range uids {
			want[u] = true
		}
		return slices.DeleteFunc(all, func(m storedIMAPMessage) bool { return !want[m.UID] }), nil
	}
	args := []any{folderID, MessageStored}
	for _, u := range uids {
		args = append(args, int64(u))
	}
	return s.scanIMAPMessages(s.imapQueryIn(ctx, q, len(uids), base+" AND uid IN "+inList(len(uids))+" ORDER BY uid", args...))
}

// IMAPMessages lists a folder's messages by UID. With claimRecent, the
// messages still \Recent are returned with Recent true and stop being
// \Recent for everyone else (RFC 3501 2.3.2: one session sees it).
// Without it (EXAMINE), they are returned with Recent true and stay
// \Recent (RFC 3501 6.3.2).
func (s *Store) IMAPMessages(ctx context.Context, folderID int64, claimRecent bool) ([]IMAPMessage, error) {
	query := "SELECT " + imapMessageColumns + " FROM messages WHERE folder_id = ? AND state = ? ORDER BY uid"
	if _, err := s.Folder(ctx, folderID); err != nil {
		return nil, err
	}
	stored, err := s.queryIMAPMessages(ctx, s.db, query, folderID, MessageStored)
	if err == nil && claimRecent && slices.ContainsFunc(stored, func(m storedIMAPMessage) bool { return m.stored&FlagRecent != 0 }) {
		// Some are \Recent: read them again holding the folder's row
		// while their bits are cleared, so of two sessions claiming at
		// once the second waits and then finds them cleared; new messages
		// wait for the row too. (Without recent messages, as in most
		// refreshes, no write happens.)
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := s.lockFolder(ctx, tx, folderID); err != nil {
				return err
			}
			var err error
			if stored, err = s.queryIMAPMessages(ctx, tx, query, folderID, MessageStored); err != nil {
				return err
			}
			recent := false
			for i := range stored {
				if stored[i].stored&FlagRecent != 0 {
					stored[i].Recent, recent = true, true
				}
			}
			if !recent {
				return nil
			}
			_, err = s.exec(ctx, tx, fmt.Sprintf("UPDATE messages SET flags = flags - %d WHERE folder_id = ? AND state = ? AND (flags & %d) <> 0", FlagRecent, FlagRecent),
				folderID, MessageStored)
			return err
		})
	}
	if err == nil && !claimRecent {
		// A read-only view (EXAMINE) reports \Recent without taking it
		// (RFC 3501 6.3.2).
		for i := range stored {
			stored[i].Recent = stored[i].stored&FlagRecent != 0
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]IMAPMessage, len(stored))
	for i, m := range stored {
		out[i] = m.IMAPMessage
	}
	return out, nil
}

// FolderStatus counts a folder's messages.
func (s *Store) FolderStatus(ctx context.Context, folderID int64) (FolderStatus, error) {
	f, err := s.Folder(ctx, folderID)
	if err != nil {
		return FolderStatus{}, err
	}
	st := FolderStatus{UIDNext: f.UIDNext, UIDValidity: f.UIDValidity}
	err = s.queryRow(ctx, s.db, fmt.Sprintf(`SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN (flags & %d) <> 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN (flags & %d) = 0 THEN 1 ELSE 0 END), 0)
		FROM messages WHERE folder_id = ? AND state = ?`, FlagRecent, FlagSeen), folderID, MessageStored).
		Scan(&st.Messages, &st.Recent, &st.Unseen)
	return st, err
}

// FolderVersion changes whenever a folder's messages or flags change, on
// any node sharing the database. It is the folder's change_count, which
// every change but a new message moves on, plus its next UID, which every
// new message moves on (delivery from the queue included): both only grow,
// so their sum changes with either.
func (s *Store) FolderVersion(ctx context.Context, folderID int64) (int64, error) {
	var v int64
	err := s.imapQueryRow(ctx, s.db, folderVersionQuery, folderID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return v, err
}

// folderVersionQuery reads FolderVersion.
const folderVersionQuery = "SELECT change_count + uid_next FROM imap_folders WHERE id = ?"

// owner is the account whose folder f is; the zero Account for a public
// folder.
func (s *Store) folderOwner(ctx context.Context, f Folder) (Account, error) {
	if f.AccountID == 0 {
		return Account{}, nil
	}
	return s.Account(ctx, f.AccountID)
}

// newMessagePath is where a new message of owner (zero: public) goes.
func newMessagePath(owner Account) (string, error) {
	if owner.ID == 0 {
		return messagefile.PublicPath(messagefile.NewID())
	}
	return AccountMessagePath(owner.Address, messagefile.NewID())
}

// checkQuota returns ErrQuotaExceeded when adding bytes would take the
// account over its maximum size. With lock, the account's row is held
// first, so that two additions to different folders of one account cannot
// both pass on the same total.
func (s *Store) checkQuota(ctx context.Context, q queryer, accountID, adding int64, lock bool) error {
	if accountID == 0 {
		return nil // public folders have no quota
	}
	if lock {
		if _, err := s.exec(ctx, q, "UPDATE accounts SET max_size_mb = max_size_mb WHERE id = ?", accountID); err != nil {
			return err
		}
	}
	var maxMB int64
	err := s.queryRow(ctx, q, "SELECT max_size_mb FROM accounts WHERE id = ?", accountID).Scan(&maxMB)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil || maxMB == 0 {
		return err
	}
	var used sql.NullInt64
	if err := s.queryRow(ctx, q, "SELECT SUM(size) FROM messages WHERE account_id = ? AND state = ?", accountID, MessageStored).Scan(&used); err != nil {
		return err
	}
	if used.Int64+adding > maxMB<<20 {
		return ErrQuotaExceeded
	}
	return nil
}

// takeUIDs gives n new UIDs of the folder (holding its row) and moves its
// version on; it returns the first, the folder after the change and how
// the folder's version moved.
func (s *Store) takeUIDs(ctx context.Context, tx *sql.Tx, folderID int64, n int) (uint32, Folder, FolderChange, error) {
	res, err := s.execIfPrepared(ctx, tx, "UPDATE imap_folders SET uid_next = uid_next + ?, change_count = change_count + 1 WHERE id = ?", n, folderID)
	if err != nil {
		return 0, Folder{}, FolderChange{}, err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return 0, Folder{}, FolderChange{}, ErrNotFound
	}
	var f Folder
	var validity, next, changeCount int64
	err = s.imapQueryRow(ctx, tx, "SELECT "+folderColumns+", change_count FROM imap_folders WHERE id = ?", folderID).
		Scan(&f.ID, &f.AccountID, &f.ParentID, &f.Name, &f.Subscribed, &validity, &next, &changeCount)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Folder{}, FolderChange{}, ErrNotFound
	}
	if err != nil {
		return 0, Folder{}, FolderChange{}, err
	}
	// RFC 3501 2.3.1.1: UIDs are 32-bit.
	if next-1 > 1<<32-1 {
		return 0, Folder{}, FolderChange{}, fmt.Errorf("store: folder %d has used up its UIDs", folderID)
	}
	f.UIDValidity, f.UIDNext = uint32(validity), uint32(next)
	// The row is held since the UPDATE: the version moved by exactly the
	// UIDs taken and the one change.
	after := changeCount + next
	return uint32(next - int64(n)), f, FolderChange{From: after - int64(n) - 1, To: after}, nil
}

// insertIMAPMessage adds a message row to folder f; it is \Recent.
func (s *Store) insertIMAPMessage(ctx context.Context, tx *sql.Tx, f Folder, m IMAPMessage) (int64, error) {
	return s.insertIMAPMessageFlags(ctx, tx, f, m, m.Flags&userFlags|FlagRecent)
}

// imapMessageInsertColumns are the columns insertIMAPMessageFlags fills.
var imapMessageInsertColumns = []string{"account_id", "folder_id", "uid", "state", "path", "size", "flags", "keywords", "from_address", "internal_date", "created_at",
	"next_try_at", "try_count", "locked_by", "locked_until"}

// insertIMAPMessageFlags adds a message row to folder f with the stored
// flags given (FlagRecent included or not).
func (s *Store) insertIMAPMessageFlags(ctx context.Context, tx *sql.Tx, f Folder, m IMAPMessage, stored int) (int64, error) {
	return s.insertPrepared(ctx, tx, "messages", imapMessageInsertColumns,
		f.AccountID, f.ID, int64(m.UID), MessageStored, m.Path, m.Size, stored, joinKeywords(m.Keywords), "",
		m.InternalDate.Unix(), s.unix(), 0, 0, "", 0)
}

// AppendMessage stores data in a folder: the file is durable and the row
// committed before it returns. The new message is \Recent. It gives
// ErrQuotaExceeded when the folder's account would go over its size.
func (s *Store) AppendMessage(ctx context.Context, folderID int64, data []byte, flags int, keywords []string, internalDate time.Time) (IMAPMessage, Folder, error) {
	m, f, _, err := s.AppendMessageTracked(ctx, folderID, data, flags, keywords, internalDate, false)
	return m, f, err
}

// AppendMessageTracked is AppendMessage for a session that has the folder
// selected: it also says how the folder's version moved. With
// claimRecent (a read-write selection, RFC 3501 2.3.2) the message is
// \Recent for that session only, as if its next look at the folder had
// claimed it (IMAPMessages): it is stored without \Recent and returned
// with Recent true.
func (s *Store) AppendMessageTracked(ctx context.Context, folderID int64, data []byte, flags int, keywords []string, internalDate time.Time, claimRecent bool) (IMAPMessage, Folder, FolderChange, error) {
	keywords, err := normalizeKeywords(keywords)
	if err != nil {
		return IMAPMessage{}, Folder{}, FolderChange{}, err
	}
	f, err := s.Folder(ctx, folderID)
	if err != nil {
		return IMAPMessage{}, Folder{}, FolderChange{}, err
	}
	owner, err := s.folderOwner(ctx, f)
	if err != nil {
		return IMAPMessage{}, Folder{}, FolderChange{}, err
	}
	// Checked before writing too, so a message over quota costs no file.
	if err := s.checkQuota(ctx, s.db, owner.ID, int64(len(data)), false); err != nil {
		return IMAPMessage{}, Folder{}, FolderChange{}, err
	}
	rel, err := newMessagePath(owner)
	if err != nil {
		return IMAPMessage{}, Folder{}, FolderChange{}, err
	}
	size, err := s.files.Write(rel, bytes.NewReader(data))
	if err != nil {
		return IMAPMessage{}, Folder{}, FolderChange{}, err
	}
	if internalDate.IsZero() {
		internalDate = s.now()
	}
	m := IMAPMessage{Flags: flags & userFlags, Keywords: keywords, Size: size, InternalDate: time.Unix(internalDate.Unix(), 0), Path: rel}
	stored := m.Flags | FlagRecent
	if claimRecent {
		stored, m.Recent = m.Flags, true
	}
	var change FolderChange
	err = s.imapTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.checkQuota(ctx, tx, owner.ID, size, true); err != nil {
			return err
		}
		var err error
		if m.UID, f, change, err = s.takeUIDs(ctx, tx, folderID, 1); err != nil {
			return err
		}
		m.ID, err = s.insertIMAPMessageFlags(ctx, tx, f, m, stored)
		return err
	})
	if err != nil {
		_ = s.files.Remove(rel)
		return IMAPMessage{}, Folder{}, FolderChange{}, err
	}
	s.notifyFolders(folderID)
	return m, f, change, nil
}

// SetFlags changes the flags of the messages with these UIDs and returns
// their new state.
func (s *Store) SetFlags(ctx context.Context, folderID int64, uids []uint32, mode StoreFlagsMode, flags int, keywords []string) ([]IMAPMessage, error) {
	out, _, err := s.SetFlagsTracked(ctx, folderID, uids, mode, flags, keywords)
	return out, err
}

// SetFlagsTracked is SetFlags that also says how the folder's version
// moved, for the session that made the change.
func (s *Store) SetFlagsTracked(ctx context.Context, folderID int64, uids []uint32, mode StoreFlagsMode, flags int, keywords []string) ([]IMAPMessage, FolderChange, error) {
	keywords, err := normalizeKeywords(keywords)
	if err != nil {
		return nil, FolderChange{}, err
	}
	if mode != FlagsReplace && mode != FlagsAdd && mode != FlagsRemove {
		return nil, FolderChange{}, invalid("mode", "unknown flags mode %d", mode)
	}
	flags &= userFlags
	var out []IMAPMessage
	var change FolderChange
	changed := false
	err = s.imapTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out, changed = nil, false
		before, err := s.lockFolderVersion(ctx, tx, folderID)
		if err != nil {
			return err
		}
		change = FolderChange{From: before, To: before}
		msgs, err := s.messagesByUID(ctx, tx, folderID, uids)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			newFlags, newKeywords := applyFlags(m.stored, m.Keywords, mode, flags, keywords)
			if newFlags != m.stored || !slices.Equal(newKeywords, m.Keywords) {
				joined := joinKeywords(newKeywords)
				if len(joined) > maxKeywordsLen {
					return invalid("keywords", "a message's keywords take at most %d characters together", maxKeywordsLen)
				}
				if _, err := s.execIfPrepared(ctx, tx, "UPDATE messages SET flags = ?, keywords = ? WHERE id = ?", newFlags, joined, m.ID); err != nil {
					return err
				}
				changed = true
			}
			m.Flags, m.Keywords = newFlags&userFlags, newKeywords
			out = append(out, m.IMAPMessage)
		}
		if !changed {
			return nil
		}
		change.To++
		return s.touchFolder(ctx, tx, folderID)
	})
	if err != nil {
		return nil, FolderChange{}, err
	}
	if changed {
		s.notifyFolders(folderID)
	}
	return out, change, nil
}

// applyFlags computes a message's flags and keywords after a change;
// FlagRecent in stored stays as it is.
func applyFlags(stored int, current []string, mode StoreFlagsMode, flags int, keywords []string) (int, []string) {
	switch mode {
	case FlagsAdd:
		out := slices.Clone(current)
		for _, k := range keywords {
			if !containsFold(out, k) {
				out = append(out, k)
			}
		}
		return stored | flags, out
	case FlagsRemove:
		out := slices.DeleteFunc(slices.Clone(current), func(k string) bool { return containsFold(keywords, k) })
		return stored &^ flags, out
	}
	return stored&FlagRecent | flags, slices.Clone(keywords)
}

// copyMessageFile copies a message file to a new file, durably.
func (s *Store) copyMessageFile(from, to string) error {
	f, err := s.files.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = s.files.Write(to, f)
	return err
}

// copyFiles gives each message a copy of its file for owner's folders
// and returns the new paths; on an error it removes those made.
func (s *Store) copyFiles(msgs []storedIMAPMessage, owner Account) ([]string, error) {
	paths := make([]string, 0, len(msgs))
	for _, m := range msgs {
		rel, err := newMessagePath(owner)
		if err == nil {
			err = s.copyMessageFile(m.Path, rel)
		}
		if err != nil {
			s.removeQuietly(paths)
			return nil, fmt.Errorf("store: copy message %d: %w", m.ID, err)
		}
		paths = append(paths, rel)
	}
	return paths, nil
}

func (s *Store) removeQuietly(paths []string) {
	for _, p := range paths {
		_ = s.files.Remove(p)
	}
}

func totalSize(msgs []storedIMAPMessage) int64 {
	var n int64
	for _, m := range msgs {
		n += m.Size
	}
	return n
}

// CopyMessages copies messages to another folder, each with a new UID there
// (and a file of its own), and returns the source and new UIDs pairwise and
// the target folder. Quota is checked for the target's account.
func (s *Store) CopyMessages(ctx context.Context, srcFolderID int64, uids []uint32, dstFolderID int64) (src, dst []uint32, target Folder, err error) {
	if _, err := s.Folder(ctx, srcFolderID); err != nil {
		return nil, nil, Folder{}, err
	}
	if target, err = s.Folder(ctx, dstFolderID); err != nil {
		return nil, nil, Folder{}, err
	}
	owner, err := s.folderOwner(ctx, target)
	if err != nil {
		return nil, nil, Folder{}, err
	}
	msgs, err := s.messagesByUID(ctx, s.db, srcFolderID, uids)
	if err != nil || len(msgs) == 0 {
		return nil, nil, target, err
	}
	if err := s.checkQuota(ctx, s.db, owner.ID, totalSize(msgs), false); err != nil {
		return nil, nil, Folder{}, err
	}
	paths, err := s.copyFiles(msgs, owner)
	if err != nil {
		return nil, nil, Folder{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		src, dst = nil, nil
		if err := s.checkQuota(ctx, tx, owner.ID, totalSize(msgs), true); err != nil {
			return err
		}
		first, f, _, err := s.takeUIDs(ctx, tx, dstFolderID, len(msgs))
		if err != nil {
			return err
		}
		target = f
		for i, m := range msgs {
			c := m.IMAPMessage
			c.UID, c.Path = first+uint32(i), paths[i]
			if _, err := s.insertIMAPMessage(ctx, tx, f, c); err != nil {
				return err
			}
			src, dst = append(src, m.UID), append(dst, c.UID)
		}
		return nil
	})
	if err != nil {
		s.removeQuietly(paths)
		return nil, nil, Folder{}, err
	}
	s.notifyFolders(dstFolderID)
	return src, dst, target, nil
}

// MoveMessages moves messages to another folder (RFC 6851), like
// CopyMessages followed by an expunge of the sources, atomically.
//
// Within one account (or within the public folders) the rows move and the
// files stay. Between owners each message gets a file under its new
// owner, since the old owner's files go with the old owner's account; on
// ErrMessageFilesLeft (with the UIDs) the move happened but some of the
// old files could not be removed.
func (s *Store) MoveMessages(ctx context.Context, srcFolderID int64, uids []uint32, dstFolderID int64) (src, dst []uint32, target Folder, err error) {
	source, err := s.Folder(ctx, srcFolderID)
	if err != nil {
		return nil, nil, Folder{}, err
	}
	if target, err = s.Folder(ctx, dstFolderID); err != nil {
		return nil, nil, Folder{}, err
	}
	owner, err := s.folderOwner(ctx, target)
	if err != nil {
		return nil, nil, Folder{}, err
	}
	sameOwner := source.AccountID == target.AccountID
	newPaths := map[int64]string{} // message id → its copy, between owners
	var copies []string
	if !sameOwner {
		msgs, err := s.messagesByUID(ctx, s.db, srcFolderID, uids)
		if err != nil {
			return nil, nil, Folder{}, err
		}
		if err := s.checkQuota(ctx, s.db, owner.ID, totalSize(msgs), false); err != nil {
			return nil, nil, Folder{}, err
		}
		if copies, err = s.copyFiles(msgs, owner); err != nil {
			return nil, nil, Folder{}, err
		}
		for i, m := range msgs {
			newPaths[m.ID] = copies[i]
		}
	}
	var oldPaths []string
	err = s.tx(ctx, func(tx *sql.Tx) error {
		src, dst, oldPaths = nil, nil, nil
		msgs, err := s.lockAndReadForMove(ctx, tx, srcFolderID, dstFolderID, uids, owner.ID, sameOwner)
		if err != nil || len(msgs) == 0 {
			return err
		}
		first, f, _, err := s.takeUIDs(ctx, tx, dstFolderID, len(msgs))
		if err != nil {
			return err
		}
		target = f
		for i, m := range msgs {
			uid, path := first+uint32(i), m.Path
			if !sameOwner {
				if path = newPaths[m.ID]; path == "" {
					return fmt.Errorf("store: message %d appeared during a move", m.ID)
				}
				oldPaths = append(oldPaths, m.Path)
			}
			if _, err := s.exec(ctx, tx, "UPDATE messages SET account_id = ?, folder_id = ?, uid = ?, flags = ?, path = ? WHERE id = ?",
				f.AccountID, f.ID, int64(uid), m.stored|FlagRecent, path, m.ID); err != nil {
				return err
			}
			delete(newPaths, m.ID)
			src, dst = append(src, m.UID), append(dst, uid)
		}
		return s.touchFolder(ctx, tx, srcFolderID)
	})
	if err != nil {
		s.removeQuietly(copies)
		return nil, nil, Folder{}, err
	}
	// Copies of messages expunged meanwhile were not used.
	for _, p := range newPaths {
		_ = s.files.Remove(p)
	}
	s.notifyFolders(srcFolderID, dstFolderID)
	if len(src) == 0 {
		return nil, nil, target, nil
	}
	return src, dst, target, s.removeMessageFiles(oldPaths)
}

// lockAndReadForMove takes the rows a move needs, in the order that
// avoids deadlocks (account, then folders by id), checks the quota when
// the messages change owner, and reads the messages to move.
func (s *Store) lockAndReadForMove(ctx context.Context, tx *sql.Tx, srcFolderID, dstFolderID int64, uids []uint32, ownerID int64, sameOwner bool) ([]storedIMAPMessage, error) {
	if !sameOwner && ownerID != 0 {
		if _, err := s.exec(ctx, tx, "UPDATE accounts SET max_size_mb = max_size_mb WHERE id = ?", ownerID); err != nil {
			return nil, err
		}
	}
	ids := []int64{srcFolderID, dstFolderID}
	slices.Sort(ids)
	for i, id := range ids {
		if i > 0 && id == ids[i-1] {
			continue
		}
		if _, err := s.lockFolder(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	msgs, err := s.messagesByUID(ctx, tx, srcFolderID, uids)
	if err != nil || len(msgs) == 0 || sameOwner {
		return msgs, err
	}
	return msgs, s.checkQuota(ctx, tx, ownerID, totalSize(msgs), false)
}

// Expunge removes the folder's \Deleted messages (only those among uids
// when uids is not nil) and their files, and returns their UIDs. On
// ErrMessageFilesLeft (with the UIDs) the rows are deleted but some files
// could not be removed: the expunge happened.
func (s *Store) Expunge(ctx context.Context, folderID int64, uids []uint32) ([]uint32, error) {
	expunged, _, err := s.ExpungeTracked(ctx, folderID, uids)
	return expunged, err
}

// ExpungeTracked is Expunge that also says how the folder's version
// moved, for the session that made the change; the change is returned
// with ErrMessageFilesLeft too.
func (s *Store) ExpungeTracked(ctx context.Context, folderID int64, uids []uint32) ([]uint32, FolderChange, error) {
	var only map[uint32]bool
	if uids != nil {
		only = make(map[uint32]bool, len(uids))
		for _, u := range uids {
			only[u] = true
		}
	}
	var expunged []uint32
	var paths []string
	var change FolderChange
	err := s.imapTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		expunged, paths = nil, nil
		before, err := s.lockFolderVersion(ctx, tx, folderID)
		if err != nil {
			return err
		}
		change = FolderChange{From: before, To: before}
		deleted, err := s.queryIMAPMessages(ctx, tx, fmt.Sprintf("SELECT "+imapMessageColumns+" FROM messages WHERE folder_id = ? AND state = ? AND (flags & %d) <> 0 ORDER BY uid", FlagDeleted),
			folderID, MessageStored)
		if err != nil {
			return err
		}
		var ids []int64
		for _, m := range deleted {
			if only == nil || only[m.UID] {
				ids = append(ids, m.ID)
				expunged = append(expunged, m.UID)
				paths = append(paths, m.Path)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		for len(ids) > 0 {
			batch := ids[:min(len(ids), deleteBatch)]
			ids = ids[len(batch):]
			args := make([]any, 0, len(batch))
			for _, id := range batch {
				args = append(args, id)
			}
			if _, err := s.imapExecIn(ctx, tx, len(batch), "DELETE FROM messages WHERE id IN "+inList(len(batch)), args...); err != nil {
				return err
			}
		}
		change.To++
		return s.touchFolder(ctx, tx, folderID)
	})
	if err != nil {
		return nil, FolderChange{}, err
	}
	if len(expunged) == 0 {
		return nil, change, nil
	}
	s.notifyFolders(folderID)
	return expunged, change, s.removeMessageFiles(paths)
}

// ReadMessage reads a stored message's file.
func (s *Store) ReadMessage(path string) ([]byte, error) {
	f, err := s.files.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
