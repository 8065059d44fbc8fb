package imap

import (
	"context"
	"errors"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// Mailbox names: the account's folder tree is the personal namespace (""),
// the public folders appear under the public folder name ("Public Folder
// Name", IMAPPublicFolderName, default "#Public") when the ACL extension is
// on, and both use the hierarchy delimiter of the "Hierarchy Delimiter"
// setting (IMAPHierarchyDelimiter). Names here are UTF-8; the commands
// decode and encode modified UTF-7 at the edges.

// delimiter is the hierarchy delimiter.
func (s *session) delimiter() string {
	if d := s.settings["IMAPHierarchyDelimiter"]; d != "" {
		return d
	}
	return "."
}

// publicPrefix is the name under which the public folders appear; "" when
// public folders are off (they come with the ACL extension).
func (s *session) publicPrefix() string {
	if !s.settings.Bool("IMAPACLEnabled") {
		return ""
	}
	if p := s.settings["IMAPPublicFolderName"]; p != "" {
		return p
	}
	return "#Public"
}

// folderTree is one namespace's folders (an account's, or the public ones)
// indexed for walking names.
type folderTree struct {
	byID     map[int64]store.Folder
	children map[int64][]store.Folder // by parent ID, in name order
	order    []store.Folder           // depth first, siblings in name order
}

func newFolderTree(folders []store.Folder) *folderTree {
	t := &folderTree{byID: map[int64]store.Folder{}, children: map[int64][]store.Folder{}}
	for _, f := range folders {
		t.byID[f.ID] = f
	}
	for _, f := range folders {
		parent := f.ParentID
		if _, ok := t.byID[parent]; !ok {
			parent = 0 // an orphan shows at the top rather than nowhere
		}
		t.children[parent] = append(t.children[parent], f)
	}
	for _, c := range t.children {
		sortFolders(c)
	}
	var walk func(parent int64)
	walk = func(parent int64) {
		for _, f := range t.children[parent] {
			t.order = append(t.order, f)
			walk(f.ID)
		}
	}
	walk(0)
	return t
}

// sortFolders puts INBOX first, then the rest by name.
func sortFolders(fs []store.Folder) {
	less := func(a, b store.Folder) bool {
		ai, bi := a.ParentID == 0 && a.Name == "INBOX", b.ParentID == 0 && b.Name == "INBOX"
		if ai != bi {
			return ai
		}
		return a.Name < b.Name
	}
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && less(fs[j], fs[j-1]); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// path is a folder's names from the top.
func (t *folderTree) path(f store.Folder) []string {
	var parts []string
	for i := 0; i < 1000; i++ { // a cycle in the data must not hang a session
		parts = append(parts, f.Name)
		p, ok := t.byID[f.ParentID]
		if f.ParentID == 0 || !ok {
			break
		}
		f = p
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return parts
}

// find walks names from the top; inbox says the first level's INBOX is
// matched without regard to case (RFC 3501 5.1).
func (t *folderTree) find(parts []string, inbox bool) (store.Folder, bool) {
	var parent int64
	var found store.Folder
	for i, name := range parts {
		ok := false
		for _, c := range t.children[parent] {
			if c.Name == name || (inbox && i == 0 && strings.EqualFold(name, "INBOX") && c.Name == "INBOX") {
				found, ok = c, true
				break
			}
		}
		if !ok {
			return store.Folder{}, false
		}
		parent = found.ID
	}
	return found, len(parts) > 0
}

// hasChildren says whether f has subfolders that pass visible.
func (t *folderTree) hasChildren(f store.Folder, visible func(store.Folder) bool) bool {
	for _, c := range t.children[f.ID] {
		if visible == nil || visible(c) {
			return true
		}
	}
	return false
}

// mailboxName is a client's mailbox name split into its namespace and
// levels.
type mailboxName struct {
	public bool     // under the public folder name
	parts  []string // the levels below the namespace's root; empty: the public root
}

// splitMailboxName splits a UTF-8 name. A trailing delimiter is dropped
// (RFC 3501 6.3.3 lets CREATE have one).
func (s *session) splitMailboxName(name string) mailboxName {
	d := s.delimiter()
	name = strings.TrimSuffix(name, d)
	if p := s.publicPrefix(); p != "" {
		if name == p {
			return mailboxName{public: true}
		}
		if strings.HasPrefix(name, p+d) {
			return mailboxName{public: true, parts: strings.Split(name[len(p)+len(d):], d)}
		}
	}
	if name == "" {
		return mailboxName{}
	}
	parts := strings.Split(name, d)
	if strings.EqualFold(parts[0], "INBOX") {
		parts[0] = "INBOX"
	}
	return mailboxName{parts: parts}
}

// trees loads the account's folders and, when public folders are on, the
// public ones (nil otherwise).
func (s *session) trees(ctx context.Context) (personal, public *folderTree, err error) {
	folders, err := s.srv.store.Folders(ctx, s.account.ID)
	if err != nil {
		return nil, nil, err
	}
	personal = newFolderTree(folders)
	if s.publicPrefix() != "" {
		folders, err := s.srv.store.Folders(ctx, 0)
		if err != nil {
			return nil, nil, err
		}
		public = newFolderTree(folders)
	}
	return personal, public, nil
}

// resolveMailbox finds the folder a client's name (UTF-8, already decoded
// from modified UTF-7) stands for and the account's rights on it. A public
// folder the account may not even look up (no right l, RFC 4314 4) is no
// mailbox; nor is the public root, which only holds the public folders.
func (s *session) resolveMailbox(ctx context.Context, name string) (store.Folder, string, error) {
	n := s.splitMailboxName(name)
	if len(n.parts) == 0 {
		return store.Folder{}, "", errNoSuchMailbox
	}
	if !n.public {
		personal, err := s.srv.store.Folders(ctx, s.account.ID)
		if err != nil {
			return store.Folder{}, "", err
		}
		f, ok := newFolderTree(personal).find(n.parts, true)
		if !ok {
			return store.Folder{}, "", errNoSuchMailbox
		}
		return f, store.AllRights, nil
	}
	public, err := s.srv.store.Folders(ctx, 0)
	if err != nil {
		return store.Folder{}, "", err
	}
	f, ok := newFolderTree(public).find(n.parts, false)
	if !ok {
		return store.Folder{}, "", errNoSuchMailbox
	}
	rights, err := s.srv.store.FolderRights(ctx, f.ID, s.account)
	if err != nil {
		return store.Folder{}, "", err
	}
	if !strings.Contains(rights, "l") {
		return store.Folder{}, "", errNoSuchMailbox
	}
	return f, rights, nil
}

// folderName is a folder's full client-visible UTF-8 name: its levels
// joined with the delimiter, under the public folder name for a public
// folder.
func (s *session) folderName(ctx context.Context, f store.Folder) (string, error) {
	folders, err := s.srv.store.Folders(ctx, f.AccountID)
	if err != nil {
		return "", err
	}
	t := newFolderTree(folders)
	if _, ok := t.byID[f.ID]; !ok {
		return "", errNoSuchMailbox
	}
	name := strings.Join(t.path(t.byID[f.ID]), s.delimiter())
	if f.AccountID == 0 {
		name = s.publicPrefix() + s.delimiter() + name
	}
	return name, nil
}

// decodeMailbox decodes a mailbox argument from modified UTF-7; a bad
// encoding has been answered with BAD.
func (s *session) decodeMailbox(tag, raw string) (string, bool) {
	name, err := DecodeMailboxName(raw)
	if err != nil {
		s.tagged(tag, "BAD", "", "Invalid mailbox name encoding")
		return "", false
	}
	return name, true
}

// mailboxError answers a failed lookup: errNoSuchMailbox as NONEXISTENT,
// anything else as a server failure.
func (s *session) mailboxError(tag string, err error) {
	if errors.Is(err, errNoSuchMailbox) {
		s.tagged(tag, "NO", "NONEXISTENT", replyNoSuchMailbox)
		return
	}
	s.serverError(tag, "resolving a mailbox", err)
}
