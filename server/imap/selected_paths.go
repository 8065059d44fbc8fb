package imap

import (
	"encoding/hex"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// The selected view keeps each message's file path in 16 bytes. A path
// the store makes (messagefile.AccountPath, PublicPath) is
// "<prefix><id[:2]>/<id>.eml", id 32 lowercase hexadecimal characters and
// the prefix the same for every message of an account ("domain/user/") or
// of the public folders ("public/"): the view keeps the prefix once and
// each message's id as 16 bytes. A path of another shape, or with another
// prefix, is kept whole in selected.otherPaths.

// fileIDLen is the length of a message file's id in hexadecimal.
const fileIDLen = 32

// fileID is a message file's id, decoded; the zero value when the path is
// in selected.otherPaths.
type fileID [fileIDLen / 2]byte

// newSelectedMessage is m's entry, without its path (appendMessage).
func newSelectedMessage(m *store.IMAPMessage) selectedMessage {
	return selectedMessage{uid: m.UID, flags: uint8(m.Flags &^ store.FlagRecent), keywords: m.Keywords,
		recent: m.Recent, size: m.Size, date: m.InternalDate.Unix()}
}

// appendMessage adds m at the end of the view and returns its entry (good
// until the next append).
func (sel *selected) appendMessage(m *store.IMAPMessage) *selectedMessage {
	sel.msgs = append(sel.msgs, newSelectedMessage(m))
	e := &sel.msgs[len(sel.msgs)-1]
	sel.setPath(e, m.Path)
	return e
}

// setPath records m's file path.
func (sel *selected) setPath(m *selectedMessage, path string) {
	prefix, id, ok := splitFilePath(path)
	if ok && !sel.prefixSet {
		sel.pathPrefix, sel.prefixSet = prefix, true
	}
	if ok && prefix == sel.pathPrefix {
		m.file, m.otherPath = id, false
		return
	}
	if sel.otherPaths == nil {
		sel.otherPaths = map[uint32]string{}
	}
	sel.otherPaths[m.uid] = path
	m.file, m.otherPath = fileID{}, true
}

// splitFilePath splits a path of the store's shape into its prefix and
// its file id; ok is false for a path of another shape.
func splitFilePath(path string) (prefix string, id fileID, ok bool) {
	const tail = 2 + 1 + fileIDLen + len(".eml") // "xx/<id>.eml"
	if len(path) < tail || !strings.HasSuffix(path, ".eml") {
		return "", id, false
	}
	prefix, rest := path[:len(path)-tail], path[len(path)-tail:]
	name := rest[3 : 3+fileIDLen]
	if rest[2] != '/' || rest[:2] != name[:2] || (prefix != "" && !strings.HasSuffix(prefix, "/")) {
		return "", id, false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", id, false
		}
	}
	if _, err := hex.Decode(id[:], []byte(name)); err != nil {
		return "", id, false
	}
	return prefix, id, true
}

// path is the message's file in the store.
func (sel *selected) path(m *selectedMessage) string {
	if m.otherPath {
		return sel.otherPaths[m.uid]
	}
	var name [fileIDLen]byte
	hex.Encode(name[:], m.file[:])
	var b strings.Builder
	b.Grow(len(sel.pathPrefix) + 2 + 1 + fileIDLen + len(".eml"))
	b.WriteString(sel.pathPrefix)
	b.Write(name[:2])
	b.WriteByte('/')
	b.Write(name[:])
	b.WriteString(".eml")
	return b.String()
}

// compactPaths forgets the whole paths of messages no longer in the view.
func (sel *selected) compactPaths() {
	if len(sel.otherPaths) == 0 {
		return
	}
	live := make(map[uint32]string, len(sel.otherPaths))
	for i := range sel.msgs {
		if m := &sel.msgs[i]; m.otherPath {
			live[m.uid] = sel.otherPaths[m.uid]
		}
	}
	if len(live) == 0 {
		live = nil
	}
	sel.otherPaths = live
}
