package imap

import (
	"bytes"
	"context"
	"time"
)

// idleLine is what the reader of IDLE's DONE got.
type idleLine struct {
	line []byte
	err  error
}

// cmdIdle is IDLE (RFC 2177): the client is told of changes to the selected
// folder as they happen (the folder's watch on this node, FolderVersion
// every versionCheckInterval for other nodes) until it sends DONE, the
// idle timeout passes or the server shuts down. In the AUTHENTICATED state
// it only waits for DONE.
func (s *session) cmdIdle(ctx context.Context, c *Command) {
	if !s.settings.Bool("IMAPIdleEnabled") {
		s.tagged(c.Tag, "BAD", "", "IDLE is disabled")
		return
	}
	s.writeRaw([]byte("+ idling\r\n"))
	s.writeUpdates(ctx, true)
	if err := s.flush(); err != nil {
		s.closeAfter = true
		return
	}
	started := time.Now()
	s.conn.SetReadDeadline(started.Add(s.srv.opts.IdleTimeout))
	// Checked after setting the deadline: a shutdown that came before would
	// otherwise have its deadline replaced.
	if ctx.Err() != nil {
		s.untagged(replyShuttingDown)
		s.closeAfter = true
		return
	}

	// The only reader of s.r until it delivers: the loop below waits for
	// it before returning in every case.
	lines := make(chan idleLine, 1)
	go func() {
		line, err := ReadLine(s.r, maxLineLength)
		lines <- idleLine{line, err}
	}()
	ticker := time.NewTicker(versionCheckInterval)
	defer ticker.Stop()

	for {
		var watch <-chan struct{}
		if s.sel != nil {
			watch = s.sel.watch
		}
		select {
		case got := <-lines:
			s.endIdle(ctx, c, got)
			return
		case <-watch:
			if s.sel != nil {
				s.sel.changed = true
			}
		case <-ticker.C:
		}
		s.writeUpdates(ctx, true)
		if err := s.flush(); err != nil || s.closeAfter {
			// The client is gone, or was told its mailbox was deleted:
			// stop the reader and wait for it.
			s.conn.SetReadDeadline(time.Now())
			<-lines
			s.closeAfter = true
			return
		}
	}
}

// endIdle answers what ended IDLE: DONE, a timeout, a shutdown or a
// closed connection.
func (s *session) endIdle(ctx context.Context, c *Command, got idleLine) {
	switch {
	case got.err == nil && bytes.EqualFold(bytes.TrimSpace(got.line), []byte("DONE")):
		s.writeUpdates(ctx, true)
		s.tagged(c.Tag, "OK", "", "IDLE terminated")
	case got.err == nil:
		s.tagged(c.Tag, "BAD", "", "Expected DONE")
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
