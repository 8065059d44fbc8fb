package store

import (
	"bytes"
	"container/list"
	"errors"
	"io"
	"sync"
)

// The header sections of stored messages, for IMAP SEARCH's header keys
// (HEADER, SUBJECT, FROM …), which would otherwise open and read every
// message of the folder on every search. A message file never changes
// once written and its path is never used again (a random id), so a
// header read once stays right for as long as it is kept; the cache is
// bounded by size and drops the least recently used first.

// headerCacheMax bounds the bytes the header cache holds (headers and
// paths).
const headerCacheMax = 16 << 20

// maxCachedHeader is the largest header section kept; a larger one is
// read again each time (spam with huge headers should not evict the rest).
const maxCachedHeader = 64 << 10

// headerCacheEntryOverhead approximates what an entry costs besides its
// header and path (list element, map slot, strings' headers).
const headerCacheEntryOverhead = 128

// headerCache is the Store's cache of header sections by message path.
// The zero value is ready to use.
type headerCache struct {
	mu     sync.Mutex
	byPath map[string]*list.Element // value: *headerCacheEntry
	order  list.List                // front: the most recently used
	size   int
}

type headerCacheEntry struct {
	path   string
	header []byte
}

// get returns the cached header of path.
func (c *headerCache) get(path string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byPath[path]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*headerCacheEntry).header, true
}

// put keeps header for path, dropping the least recently used entries
// beyond headerCacheMax.
func (c *headerCache) put(path string, header []byte) {
	if len(header) > maxCachedHeader {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byPath == nil {
		c.byPath = map[string]*list.Element{}
		c.order.Init()
	}
	if _, ok := c.byPath[path]; ok {
		return
	}
	c.byPath[path] = c.order.PushFront(&headerCacheEntry{path: path, header: header})
	c.size += entrySize(path, header)
	for c.size > headerCacheMax {
		oldest := c.order.Back()
		old := oldest.Value.(*headerCacheEntry)
		c.order.Remove(oldest)
		delete(c.byPath, old.path)
		c.size -= entrySize(old.path, old.header)
	}
}

func entrySize(path string, header []byte) int {
	return len(path) + len(header) + headerCacheEntryOverhead
}

// ReadMessageHeader returns the header section of a stored message: its
// lines up to and including the first empty one (LF or CRLF alone), or
// the whole file when it has no empty line. The caller must not change
// the bytes, which are shared.
func (s *Store) ReadMessageHeader(path string) ([]byte, error) {
	if h, ok := s.headers.get(path); ok {
		return h, nil
	}
	h, err := s.readHeaderSection(path)
	if err != nil {
		return nil, err
	}
	s.headers.put(path, h)
	return h, nil
}

// headerReadChunk is how much readHeaderSection reads at a time: most
// headers end within the first read.
const headerReadChunk = 8 << 10

// readHeaderSection reads a message file up to the end of its header.
func (s *Store) readHeaderSection(path string) ([]byte, error) {
	f, err := s.files.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, headerReadChunk)
	scanned := 0 // buf[:scanned] holds whole lines, none of them empty
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if end, found := headerEnd(buf, &scanned); found {
			return bytes.Clone(buf[:end]), nil
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// headerEnd looks for the empty line that ends a header in buf, from
// *scanned on, which it moves past the whole lines it has looked at; it
// returns the offset after the empty line.
func headerEnd(buf []byte, scanned *int) (int, bool) {
	for {
		i := bytes.IndexByte(buf[*scanned:], '\n')
		if i < 0 {
			return 0, false
		}
		line := buf[*scanned : *scanned+i]
		*scanned += i + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return *scanned, true
		}
	}
}
