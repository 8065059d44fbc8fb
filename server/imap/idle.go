package imap

import (
	"bytes"
	"context"
	"net"
	"sync"
	"time"
)

// idleLine is what ended IDLE's wait: the line read, or the error.
type idleLine struct {
	line []byte
	err  error
}

// idleWaker lets the selected folder's watch end IDLE's blocked read, so
// that an idling connection needs no second goroutine to wait on the
// watch: wake sets the connection's read deadline to now while a read is
// armed, and otherwise leaves a note that makes the next arm fail. The
// mutex orders wake against arm, so a wake is never overwritten by the
// deadline arm sets.
type idleWaker struct {
	mu    sync.Mutex
	conn  net.Conn
	armed bool // a read is about to block or blocked
	woken bool // a wake came since the last arm
}

// wake ends the armed read, or the next arm.
func (w *idleWaker) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.woken = true
	if w.armed {
		w.armed = false
		w.conn.SetReadDeadline(time.Now())
	}
}

// arm sets conn's read deadline for the next wait. It returns false, and
// sets nothing, when a wake came since the last arm: the caller looks for
// updates first.
func (w *idleWaker) arm(conn net.Conn, deadline time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.woken {
		w.woken = false
		return false
	}
	w.conn, w.armed = conn, true
	conn.SetReadDeadline(deadline)
	return true
}

// disarm ends the wait: wakes from now on only leave their note.
func (w *idleWaker) disarm() {
	w.mu.Lock()
	w.armed = false
	w.mu.Unlock()
}

// idling is the state of an IDLE command under way.
type idling struct {
	tag       string
	end       time.Time // the autologout timer: RFC 3501 5.4
	stopWatch func()    // stops the watch of the selected folder; nil when none
}

// cmdIdle is IDLE (RFC 2177): the client is told of changes to the selected
// folder as they happen (the folder's watch on this node, FolderVersion
// every versionCheckInterval for other nodes) until it sends DONE, the
// idle timeout passes or the server shuts down. In the AUTHENTICATED state
// it only waits for DONE.
//
// cmdIdle only starts it: the session's own loop (serve) does the waiting,
// so that an idle connection is one goroutine with a shallow stack. The
// wait is a read of the connection holding no buffers (waitInput), which
// ends when the client sends something (afterIdleWait reads DONE), when
// the folder's watch wakes it (idleWaker), when the next FolderVersion
// check is due, at the idle timeout, or at shutdown (the session's context
// sets a read deadline of now).
func (s *session) cmdIdle(ctx context.Context, c *Command) {
	if !s.settings.Bool("IMAPIdleEnabled") {
		s.tagged(c.Tag, "BAD", "", "IDLE is disabled")
		return
	}
	s.writeRaw([]byte("+ idling\r\n"))
	s.idling = &idling{tag: c.Tag, end: time.Now().Add(s.srv.opts.IdleTimeout)}
	s.idle.woken = false
	if s.sel != nil {
		s.idling.stopWatch = s.srv.store.WatchFolderFunc(s.sel.folder.ID, s.idle.wake)
	}
	// Changes from before the watch began are in the selection's watch
	// channel, which writeUpdates reads.
	s.idleUpdates(ctx)
}

// armIdle prepares IDLE's next wait: the read deadline is the next
// FolderVersion check or the idle timeout, whichever comes first. It
// returns false when there is no wait this time: a change came since
// the last wait (its updates are written instead), or a shutdown (IDLE
// ends).
func (s *session) armIdle(ctx context.Context) bool {
	idl := s.idling
	if s.inputBuffered() {
		// DONE came with IDLE, or before the last updates were written.
		s.conn.SetReadDeadline(idl.end)
		return true
	}
	deadline := idl.end
	if s.sel != nil {
		next := s.sel.versionChecked.Add(versionCheckInterval)
		next = maxTime(next, time.Now().Add(versionCheckInterval/10))
		deadline = minTime(deadline, next)
	}
	if !s.idle.arm(s.conn, deadline) {
		s.idleUpdates(ctx)
		return false
	}
	// Checked after arming: a shutdown that came before would otherwise
	// have had its deadline replaced.
	if ctx.Err() != nil {
		s.idle.disarm()
		s.endIdle(ctx, idleLine{err: ctx.Err()})
		return false
	}
	return true
}

// afterIdleWait goes on from IDLE's wait: err is nil when the client sent
// something, which must be DONE.
func (s *session) afterIdleWait(ctx context.Context, err error) {
	s.idle.disarm()
	end := s.idling.end
	switch {
	case err == nil:
		s.conn.SetReadDeadline(end)
		line, err := ReadLine(s.r, maxLineLength)
		s.endIdle(ctx, idleLine{line, err})
	case !isTimeout(err), ctx.Err() != nil, !time.Now().Before(end):
		s.endIdle(ctx, idleLine{err: err})
	default:
		// Woken by the watch, or the FolderVersion check is due.
		s.idleUpdates(ctx)
	}
}

// stopIdle ends the idle state without a word.
func (s *session) stopIdle() {
	if s.idling == nil {
		return
	}
	if s.idling.stopWatch != nil {
		s.idling.stopWatch()
	}
	s.idling = nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// endIdle ends IDLE and answers what ended it: DONE, a timeout, a
// shutdown or a closed connection.
func (s *session) endIdle(ctx context.Context, got idleLine) {
	tag := s.idling.tag
	s.stopIdle()
	if got.err == nil && !s.endIdleView(ctx) {
		return
	}
	switch {
	case got.err == nil && bytes.EqualFold(bytes.TrimSpace(got.line), []byte("DONE")):
		s.writeUpdates(ctx, true)
		s.tagged(tag, "OK", "", "IDLE terminated")
	case got.err == nil:
		s.tagged(tag, "BAD", "", "Expected DONE")
	case ctx.Err() != nil:
		s.untagged(replyShuttingDown)
		s.closeAfter = true
	case isTimeout(got.err):
		// RFC 3501 5.4: the autologout timer.
		s.untagged(replyAutologout)
		s.closeAfter = true
	default:
		s.closeAfter = true
	}
}
