package imap

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/store"
)

// versionCheckInterval is how often an otherwise quiet session asks the
// store whether its folder changed on another node (FolderVersion).
const versionCheckInterval = 3 * time.Second

// selected is the SELECTED state of RFC 3501 3.3: the folder, the session's
// view of its messages (index i is sequence number i+1), and what the client
// has not been told yet.
type selected struct {
	folder   store.Folder
	rights   string
	readOnly bool
	msgs     []selectedMessage
	keywords []string // keywords announced in FLAGS

	// The messages' file paths (selected_paths.go): the prefix they
	// share, and the paths of another shape or prefix by UID.
	pathPrefix string
	prefixSet  bool
	otherPaths map[uint32]string

	watch          <-chan struct{}
	stopWatch      func()
	changed        bool // the watch channel fired and no re-read followed yet
	version        int64
	versionChecked time.Time
	// claimedRecent are the UIDs of messages this session appended and
	// claimed \Recent for that the view does not hold yet
	// (noteOwnAppend).
	claimedRecent []uint32
	// idle is the view in its compact form while the session is in IDLE
	// (idle_view.go); msgs is nil then.
	idle *idleView
}

// selectedMessage is one message as the session last told the client. It
// is kept small, as a session holds one for every message of its folder for
// as long as it stays selected (in IDLE, the compact idleView instead,
// idle_view.go): the internal date is in Unix seconds, the flags (at most
// store.FlagRecent) in a byte and the file's path is its 16-byte id
// (selected_paths.go): 64 bytes a message.
type selectedMessage struct {
	uid       uint32
	flags     uint8 // store.Flag*, without FlagRecent
	recent    bool  // \Recent for this session
	otherPath bool  // the path is in selected.otherPaths, not file
	// expunged is set when another session expunged the message while
	// the client may not be told (RFC 3501 7.4.1: not during FETCH, STORE
	// and SEARCH); the message keeps its sequence number until then.
	expunged bool
	keywords []string
	size     int64
	date     int64 // internal date, Unix seconds (the store keeps seconds)
	file     fileID
}

// internalDate is the message's INTERNALDATE.
func (m *selectedMessage) internalDate() time.Time { return time.Unix(m.date, 0) }

// flagBits are the stored system flags and their IMAP names, in the
// order FLAGS lists them.
var flagBits = []struct {
	bit  int
	name string
}{
	{store.FlagAnswered, `\Answered`},
	{store.FlagFlagged, `\Flagged`},
	{store.FlagDeleted, `\Deleted`},
	{store.FlagSeen, `\Seen`},
	{store.FlagDraft, `\Draft`},
}

// flagNames are a message's flags as IMAP names, \Recent included when it
// is recent for this session.
func (m *selectedMessage) flagNames() []string {
	var out []string
	for _, f := range flagBits {
		if int(m.flags)&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	if m.recent {
		out = append(out, `\Recent`)
	}
	return append(out, m.keywords...)
}

// appendFlagList appends "(a b c)".
func appendFlagList(dst []byte, flags []string) []byte {
	dst = append(dst, '(')
	for i, f := range flags {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, f...)
	}
	return append(dst, ')')
}

