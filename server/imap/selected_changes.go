package imap

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/store"
)

// The session's own changes to the selected folder (STORE, FETCH's \Seen,
// EXPUNGE, APPEND into it) go into its view at once. When the change was
// the only one since the view was read, the view is as new as the folder
// and the folder's version after the change becomes the view's, so the
// watch that fires for the change does not make the session read every
// message again (refresh finds the version unchanged). When someone else
// changed the folder meanwhile, the next update re-reads it as before.

// takeOwnChange records that the session's own change, already applied to
// the view, moved the folder's version as c says.
func (sel *selected) takeOwnChange(c store.FolderChange) {
	if c.From == sel.version {
		sel.version = c.To
		return
	}
	sel.changed = true
}

// noteOwnAppend takes a message the session appended to its selected
// folder into the view and tells the client (EXISTS, RECENT, and FLAGS
// when it brings new keywords), as the update after another session's
// APPEND would. When others changed the folder meanwhile, the message
// comes with the re-read of the next update instead; it is \Recent for
// this session either way when m.Recent says so (the store claimed it for
// this session, AppendMessageTracked).
func (s *session) noteOwnAppend(m *store.IMAPMessage, c store.FolderChange) {
	sel := s.sel
	if c.From != sel.version || m.UID <= sel.maxUID() {
		sel.changed = true
		if m.Recent {
			sel.claimedRecent = append(sel.claimedRecent, m.UID)
		}
		return
	}
	sel.version = c.To
	if sel.noteKeywords(m.Keywords) {
		s.untagged("FLAGS " + string(appendFlagList(nil, sel.definedFlags())))
		s.untagged("OK [PERMANENTFLAGS " + string(appendFlagList(nil, sel.permanentFlags())) + "] Flags permitted")
	}
	added := sel.appendMessage(m)
	// Read-only, the store left the message \Recent for everyone, and a
	// read-only view shows \Recent as stored (RFC 3501 6.3.2).
	added.recent = true
	recent := 0
	for i := range sel.msgs {
		if sel.msgs[i].recent {
			recent++
		}
	}
	s.untagged(strconv.Itoa(len(sel.msgs)) + " EXISTS")
	s.untagged(strconv.Itoa(recent) + " RECENT")
}

// claimedRecentFor says whether the session claimed \Recent for the
// message with this UID when it appended it (noteOwnAppend).
func (sel *selected) claimedRecentFor(uid uint32) bool {
	for _, u := range sel.claimedRecent {
		if u == uid {
			return true
		}
	}
	return false
}

// reselect answers SELECT or EXAMINE of the mailbox already selected
// read-write from the session's view, when the folder has not changed
// since the view was last brought up to date; it says whether it did.
// The answer is the one a fresh read would give: the messages other
// sessions expunged meanwhile are gone without an EXPUNGE, and none is
// \Recent any more, since the view claimed every \Recent message of the
// folder when it read it (RFC 3501 2.3.2) and a new one would have moved
// the version. A read-only view is read afresh, as a read-write SELECT
// has \Recent messages to claim then.
func (s *session) reselect(ctx context.Context, c *Command, folder store.Folder, rights string) bool {
	sel := s.sel
	if sel == nil || sel.readOnly || sel.folder.ID != folder.ID {
		return false
	}
	st := s.srv.store
	if v, err := st.FolderVersion(ctx, folder.ID); err != nil || v != sel.version {
		return false
	}
	f, err := st.Folder(ctx, folder.ID)
	if err != nil {
		return false
	}
	sel.folder, sel.rights = f, rights
	// RFC 4314 4: without any right to change the mailbox, SELECT gives a
	// read-only selection.
	sel.readOnly = c.Name == "EXAMINE" || !strings.ContainsAny(rights, "swte")
	sel.changed, sel.versionChecked, sel.claimedRecent = false, time.Now(), nil
	sel.msgs = slices.DeleteFunc(sel.msgs, func(m selectedMessage) bool { return m.expunged })
	sel.compactPaths()
	sel.keywords = nil
	firstUnseen := 0
	for i := range sel.msgs {
		m := &sel.msgs[i]
		m.recent = false
		sel.noteKeywords(m.keywords)
		if firstUnseen == 0 && int(m.flags)&store.FlagSeen == 0 {
			firstUnseen = i + 1
		}
	}
	s.selectCompleted(c, 0, firstUnseen)
	return true
}
