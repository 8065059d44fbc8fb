package imap

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// appendUIDSet appends UIDs in their order as a compact set ("1:3,7"): runs
// of consecutive ascending UIDs become ranges, so that the source and
// destination sets of COPYUID (RFC 4315 3) still pair up.
func appendUIDSet(dst []byte, uids []uint32) []byte {
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, uint64(uids[i]), 10)
		if j > i {
			dst = append(dst, ':')
			dst = strconv.AppendUint(dst, uint64(uids[j]), 10)
		}
		i = j + 1
	}
	return dst
}

// copyUIDCode is the COPYUID response code (RFC 4315 3).
func copyUIDCode(target store.Folder, src, dst []uint32) string {
	b := []byte("COPYUID ")
	b = strconv.AppendUint(b, uint64(target.UIDValidity), 10)
	b = append(b, ' ')
	b = appendUIDSet(b, src)
	b = append(b, ' ')
	b = appendUIDSet(b, dst)
	return string(b)
}

// copyTarget resolves COPY's and MOVE's destination and checks the right to
// insert into it (RFC 4314 4: i). It answers the command itself when it
// fails.
func (s *session) copyTarget(ctx context.Context, c *Command) (store.Folder, bool) {
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return store.Folder{}, false
	}
	target, rights, err := s.resolveMailbox(ctx, name)
	if errors.Is(err, errNoSuchMailbox) {
		// RFC 3501 6.4.7: the client may create it and try again.
		s.tagged(c.Tag, "NO", "TRYCREATE", replyNoSuchMailbox)
		return store.Folder{}, false
	}
	if err != nil {
		s.serverError(c.Tag, "resolving mailbox", err)
		return store.Folder{}, false
	}
	if !strings.ContainsRune(rights, 'i') {
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return store.Folder{}, false
	}
	return target, true
}

// commandUIDs resolves a command's set to the UIDs of messages still there.
// It answers the command itself (BAD) when the set is invalid; missing says
// whether some messages were expunged by others meanwhile.
func (s *session) commandUIDs(c *Command) (uids []uint32, missing, ok bool) {
	idx, err := s.sel.resolve(c.SeqSet, c.UID)
	if err != nil {
		s.tagged(c.Tag, "BAD", "", "Invalid sequence set")
		return nil, false, false
	}
	for _, i := range idx {
		if s.sel.msgs[i].expunged {
			missing = true
			continue
		}
		uids = append(uids, s.sel.msgs[i].uid)
	}
	return uids, missing, true
}

// cmdCopy is COPY and UID COPY (RFC 3501 6.4.7) with UIDPLUS's COPYUID.
func (s *session) cmdCopy(ctx context.Context, c *Command) {
	if !s.requireSelected(c) {
		return
	}
	uids, missing, ok := s.commandUIDs(c)
	if !ok {
		return
	}
	if missing && !c.UID {
		// RFC 2180 4.4.1: refuse rather than copy part of the set.
		s.writeUpdates(ctx, false)
		s.tagged(c.Tag, "NO", "", "Some of the messages no longer exist")
		return
	}
	target, ok := s.copyTarget(ctx, c)
	if !ok {
		return
	}
	if len(uids) == 0 {
		s.writeUpdates(ctx, true)
		s.tagged(c.Tag, "OK", "", "No messages copied")
		return
	}
	src, dst, target, err := s.srv.store.CopyMessages(ctx, s.sel.folder.ID, uids, target.ID)
	if errors.Is(err, store.ErrQuotaExceeded) {
		s.tagged(c.Tag, "NO", "OVERQUOTA", "Quota exceeded")
		return
	}
	if err != nil {
		s.serverError(c.Tag, "copying messages", err)
		return
	}
	s.writeUpdates(ctx, true)
	s.tagged(c.Tag, "OK", copyUIDCode(target, src, dst), "COPY completed")
}

// cmdMove is MOVE and UID MOVE (RFC 6851): COPYUID in an untagged OK, the
// EXPUNGEs, then the tagged OK.
func (s *session) cmdMove(ctx context.Context, c *Command) {
	if !s.requireSelected(c) {
		return
	}
	sel := s.sel
	uids, missing, ok := s.commandUIDs(c)
	if !ok {
		return
	}
	if sel.readOnly {
		s.tagged(c.Tag, "NO", "", "Mailbox is read-only")
		return
	}
	// RFC 6851 3.3 with RFC 4314: moving out deletes and expunges.
	if sel.publicFolder() && !sel.may("te") {
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return
	}
	if missing && !c.UID {
		s.writeUpdates(ctx, false)
		s.tagged(c.Tag, "NO", "", "Some of the messages no longer exist")
		return
	}
	target, ok := s.copyTarget(ctx, c)
	if !ok {
		return
	}
	if len(uids) == 0 {
		s.writeUpdates(ctx, true)
		s.tagged(c.Tag, "OK", "", "No messages moved")
		return
	}
	src, dst, target, err := s.srv.store.MoveMessages(ctx, sel.folder.ID, uids, target.ID)
	err = s.committed(err)
	if errors.Is(err, store.ErrQuotaExceeded) {
		s.tagged(c.Tag, "NO", "OVERQUOTA", "Quota exceeded")
		return
	}
	if err != nil {
		s.serverError(c.Tag, "moving messages", err)
		return
	}
	s.untagged("OK [" + copyUIDCode(target, src, dst) + "] Moved")
	sel.markExpunged(src)
	s.writeUpdates(ctx, true)
	s.tagged(c.Tag, "OK", "", "MOVE completed")
}

// cmdExpunge is EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (RFC 4315 2.1).
func (s *session) cmdExpunge(ctx context.Context, c *Command) {
	if !s.requireSelected(c) {
		return
	}
	sel := s.sel
	var uids []uint32
	if c.UID {
		var ok bool
		if uids, _, ok = s.commandUIDs(c); !ok {
			return
		}
	}
	if sel.readOnly {
		s.tagged(c.Tag, "NO", "", "Mailbox is read-only")
		return
	}
	if sel.publicFolder() && !sel.may("e") {
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return
	}
	if !c.UID || len(uids) > 0 {
		gone, change, err := s.srv.store.ExpungeTracked(ctx, sel.folder.ID, uids)
		if err = s.committed(err); err != nil {
			s.serverError(c.Tag, "expunging", err)
			return
		}
		sel.markExpunged(gone)
		sel.takeOwnChange(change)
	}
	s.writeUpdates(ctx, true)
	s.tagged(c.Tag, "OK", "", "EXPUNGE completed")
}

// committed turns the store's ErrMessageFilesLeft into success: the change
// is committed and only files of removed messages are left behind, which
// the client need not hear about; the log says which.
func (s *session) committed(err error) error {
	if errors.Is(err, store.ErrMessageFilesLeft) {
		s.srv.log.Warn("message files left behind", "session", s.id, "error", err)
		return nil
	}
	return err
}