// sameFlags says whether the stored state of a message equals what the
// client was told.
func sameFlags(m *selectedMessage, flags int, keywords []string) bool {
	if int(m.flags) != flags&^store.FlagRecent || len(m.keywords) != len(keywords) {
		return false
	}
	for _, k := range keywords {
		if !containsFold(m.keywords, k) {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// noteKeywords adds keywords the client has not seen in FLAGS yet and says
// whether there were any.
func (sel *selected) noteKeywords(keywords []string) bool {
	added := false
	for _, k := range keywords {
		if !containsFold(sel.keywords, k) {
			sel.keywords = append(sel.keywords, k)
			added = true
		}
	}
	return added
}

// maxUID is the largest UID the client knows.
func (sel *selected) maxUID() uint32 {
	if len(sel.msgs) == 0 {
		return 0
	}
	return sel.msgs[len(sel.msgs)-1].uid
}

// errBadSeqSet is a sequence set naming messages that do not exist.
var errBadSeqSet = errors.New("invalid sequence set")

// resolve turns a sequence set (or a UID set when uid) into indexes of
// sel.msgs, ascending. Sequence numbers beyond the mailbox are an error
// (RFC 3501 9: seq-number); UIDs that do not exist are left out.
func (sel *selected) resolve(set SeqSet, uid bool) ([]int, error) {
	n := uint32(len(sel.msgs))
	var out []int
	if uid {
		max := sel.maxUID()
		if max == 0 {
			return nil, nil
		}
		for i := range sel.msgs {
			if set.Contains(sel.msgs[i].uid, max) {
				out = append(out, i)
			}
		}
		return out, nil
	}
	for _, r := range set {
		if (r.Start == 0 || r.Stop == 0) && n == 0 || r.Start > n || r.Stop > n {
			return nil, errBadSeqSet
		}
	}
	for i := range sel.msgs {
		if set.Contains(uint32(i+1), n) {
			out = append(out, i)
		}
	}
	return out, nil
}

// publicFolder says whether the selected folder is a public folder, where
// the rights of RFC 4314 apply.
func (sel *selected) publicFolder() bool { return sel.folder.AccountID == 0 }

// may says whether the account has all these rights on the selected folder.
func (sel *selected) may(rights string) bool {
	for _, r := range rights {
		if !strings.ContainsRune(sel.rights, r) {
			return false
		}
	}
	return true
}

// cmdSelect is SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2).
func (s *session) cmdSelect(ctx context.Context, c *Command) {
	// RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected.
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		s.closeSelected()
		return
	}
	folder, rights, err := s.resolveMailbox(ctx, name)
	if err != nil {
		s.closeSelected()
		s.mailboxError(c.Tag, err)
		return
	}
	if !strings.ContainsRune(rights, 'r') {
		s.closeSelected()
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return
	}
	if s.reselect(ctx, c, folder, rights) {
		return
	}
	s.closeSelected()
	sel := &selected{folder: folder, rights: rights, readOnly: c.Name == "EXAMINE"}
	// RFC 4314 4: without any right to change the mailbox, SELECT gives a
	// read-only selection.
	if !strings.ContainsAny(rights, "swte") {
		sel.readOnly = true
	}
	st := s.srv.store
	// Watch before reading, so no change between the two is missed.
	sel.watch, sel.stopWatch = st.WatchFolder(folder.ID)
	ok = false
	defer func() {
		if !ok {
			sel.stopWatch()
		}
	}()
	if sel.version, err = st.FolderVersion(ctx, folder.ID); err != nil {
		s.serverError(c.Tag, "reading folder version", err)
		return
	}
	sel.versionChecked = time.Now()
	msgs, err := st.IMAPMessages(ctx, folder.ID, !sel.readOnly)
	if err != nil {
		s.serverError(c.Tag, "listing messages", err)
		return
	}
	// The folder again, for a UIDNEXT that covers every message listed.
	if f, err := st.Folder(ctx, folder.ID); err == nil {
		sel.folder = f
	}
	sel.msgs = make([]selectedMessage, 0, len(msgs))
	recent, firstUnseen := 0, 0
	for i, m := range msgs {
		sel.appendMessage(&msgs[i])
		sel.noteKeywords(m.Keywords)
		if m.Recent {
			recent++
		}
		if firstUnseen == 0 && m.Flags&store.FlagSeen == 0 {
			firstUnseen = i + 1
		}
	}
	ok = true
	s.sel = sel
	s.state = stateSelected
	s.selectCompleted(c, recent, firstUnseen)
}

// selectCompleted sends SELECT's and EXAMINE's responses for the view
// now selected (RFC 3501 6.3.1): recent messages and the first unseen one
// (0: none) as counted from the view.
func (s *session) selectCompleted(c *Command, recent, firstUnseen int) {
	sel := s.sel
	uidNext := max(sel.folder.UIDNext, sel.maxUID()+1)
	s.untagged("FLAGS " + string(appendFlagList(nil, sel.definedFlags())))
	s.untagged("OK [PERMANENTFLAGS " + string(appendFlagList(nil, sel.permanentFlags())) + "] Flags permitted")
	s.untagged(strconv.Itoa(len(sel.msgs)) + " EXISTS")
	s.untagged(strconv.Itoa(recent) + " RECENT")
	if firstUnseen > 0 {
		s.untagged("OK [UNSEEN " + strconv.Itoa(firstUnseen) + "] First unseen message")
	}
	s.untagged("OK [UIDVALIDITY " + strconv.FormatUint(uint64(sel.folder.UIDValidity), 10) + "] UIDs valid")
	s.untagged("OK [UIDNEXT " + strconv.FormatUint(uint64(uidNext), 10) + "] Predicted next UID")
	if sel.readOnly {
		s.tagged(c.Tag, "OK", "READ-ONLY", c.Name+" completed")
	} else {
		s.tagged(c.Tag, "OK", "READ-WRITE", c.Name+" completed")
	}
}

// definedFlags is the FLAGS response: the system flags and the keywords in
// use.
func (sel *selected) definedFlags() []string {
	out := make([]string, 0, len(flagBits)+len(sel.keywords))
	for _, f := range flagBits {
		out = append(out, f.name)
	}
	return append(out, sel.keywords...)
}

// permanentFlags are the flags the client may change (RFC 3501 7.1): none
// when read-only; on a public folder, those its rights allow (RFC 4314 4).
func (sel *selected) permanentFlags() []string {
	if sel.readOnly {
		return nil
	}
	var out []string
	for _, f := range flagBits {
		if sel.may(rightForFlag(f.bit)) {
			out = append(out, f.name)
		}
	}
	if sel.may("w") {
		out = append(out, sel.keywords...)
		out = append(out, `\*`)
	}
	return out
}

// rightForFlag is the RFC 4314 right that changing a flag needs: s for
// \Seen, t for \Deleted, w for the others and keywords (bit 0).
func rightForFlag(bit int) string {
	switch bit {
	case store.FlagSeen:
		return "s"
	case store.FlagDeleted:
		return "t"
	}
	return "w"
}

// cmdUnselect is UNSELECT (RFC 3691): no expunge.
func (s *session) cmdUnselect(ctx context.Context, c *Command) {
	if s.sel == nil {
		s.tagged(c.Tag, "BAD", "", "No mailbox selected")
		return
	}
	s.closeSelected()
	s.tagged(c.Tag, "OK", "", "UNSELECT completed")
}

// cmdClose is CLOSE (RFC 3501 6.4.2): the \Deleted messages go silently
// when the mailbox is read-write.
func (s *session) cmdClose(ctx context.Context, c *Command) {
	if s.sel == nil {
		s.tagged(c.Tag, "BAD", "", "No mailbox selected")
		return
	}
	sel := s.sel
	if !sel.readOnly && (!sel.publicFolder() || sel.may("e")) {
		if _, err := s.srv.store.Expunge(ctx, sel.folder.ID, nil); s.committed(err) != nil {
			s.closeSelected()
			s.serverError(c.Tag, "expunging on CLOSE", err)
			return
		}
	}
	s.closeSelected()
	s.tagged(c.Tag, "OK", "", "CLOSE completed")
}

// cmdCheck is CHECK (RFC 3501 6.4.1): every change is durable already, so
// it is a NOOP.
func (s *session) cmdCheck(ctx context.Context, c *Command) {
	if s.sel == nil {
		s.tagged(c.Tag, "BAD", "", "No mailbox selected")
		return
	}
	s.writeUpdates(ctx, true)
	s.tagged(c.Tag, "OK", "", "CHECK completed")
}

// closeSelected stops watching the selected folder and forgets it.
func (s *session) closeSelected() {
	if s.sel == nil {
		return
	}
	s.sel.stopWatch()
	s.sel = nil
	if s.state == stateSelected {
		s.state = stateAuthenticated
	}
}

// writeUpdates tells the client what changed in the selected folder since
// it was last told (RFC 3501 5.2, 7.4.1): EXPUNGE (only when allowExpunge;
// otherwise they wait), EXISTS and RECENT for new messages, FETCH FLAGS for
// flags changed by others. The folder is re-read when its watch fired, or
// when FolderVersion changed (asked at most every versionCheckInterval).
func (s *session) writeUpdates(ctx context.Context, allowExpunge bool) {
	sel := s.sel
	if sel == nil {
		return
	}
	select {
	case <-sel.watch:
		sel.changed = true
	default:
	}
	st := s.srv.store
	if !sel.changed && time.Since(sel.versionChecked) >= versionCheckInterval {
		v, err := st.FolderVersion(ctx, sel.folder.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.srv.log.Warn("reading folder version", "session", s.id, "error", err)
		}
		sel.versionChecked = time.Now()
		if errors.Is(err, store.ErrNotFound) || (err == nil && v != sel.version) {
			sel.changed = true
		}
	}
	if sel.changed {
		err := s.refresh(ctx)
		if errors.Is(err, store.ErrNotFound) {
			// Another session or the administrator deleted the folder:
			// RFC 3501 has no state for a selected mailbox that is gone, so
			// the client is told and disconnected after this command.
			s.closeSelected()
			s.untagged(replySelectedDeleted)
			s.closeAfter = true
			return
		}
		if err != nil {
			s.srv.log.Warn("re-reading the selected folder", "session", s.id, "error", err)
		}
	}
	if allowExpunge {
		s.reportExpunged()
	}
}

// refresh re-reads the folder and reports new messages and changed flags;
// messages gone are marked expunged for reportExpunged.
func (s *session) refresh(ctx context.Context) error {
	sel := s.sel
	st := s.srv.store
	v, err := st.FolderVersion(ctx, sel.folder.ID)
	if err != nil {
		return err
	}
	if v == sel.version {
		// The watch fired for the session's own change, which the view
		// holds already (takeOwnChange), or for nothing that moved the
		// version: there is nothing to read.
		sel.versionChecked, sel.changed = time.Now(), false
		return nil
	}
	// In IDLE, the compact view is what the client was told: the full one
	// is rebuilt from it to compare with the folder.
	if err := s.expandIdleView(ctx); err != nil {
		return err
	}
	msgs, err := st.IMAPMessages(ctx, sel.folder.ID, !sel.readOnly)
	if err != nil {
		return err
	}
	sel.version, sel.versionChecked, sel.changed = v, time.Now(), false

	byUID := make(map[uint32]*store.IMAPMessage, len(msgs))
	for i := range msgs {
		byUID[msgs[i].UID] = &msgs[i]
	}
	var kw []string
	for i := range msgs {
		kw = append(kw, msgs[i].Keywords...)
	}
	if sel.noteKeywords(kw) {
		s.untagged("FLAGS " + string(appendFlagList(nil, sel.definedFlags())))
		s.untagged("OK [PERMANENTFLAGS " + string(appendFlagList(nil, sel.permanentFlags())) + "] Flags permitted")
	}
	var line []byte
	for i := range sel.msgs {
		m := &sel.msgs[i]
		if m.expunged {
			continue
		}
		now, ok := byUID[m.uid]
		if !ok {
			m.expunged = true
			continue
		}
		if !sameFlags(m, now.Flags, now.Keywords) {
			m.flags, m.keywords = uint8(now.Flags&^store.FlagRecent), now.Keywords
			line = append(line[:0], "* "...)
			line = strconv.AppendInt(line, int64(i+1), 10)
			line = append(line, " FETCH ("...)
			line = append(line, "FLAGS "...)
			line = appendFlagList(line, m.flagNames())
			line = append(line, ")\r\n"...)
			s.writeRaw(line)
		}
	}
	maxUID := sel.maxUID()
	added := false
	for i := range msgs {
		if msgs[i].UID > maxUID {
			m := &msgs[i]
			e := sel.appendMessage(m)
			if sel.claimedRecentFor(m.UID) {
				e.recent = true
			}
			added = true
		}
	}
	sel.claimedRecent = nil
	if added {
		recent := 0
		for i := range sel.msgs {
			if sel.msgs[i].recent {
				recent++
			}
		}
		s.untagged(strconv.Itoa(len(sel.msgs)) + " EXISTS")
		s.untagged(strconv.Itoa(recent) + " RECENT")
	}
	return nil
}

// reportExpunged sends "* n EXPUNGE" for the messages marked expunged,
// from the highest sequence number down, so that each number is still
// right after the ones before it, and drops them from the view.
func (s *session) reportExpunged() {
	sel := s.sel
	found := false
	for i := len(sel.msgs) - 1; i >= 0; i-- {
		if sel.msgs[i].expunged {
			s.untagged(strconv.Itoa(i+1) + " EXPUNGE")
			found = true
		}
	}
	if found {
		sel.msgs = slices.DeleteFunc(sel.msgs, func(m selectedMessage) bool { return m.expunged })
		sel.compactPaths()
	}
}

// markExpunged marks the messages with these UIDs expunged.
func (sel *selected) markExpunged(uids []uint32) {
	gone := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		gone[u] = true
	}
	for i := range sel.msgs {
		if gone[sel.msgs[i].uid] {
			sel.msgs[i].expunged = true
		}
	}
}

// requireSelected refuses a command outside the SELECTED state.
func (s *session) requireSelected(c *Command) bool {
	if s.sel == nil {
		s.tagged(c.Tag, "BAD", "", "No mailbox selected")
		return false
	}
	return true
}
