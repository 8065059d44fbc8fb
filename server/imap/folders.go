package imap

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/store"
)

// The folder commands of the authenticated state: CREATE, DELETE, RENAME,
// SUBSCRIBE, UNSUBSCRIBE, STATUS and APPEND (RFC 3501 6.3), with the
// rights of RFC 4314 4 on public folders.

// folderOpError answers a store error of a folder change: a broken rule
// (a bad name, a duplicate) is the store's own text under CANNOT.
func (s *session) folderOpError(tag, doing string, err error) {
	if v, ok := store.AsValidation(err); ok {
		s.tagged(tag, "NO", "CANNOT", v.Message)
		return
	}
	if errors.Is(err, store.ErrFolderHasChildren) {
		s.tagged(tag, "NO", "CANNOT", "Mailbox has children")
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		s.tagged(tag, "NO", "NONEXISTENT", replyNoSuchMailbox)
		return
	}
	s.serverError(tag, doing, err)
}

// namespaceTree is the folder tree a name lives in, and the account whose
// folders they are (0: public).
func (s *session) namespaceTree(ctx context.Context, n mailboxName) (*folderTree, int64, error) {
	personal, public, err := s.trees(ctx)
	if err != nil {
		return nil, 0, err
	}
	if n.public {
		return public, 0, nil
	}
	return personal, s.account.ID, nil
}

// publicRights are the account's rights on a public folder, or on the
// public root for id 0.
func (s *session) publicRights(ctx context.Context, id int64) (string, error) {
	return s.srv.store.FolderRights(ctx, id, s.account)
}

// makeParents finds or creates the levels above a new folder (RFC 3501
// 6.3.3: superior names are created as needed) and returns the parent's
// ID. In the public namespace, creating under a folder needs right k on it.
// A refusal has been answered.
func (s *session) makeParents(ctx context.Context, tag string, t *folderTree, accountID int64, parents []string) (int64, bool) {
	var parent int64
	for i, name := range parents {
		if f, ok := t.find(parents[:i+1], accountID != 0); ok {
			parent = f.ID
			continue
		}
		if !s.mayCreateUnder(ctx, tag, accountID, parent) {
			return 0, false
		}
		f, err := s.createFolder(ctx, accountID, parent, name)
		if err != nil {
			s.folderOpError(tag, "creating a parent folder", err)
			return 0, false
		}
		t.byID[f.ID] = f
		t.children[parent] = append(t.children[parent], f)
		parent = f.ID
	}
	return parent, true
}

// createFolder creates a folder. A new public folder inherits its
// parent's permissions (the store's rule); one at the top, which has no
// parent to inherit from, starts with its creator's full rights.
func (s *session) createFolder(ctx context.Context, accountID, parent int64, name string) (store.Folder, error) {
	f, err := s.srv.store.CreateFolder(ctx, accountID, parent, name)
	if err != nil || accountID != 0 || parent != 0 {
		return f, err
	}
	return f, s.srv.store.SetFolderACL(ctx, f.ID, s.account.Address, store.AllRights)
}

// mayCreateUnder checks right k on a public parent (RFC 4314 4: CREATE
// needs k on the parent). A refusal has been answered.
func (s *session) mayCreateUnder(ctx context.Context, tag string, accountID, parent int64) bool {
	if accountID != 0 {
		return true
	}
	rights, err := s.publicRights(ctx, parent)
	if err != nil {
		s.serverError(tag, "reading folder rights", err)
		return false
	}
	if !strings.Contains(rights, "k") {
		s.tagged(tag, "NO", "NOPERM", replyPermissionDenied)
		return false
	}
	return true
}

// validLevels refuses a name with an empty level ("a..b", a leading
// delimiter).
func validLevels(parts []string) bool {
	for _, p := range parts {
		if p == "" {
			return false
		}
	}
	return len(parts) > 0
}

// cmdCreate is CREATE (RFC 3501 6.3.3).
func (s *session) cmdCreate(ctx context.Context, c *Command) {
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	n := s.splitMailboxName(name)
	switch {
	case !n.public && len(n.parts) == 1 && n.parts[0] == "INBOX":
		s.tagged(c.Tag, "NO", "ALREADYEXISTS", "INBOX always exists")
		return
	case n.public && len(n.parts) == 0:
		s.tagged(c.Tag, "NO", "ALREADYEXISTS", "Mailbox already exists")
		return
	case !validLevels(n.parts):
		s.tagged(c.Tag, "NO", "CANNOT", "Invalid mailbox name")
		return
	}
	t, accountID, err := s.namespaceTree(ctx, n)
	if err != nil {
		s.serverError(c.Tag, "listing folders", err)
		return
	}
	if _, exists := t.find(n.parts, !n.public); exists {
		s.tagged(c.Tag, "NO", "ALREADYEXISTS", "Mailbox already exists")
		return
	}
	parent, ok := s.makeParents(ctx, c.Tag, t, accountID, n.parts[:len(n.parts)-1])
	if !ok {
		return
	}
	if !s.mayCreateUnder(ctx, c.Tag, accountID, parent) {
		return
	}
	if _, err := s.createFolder(ctx, accountID, parent, n.parts[len(n.parts)-1]); err != nil {
		s.folderOpError(c.Tag, "creating a folder", err)
		return
	}
	s.ok(ctx, c.Tag, "", "CREATE completed")
}

