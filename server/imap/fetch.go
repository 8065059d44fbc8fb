package imap

import (
	"context"
	"strconv"

	"github.com/mailwright/mailwright/store"
)

// internalDateLayout is RFC 3501 9's date-time: "dd-Mon-yyyy hh:mm:ss
// +zzzz" with a space-padded day.
const internalDateLayout = "_2-Jan-2006 15:04:05 -0700"

// fetchNeedsFile says whether an item is answered from the message file.
func fetchNeedsFile(it FetchItem) bool {
	switch it.Name {
	case "FLAGS", "INTERNALDATE", "RFC822.SIZE", "UID":
		return false
	}
	return true
}

// fetchSetsSeen says whether an item sets \Seen (RFC 3501 6.4.5): BODY[...]
// without PEEK, RFC822 and RFC822.TEXT.
func fetchSetsSeen(it FetchItem) bool {
	switch it.Name {
	case "RFC822", "RFC822.TEXT":
		return true
	case "BODY":
		return it.HasSection && !it.Peek
	}
	return false
}

// cmdFetch is FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8).
func (s *session) cmdFetch(ctx context.Context, c *Command) {
	if !s.requireSelected(c) {
		return
	}
	sel := s.sel
	idx, err := sel.resolve(c.SeqSet, c.UID)
	if err != nil {
		s.tagged(c.Tag, "BAD", "", "Invalid sequence set")
		return
	}
	needFile, setsSeen, hasUID, hasFlags := false, false, false, false
	for _, it := range c.Fetch {
		needFile = needFile || fetchNeedsFile(it)
		setsSeen = setsSeen || fetchSetsSeen(it)
		hasUID = hasUID || it.Name == "UID"
		hasFlags = hasFlags || it.Name == "FLAGS"
	}

	// \Seen is set first, in one store call; the responses then carry the
	// new flags.
	seenNow := map[uint32]bool{}
	if setsSeen && !sel.readOnly && (!sel.publicFolder() || sel.may("s")) {
		var uids []uint32
		for _, i := range idx {
			if m := &sel.msgs[i]; !m.expunged && m.flags&store.FlagSeen == 0 {
				uids = append(uids, m.uid)
			}
		}
		if len(uids) > 0 {
			updated, change, err := s.srv.store.SetFlagsTracked(ctx, sel.folder.ID, uids, store.FlagsAdd, store.FlagSeen, nil)
			if err != nil {
				s.serverError(c.Tag, "setting \\Seen on FETCH", err)
				return
			}
			sel.applyStored(updated)
			sel.takeOwnChange(change)
			for _, u := range updated {
				seenNow[u.UID] = true
			}
		}
	}

	missing := false
	var buf []byte
	for _, i := range idx {
		m := &sel.msgs[i]
		if m.expunged {
			missing = true
			continue
		}
		var raw []byte
		var msg *Message
		if needFile {
			raw, err = s.srv.store.ReadMessage(sel.path(m))
			if err != nil {
				// Expunged by another session since the last update.
				s.srv.log.Warn("reading message for FETCH", "session", s.id, "uid", m.uid, "error", err)
				missing = true
				continue
			}
			msg = ParseMessage(raw)
		}
		buf = append(buf[:0], "* "...)
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		buf = append(buf, " FETCH ("...)
		first := true
		sep := func() {
			if !first {
				buf = append(buf, ' ')
			}
			first = false
		}
		if c.UID && !hasUID {
			sep()
			buf = append(buf, "UID "...)
			buf = strconv.AppendUint(buf, uint64(m.uid), 10)
		}
		for _, it := range c.Fetch {
			sep()
			buf = s.appendFetchItem(buf, it, m, raw, msg)
		}
		if seenNow[m.uid] && !hasFlags {
			sep()
			buf = append(buf, "FLAGS "...)
			buf = appendFlagList(buf, m.flagNames())
		}
		buf = append(buf, ")\r\n"...)
		s.writeRaw(buf)
	}
	// RFC 3501 7.4.1: no EXPUNGE during FETCH; UID FETCH may have them.
	s.writeUpdates(ctx, c.UID)
	if missing && !c.UID {
		// RFC 2180 4.1.2: the messages another session expunged.
		s.tagged(c.Tag, "NO", "", "Some of the requested messages no longer exist")
		return
	}
	s.tagged(c.Tag, "OK", "", "FETCH completed")
}

