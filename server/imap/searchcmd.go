package imap

import (
	"bytes"
	"context"
	"strconv"
)

// searchCharsetOK says whether SEARCH and SORT know a charset (RFC 3501
// 6.4.4: US-ASCII must be supported; we take UTF-8 too).
func searchCharsetOK(charset string) bool {
	switch charset {
	case "", "UTF-8", "US-ASCII":
		return true
	}
	return false
}

// searchResult is a message that matched: its index in the view and, when
// asked for, its content.
type searchResult struct {
	index   int
	content []byte
}

// messageMeta is what SEARCH and SORT know of a message without its file.
func (sel *selected) messageMeta(i int) MessageMeta {
	m := &sel.msgs[i]
	return MessageMeta{Seq: uint32(i + 1), UID: m.uid, Flags: m.flagNames(), InternalDate: m.internalDate(), Size: m.size}
}

// search evaluates key over the view. keepContent keeps each match's
// content (for SORT), the header only when headerOnly. Messages expunged by
// others meanwhile match nothing.
func (s *session) search(key *SearchKey, keepContent, headerOnly bool) []searchResult {
	sel := s.sel
	if key == nil {
		key = &SearchKey{Op: "ALL"}
	}
	needContent := NeedsContent(key)
	// Keys that read only the header get the header section, which the
	// store keeps for the next search (ReadMessageHeader).
	headerEnough := !NeedsBody(key) && (!keepContent || headerOnly)
	maxSeq, maxUID := uint32(len(sel.msgs)), sel.maxUID()
	var out []searchResult
	for i := range sel.msgs {
		m := &sel.msgs[i]
		if m.expunged {
			continue
		}
		var content []byte
		if needContent || keepContent {
			var raw []byte
			var err error
			if headerEnough {
				raw, err = s.srv.store.ReadMessageHeader(sel.path(m))
			} else {
				raw, err = s.srv.store.ReadMessage(sel.path(m))
			}
			if err != nil {
				s.srv.log.Warn("reading message for SEARCH", "session", s.id, "uid", m.uid, "error", err)
				continue
			}
			content = raw
		}
		var forMatch []byte
		if needContent {
			forMatch = content
		}
		if !Match(key, sel.messageMeta(i), forMatch, maxSeq, maxUID) {
			continue
		}
		if keepContent && headerOnly && !headerEnough {
			content = headerOf(content)
		}
		if !keepContent {
			content = nil
		}
		out = append(out, searchResult{index: i, content: content})
	}
	return out
}

// headerOf is the header section of a raw message, so that SORT keeps no
// bodies in memory.
func headerOf(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return bytes.Clone(raw[:i+4])
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return bytes.Clone(raw[:i+2])
	}
	return raw
}

// cmdSearch is SEARCH and UID SEARCH (RFC 3501 6.4.4).
func (s *session) cmdSearch(ctx context.Context, c *Command) {
	if !s.requireSelected(c) {
		return
	}
	if !searchCharsetOK(c.Charset) {
		s.tagged(c.Tag, "NO", "BADCHARSET (US-ASCII UTF-8)", "Charset not supported")
		return
	}
	results := s.search(c.Search, false, false)
	line := []byte("* SEARCH")
	for _, r := range results {
		line = append(line, ' ')
		if c.UID {
			line = strconv.AppendUint(line, uint64(s.sel.msgs[r.index].uid), 10)
		} else {
			line = strconv.AppendInt(line, int64(r.index+1), 10)
		}
	}
	line = append(line, "\r\n"...)
	s.writeRaw(line)
	s.writeUpdates(ctx, c.UID)
	s.tagged(c.Tag, "OK", "", "SEARCH completed")
}

// cmdSort is SORT and UID SORT (RFC 5256), when the IMAPSortEnabled
// setting allows it.
func (s *session) cmdSort(ctx context.Context, c *Command) {
	if !s.settings.Bool("IMAPSortEnabled") {
		s.tagged(c.Tag, "BAD", "", "SORT is disabled")
		return
	}
	if !s.requireSelected(c) {
		return
	}
	if !searchCharsetOK(c.Charset) {
		s.tagged(c.Tag, "NO", "BADCHARSET (US-ASCII UTF-8)", "Charset not supported")
		return
	}
	sortContent := SortNeedsContent(c.SortKeys)
	results := s.search(c.Search, sortContent, true)
	metas := make([]MessageMeta, len(results))
	var contents [][]byte
	if sortContent {
		contents = make([][]byte, len(results))
	}
	for i, r := range results {
		metas[i] = s.sel.messageMeta(r.index)
		if sortContent {
			contents[i] = r.content
		}
	}
	order := SortMessages(c.SortKeys, metas, contents)
	line := []byte("* SORT")
	for _, i := range order {
		line = append(line, ' ')
		if c.UID {
			line = strconv.AppendUint(line, uint64(metas[i].UID), 10)
		} else {
			line = strconv.AppendUint(line, uint64(metas[i].Seq), 10)
		}
	}
	line = append(line, "\r\n"...)
	s.writeRaw(line)
	s.writeUpdates(ctx, c.UID)
	s.tagged(c.Tag, "OK", "", "SORT completed")
}