// cmdDelete is DELETE (RFC 3501 6.3.4). A folder with subfolders is
// refused rather than turned into a \Noselect level.
func (s *session) cmdDelete(ctx context.Context, c *Command) {
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	if n := s.splitMailboxName(name); !n.public && len(n.parts) == 1 && n.parts[0] == "INBOX" {
		s.tagged(c.Tag, "NO", "CANNOT", "INBOX cannot be deleted")
		return
	}
	f, rights, err := s.resolveMailbox(ctx, name)
	if err != nil {
		s.mailboxError(c.Tag, err)
		return
	}
	if !strings.Contains(rights, "x") {
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return
	}
	if err := s.committed(s.srv.store.DeleteFolder(ctx, f.ID)); err != nil {
		s.folderOpError(c.Tag, "deleting a folder", err)
		return
	}
	if s.sel != nil && s.sel.folder.ID == f.ID {
		// The session's own mailbox is gone: RFC 3501 has no state for
		// that, so the client is told and disconnected, and starts
		// afresh.
		s.closeSelected()
		s.tagged(c.Tag, "OK", "", "DELETE completed")
		s.untagged(replySelectedDeleted)
		s.closeAfter = true
		return
	}
	s.ok(ctx, c.Tag, "", "DELETE completed")
}

// cmdRename is RENAME (RFC 3501 6.3.5): subfolders go along; renaming
// INBOX moves its messages into a new folder and leaves INBOX empty.
func (s *session) cmdRename(ctx context.Context, c *Command) {
	from, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	to, ok := s.decodeMailbox(c.Tag, c.NewMailbox)
	if !ok {
		return
	}
	src, rights, err := s.resolveMailbox(ctx, from)
	if err != nil {
		s.mailboxError(c.Tag, err)
		return
	}
	if !strings.Contains(rights, "x") { // RFC 4314 4: x on the source
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return
	}
	srcName := s.splitMailboxName(from)
	dst := s.splitMailboxName(to)
	switch {
	case !dst.public && len(dst.parts) == 1 && dst.parts[0] == "INBOX":
		s.tagged(c.Tag, "NO", "ALREADYEXISTS", "INBOX always exists")
		return
	case dst.public && len(dst.parts) == 0:
		s.tagged(c.Tag, "NO", "ALREADYEXISTS", "Mailbox already exists")
		return
	case !validLevels(dst.parts):
		s.tagged(c.Tag, "NO", "CANNOT", "Invalid mailbox name")
		return
	case dst.public != srcName.public:
		s.tagged(c.Tag, "NO", "CANNOT", "Mailboxes cannot be moved between personal and public folders")
		return
	}
	isInbox := !srcName.public && src.ParentID == 0 && src.Name == "INBOX"
	t, accountID, err := s.namespaceTree(ctx, dst)
	if err != nil {
		s.serverError(c.Tag, "listing folders", err)
		return
	}
	if _, exists := t.find(dst.parts, !dst.public); exists {
		s.tagged(c.Tag, "NO", "ALREADYEXISTS", "Mailbox already exists")
		return
	}
	if !isInbox && isUnder(dst.parts, t.path(t.byID[src.ID])) {
		s.tagged(c.Tag, "NO", "CANNOT", "A mailbox cannot be moved into itself")
		return
	}
	parent, ok := s.makeParents(ctx, c.Tag, t, accountID, dst.parts[:len(dst.parts)-1])
	if !ok {
		return
	}
	if !s.mayCreateUnder(ctx, c.Tag, accountID, parent) {
		return
	}
	newName := dst.parts[len(dst.parts)-1]
	if isInbox {
		_, err = s.srv.store.RenameInbox(ctx, s.account.ID, parent, newName)
	} else {
		err = s.srv.store.RenameFolder(ctx, src.ID, parent, newName)
	}
	if err != nil {
		s.folderOpError(c.Tag, "renaming a folder", err)
		return
	}
	s.ok(ctx, c.Tag, "", "RENAME completed")
}

// isUnder says whether the name parts are below (or equal to) folder.
func isUnder(parts, folder []string) bool {
	if len(parts) < len(folder) {
		return false
	}
	for i := range folder {
		if parts[i] != folder[i] {
			return false
		}
	}
	return true
}