// appendFetchItem appends one "NAME value" of a FETCH response. A large
// value (a body) goes out directly: what buf holds is written first, then
// the value, and buf comes back empty, so no copy of the message is built.
func (s *session) appendFetchItem(buf []byte, it FetchItem, m *selectedMessage, raw []byte, msg *Message) []byte {
	switch it.Name {
	case "UID":
		buf = append(buf, "UID "...)
		return strconv.AppendUint(buf, uint64(m.uid), 10)
	case "FLAGS":
		buf = append(buf, "FLAGS "...)
		return appendFlagList(buf, m.flagNames())
	case "INTERNALDATE":
		buf = append(buf, `INTERNALDATE "`...)
		buf = m.internalDate().AppendFormat(buf, internalDateLayout)
		return append(buf, '"')
	case "RFC822.SIZE":
		buf = append(buf, "RFC822.SIZE "...)
		return strconv.AppendInt(buf, m.size, 10)
	case "ENVELOPE":
		buf = append(buf, "ENVELOPE "...)
		return append(buf, msg.Envelope()...)
	case "BODYSTRUCTURE":
		buf = append(buf, "BODYSTRUCTURE "...)
		return append(buf, msg.BodyStructure(true)...)
	case "RFC822":
		buf = append(buf, "RFC822 "...)
		return s.appendBody(buf, raw)
	case "RFC822.HEADER":
		buf = append(buf, "RFC822.HEADER "...)
		return s.appendBody(buf, msg.Header())
	case "RFC822.TEXT":
		buf = append(buf, "RFC822.TEXT "...)
		return s.appendBody(buf, msg.Text())
	case "BODY":
		if !it.HasSection {
			buf = append(buf, "BODY "...)
			return append(buf, msg.BodyStructure(false)...)
		}
		// RFC 3501 7.4.2: the response names the section as asked, and a
		// partial by its origin only; BODY.PEEK answers as BODY.
		buf = append(buf, "BODY["...)
		buf = appendSectionSpec(buf, it.Section)
		buf = append(buf, ']')
		content, _ := msg.Section(it.Section)
		if it.HasPartial {
			buf = append(buf, '<')
			buf = strconv.AppendUint(buf, uint64(it.PartialStart), 10)
			buf = append(buf, '>')
			content = Partial(content, it.PartialStart, it.PartialLength)
		}
		buf = append(buf, ' ')
		return s.appendBody(buf, content)
	}
	// The parser produces no other names; answering NIL keeps the
	// response well formed if it ever does.
	buf = append(buf, it.Name...)
	return append(buf, " NIL"...)
}

// appendBody appends content as a literal. Small ones are appended; large
// ones are written straight after what buf holds.
func (s *session) appendBody(buf, content []byte) []byte {
	if len(content) == 0 {
		return append(buf, `""`...)
	}
	buf = append(buf, '{')
	buf = strconv.AppendInt(buf, int64(len(content)), 10)
	buf = append(buf, "}\r\n"...)
	if len(content) <= 4096 {
		return append(buf, content...)
	}
	s.writeRaw(buf)
	s.writeRaw(content)
	return buf[:0]
}

// appendSectionSpec appends a section as RFC 3501 9's section-spec:
// "1.2.HEADER.FIELDS (FROM TO)".
func appendSectionSpec(dst []byte, sec Section) []byte {
	for i, p := range sec.Part {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendInt(dst, int64(p), 10)
	}
	if sec.Specifier == "" {
		return dst
	}
	if len(sec.Part) > 0 {
		dst = append(dst, '.')
	}
	dst = append(dst, sec.Specifier...)
	if sec.Specifier == "HEADER.FIELDS" || sec.Specifier == "HEADER.FIELDS.NOT" {
		dst = append(dst, " ("...)
		for i, f := range sec.Fields {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = appendAString(dst, []byte(f))
		}
		dst = append(dst, ')')
	}
	return dst
}

// applyStored takes the new state of messages from the store (after this
// session's own STORE or \Seen) into the view, so that the next update does
// not report them again.
func (sel *selected) applyStored(updated []store.IMAPMessage) {
	byUID := make(map[uint32]*store.IMAPMessage, len(updated))
	for i := range updated {
		byUID[updated[i].UID] = &updated[i]
	}
	for i := range sel.msgs {
		if u, ok := byUID[sel.msgs[i].uid]; ok {
			sel.msgs[i].flags = uint8(u.Flags &^ store.FlagRecent)
			sel.msgs[i].keywords = u.Keywords
		}
	}
}
