package imap

import (
	"bufio"
	"net"
	"sync"
)

// The session's buffers come from pools: a connection holds a reader and a
// writer only while it has work (a command to read, a reply to write) and
// gives them back before it waits for the client, so that thousands of
// idle connections (IDLE, or between commands) hold none. What the wait
// reads first goes into the session's small firstBytes array; a line or
// literal longer than that is read through the pooled reader.
const (
	readBufferSize  = 4096
	writeBufferSize = 16384 // one full TLS record
	firstReadSize   = 64    // most commands, and DONE, fit
)

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufferSize) }}
)

// firstReader is what the session's reader reads from: the bytes the wait
// for the client read (waitInput), then the connection.
type firstReader struct {
	pending []byte
	conn    net.Conn
}

// Read gives the pending bytes first, then reads the connection.
func (f *firstReader) Read(p []byte) (int, error) {
	if len(f.pending) > 0 {
		n := copy(p, f.pending)
		f.pending = f.pending[n:]
		return n, nil
	}
	return f.conn.Read(p)
}

// takeBuffers gives the session a reader and a writer if it has none.
func (s *session) takeBuffers() {
	if s.w == nil {
		s.takeWriter()
	}
	if s.r == nil {
		s.r = readerPool.Get().(*bufio.Reader)
		s.src.conn = s.conn
		s.r.Reset(&s.src)
	}
}

// takeWriter gives the session a writer on its connection.
func (s *session) takeWriter() {
	s.w = writerPool.Get().(*bufio.Writer)
	s.dw.Conn, s.dw.Timeout = s.conn, s.srv.opts.IdleTimeout
	s.w.Reset(&s.dw)
}

// releaseBuffers gives the buffers back before a wait: the writer once
// flushed, the reader once it holds nothing the client sent.
func (s *session) releaseBuffers() {
	if s.w != nil && s.w.Buffered() == 0 {
		s.w.Reset(nil)
		writerPool.Put(s.w)
		s.w = nil
	}
	if s.r != nil && !s.inputBuffered() {
		s.r.Reset(nil)
		readerPool.Put(s.r)
		s.r = nil
	}
}

// dropBuffers gives the buffers back at the end of the session, whatever
// they hold.
func (s *session) dropBuffers() {
	if s.w != nil {
		s.w.Reset(nil)
		writerPool.Put(s.w)
		s.w = nil
	}
	if s.r != nil {
		s.r.Reset(nil)
		readerPool.Put(s.r)
		s.r = nil
	}
	s.src = firstReader{}
}

// inputBuffered says whether bytes the client sent are read and not yet
// used: pipelined commands, or what followed DONE.
func (s *session) inputBuffered() bool {
	return len(s.src.pending) > 0 || (s.r != nil && s.r.Buffered() > 0)
}

// waitInput waits for the client's next bytes holding no buffer (unless
// some are buffered already): it reads them into s.firstBytes, then takes
// the buffers, the reader giving those bytes first. It returns the read's
// error when nothing came (a timeout, the end of the connection); the
// buffers are taken in every case, for the answer.
func (s *session) waitInput() error {
	if s.inputBuffered() {
		return nil
	}
	s.releaseBuffers()
	n, err := s.conn.Read(s.firstBytes[:])
	s.takeBuffers()
	if n > 0 {
		// An error that came with the bytes comes again on the next read.
		s.src.pending = s.firstBytes[:n]
		return nil
	}
	return err
}