// cmdSubscribe is SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6, 6.3.7).
func (s *session) cmdSubscribe(ctx context.Context, c *Command) {
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	f, _, err := s.resolveMailbox(ctx, name)
	if err != nil {
		s.mailboxError(c.Tag, err)
		return
	}
	if err := s.srv.store.SetFolderSubscribed(ctx, f.ID, c.Name == "SUBSCRIBE"); err != nil {
		s.folderOpError(c.Tag, "changing a subscription", err)
		return
	}
	s.ok(ctx, c.Tag, "", c.Name+" completed")
}

// cmdStatus is STATUS (RFC 3501 6.3.10); the selected mailbox may be
// asked too. A public folder needs right r (RFC 4314 4).
func (s *session) cmdStatus(ctx context.Context, c *Command) {
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	f, rights, err := s.resolveMailbox(ctx, name)
	if err != nil {
		s.mailboxError(c.Tag, err)
		return
	}
	if !strings.Contains(rights, "r") {
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return
	}
	st, err := s.srv.store.FolderStatus(ctx, f.ID)
	if err != nil {
		s.serverError(c.Tag, "reading folder status", err)
		return
	}
	b := []byte("* STATUS ")
	b = appendString(b, []byte(EncodeMailboxName(canonicalInbox(name, s.delimiter()))))
	b = append(b, " ("...)
	for i, item := range c.StatusItems {
		var n uint64
		switch item {
		case "MESSAGES":
			n = uint64(st.Messages)
		case "RECENT":
			n = uint64(st.Recent)
		case "UIDNEXT":
			n = uint64(st.UIDNext)
		case "UIDVALIDITY":
			n = uint64(st.UIDValidity)
		case "UNSEEN":
			n = uint64(st.Unseen)
		default:
			s.tagged(c.Tag, "BAD", "", "Unknown STATUS item "+item)
			return
		}
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, item...)
		b = append(b, ' ')
		b = strconv.AppendUint(b, n, 10)
	}
	b = append(b, ")\r\n"...)
	s.writeRaw(b)
	s.ok(ctx, c.Tag, "", "STATUS completed")
}

// cmdAppend is APPEND (RFC 3501 6.3.11) with UIDPLUS's APPENDUID (RFC
// 4315). A public folder needs right i; flags the account may not set
// there are dropped (RFC 4314 4). The size limit was applied to the
// literal as it was read.
func (s *session) cmdAppend(ctx context.Context, c *Command) {
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	f, rights, err := s.resolveMailbox(ctx, name)
	if errors.Is(err, errNoSuchMailbox) {
		s.tagged(c.Tag, "NO", "TRYCREATE", replyNoSuchMailbox)
		return
	}
	if err != nil {
		s.serverError(c.Tag, "resolving a mailbox", err)
		return
	}
	if !strings.Contains(rights, "i") {
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return
	}
	bits, keywords, msg := parseStoreFlags(c.Flags)
	if msg != "" {
		s.tagged(c.Tag, "BAD", "", msg)
		return
	}
	bits, keywords = allowedFlags(bits, keywords, rights)
	date := c.Date
	if date.IsZero() {
		date = time.Now()
	}
	// Into the selected folder, the session takes the message into its
	// view (noteOwnAppend) and, selected read-write, claims its \Recent.
	intoSelected := s.sel != nil && s.sel.folder.ID == f.ID
	m, folder, change, err := s.srv.store.AppendMessageTracked(ctx, f.ID, c.Literal, bits, keywords, date, intoSelected && !s.sel.readOnly)
	if errors.Is(err, store.ErrQuotaExceeded) {
		s.tagged(c.Tag, "NO", "OVERQUOTA", "Quota exceeded")
		return
	}
	if err != nil {
		s.folderOpError(c.Tag, "appending a message", err)
		return
	}
	if intoSelected {
		s.noteOwnAppend(&m, change)
	}
	code := "APPENDUID " + strconv.FormatUint(uint64(folder.UIDValidity), 10) + " " + strconv.FormatUint(uint64(m.UID), 10)
	s.ok(ctx, c.Tag, code, "APPEND completed")
}

// flagRights are the rights that setting each system flag needs (RFC 4314
// 4): s for \Seen, t for \Deleted, w for the others and for keywords.
var flagRights = []struct {
	bit   int
	right string
}{
	{store.FlagSeen, "s"},
	{store.FlagDeleted, "t"},
	{store.FlagAnswered, "w"},
	{store.FlagFlagged, "w"},
	{store.FlagDraft, "w"},
}

// allowedFlags drops the flags the rights do not allow.
func allowedFlags(bits int, keywords []string, rights string) (int, []string) {
	for _, f := range flagRights {
		if !strings.Contains(rights, f.right) {
			bits &^= f.bit
		}
	}
	if !strings.Contains(rights, "w") {
		keywords = nil
	}
	return bits, keywords
}
