package imap

import (
	"context"
	"errors"

	"github.com/mailwright/mailwright/store"
)

// While a session is in IDLE with a mailbox selected, it only reports
// changes: EXISTS and RECENT, EXPUNGE by sequence number, FETCH FLAGS. So
// the view takes a compact form then (idleView: UIDs, flags, the session's
// \Recent marks and the keywords of the messages that have any), and the
// full one (selectedMessage, with size, internal date and path) is rebuilt
// from the store when a change has to be applied or IDLE ends
// (expandIdleView). The compact form is what the client was told; the
// store's rows only add what the client is not told while idle.

// idleView is the selected view in its compact form: flags[i] and the
// i-th UID are sequence number i+1's, as selected.msgs[i] is.
type idleView struct {
	uids     []uidRun            // ascending; one run for a folder without gaps
	flags    []uint8             // store.Flag*, without FlagRecent
	recent   []uint32            // the UIDs \Recent for this session, ascending
	keywords map[uint32][]string // the keywords of the messages that have any; nil when none
}

// uidRun is a run of consecutive UIDs, first to first+n-1. A folder's UIDs
// have few gaps (the messages expunged), so runs keep them in a few bytes;
// in the worst case, every other UID gone, in 8 bytes a message.
type uidRun struct{ first, n uint32 }

// appendUID adds uid, larger than every UID in runs, to runs.
func appendUID(runs []uidRun, uid uint32) []uidRun {
	if k := len(runs) - 1; k >= 0 && runs[k].first+runs[k].n == uid {
		runs[k].n++
		return runs
	}
	return append(runs, uidRun{uid, 1})
}

// shrinkForIdle puts the view in its compact form, and frees the full one.
// A view that holds messages expunged but not reported yet stays full.
func (sel *selected) shrinkForIdle() {
	if sel.idle != nil {
		return
	}
	var v idleView
	v.flags = make([]uint8, len(sel.msgs))
	for i := range sel.msgs {
		m := &sel.msgs[i]
		if m.expunged {
			return
		}
		v.uids, v.flags[i] = appendUID(v.uids, m.uid), m.flags
		if m.recent {
			v.recent = append(v.recent, m.uid)
		}
		if len(m.keywords) > 0 {
			if v.keywords == nil {
				v.keywords = map[uint32][]string{}
			}
			v.keywords[m.uid] = m.keywords
		}
	}
	sel.idle = &v
	sel.msgs, sel.otherPaths = nil, nil
}

// expandIdleView rebuilds the full view from its compact form: sizes,
// internal dates and paths from the store's rows (read without claiming
// \Recent), everything the client was told (sequence numbers, flags,
// keywords, \Recent) from the compact form. A message no longer stored is
// marked expunged, for the next update to report; flags changed since the
// last report are left to the next update too, as are new messages. It
// does nothing when the view is full.
func (s *session) expandIdleView(ctx context.Context) error {
	sel := s.sel
	if sel == nil || sel.idle == nil {
		return nil
	}
	rows, err := s.srv.store.IMAPMessages(ctx, sel.folder.ID, false)
	if err != nil {
		return err
	}
	v := sel.idle
	msgs := make([]selectedMessage, len(v.flags))
	sel.otherPaths = nil
	i, row, recent := 0, 0, 0
	for _, run := range v.uids {
		for uid := run.first; uid-run.first < run.n; uid++ {
			m := &msgs[i]
			m.uid, m.flags, m.keywords = uid, v.flags[i], v.keywords[uid]
			i++
			for recent < len(v.recent) && v.recent[recent] < uid {
				recent++
			}
			m.recent = recent < len(v.recent) && v.recent[recent] == uid
			for row < len(rows) && rows[row].UID < uid {
				row++
			}
			if row == len(rows) || rows[row].UID != uid {
				m.expunged = true
				continue
			}
			r := &rows[row]
			m.size, m.date = r.Size, r.InternalDate.Unix()
			sel.setPath(m, r.Path)
		}
	}
	sel.msgs, sel.idle = msgs, nil
	return nil
}

// endIdleView gives the session its full view back as IDLE ends. When the
// store cannot be read, the client is told and disconnected: the session
// cannot answer for its messages without it.
func (s *session) endIdleView(ctx context.Context) bool {
	err := s.expandIdleView(ctx)
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrNotFound):
		s.closeSelected()
		s.untagged(replySelectedDeleted)
	default:
		s.srv.log.Error("re-reading the selected folder after IDLE", "session", s.id, "error", err)
		s.closeSelected()
		s.untagged(replyInternalErrorBye)
	}
	s.closeAfter = true
	return false
}

// idleUpdates writes the updates IDLE reports (writeUpdates) and puts the
// view back in its compact form.
func (s *session) idleUpdates(ctx context.Context) {
	s.writeUpdates(ctx, true)
	if s.sel != nil && s.idling != nil {
		s.sel.shrinkForIdle()
	}
}
