package imap

import (
	"bytes"
	"strings"
)

// Message is a message parsed for FETCH: its MIME tree over the raw bytes.
// Parsing never fails: what does not parse is served as text/plain, as
// RFC 3501 asks for malformed messages.
type Message struct {
	raw  []byte
	root *mimePart
}

// ParseMessage parses raw (the whole message file). The message keeps raw
// and serves sections as slices of it, so raw must not change afterwards.
func ParseMessage(raw []byte) *Message {
	return &Message{raw: raw, root: parseMessageTree(raw, 0, len(raw), 0, false)}
}

// Header is the message's header section, with the blank line after it.
func (m *Message) Header() []byte {
	return m.raw[m.root.start:m.root.bodyStart]
}

// Text is the message's body (RFC822.TEXT).
func (m *Message) Text() []byte {
	return m.raw[m.root.bodyStart:m.root.end]
}

// Section is the content of BODY[section] (before any <partial>); ok is
// false when the message has no such part, which FETCH answers with an empty
// string.
func (m *Message) Section(s Section) (b []byte, ok bool) {
	part := m.root
	if len(s.Part) > 0 {
		part = m.findPart(s.Part)
		if part == nil {
			return nil, false
		}
	}
	// The message the HEADER and TEXT specifiers address: the whole one, or
	// the one encapsulated in a message/rfc822 part (RFC 3501 6.4.5).
	message := part
	if len(s.Part) > 0 {
		message = part.message
	}
	switch s.Specifier {
	case "":
		if len(s.Part) == 0 {
			return m.raw, true
		}
		return m.raw[part.bodyStart:part.end], true
	case "MIME":
		if len(s.Part) == 0 {
			return nil, false
		}
		return m.raw[part.start:part.bodyStart], true
	case "HEADER":
		if message == nil {
			return nil, false
		}
		return m.raw[message.start:message.bodyStart], true
	case "TEXT":
		if message == nil {
			return nil, false
		}
		return m.raw[message.bodyStart:message.end], true
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		if message == nil {
			return nil, false
		}
		return m.headerFields(message, s.Fields, s.Specifier == "HEADER.FIELDS.NOT"), true
	}
	return nil, false
}

// findPart follows a part number (RFC 3501 6.4.5): in a multipart, n is its
// n-th body part; a message that is not multipart has only part 1, its
// body; the parts of a message/rfc822 part are those of the message it
// encapsulates. It returns nil when there is no such part.
func (m *Message) findPart(path []int) *mimePart {
	parts := numberedParts(m.root)
	var part *mimePart
	for i, n := range path {
		if n < 1 || n > len(parts) {
			return nil
		}
		part = parts[n-1]
		if i+1 < len(path) {
			switch {
			case part.isMultipart():
				parts = part.children
			case part.message != nil:
				parts = numberedParts(part.message)
			default:
				return nil
			}
		}
	}
	return part
}

// numberedParts are the parts numbered 1, 2, ... in message.
func numberedParts(message *mimePart) []*mimePart {
	if message.isMultipart() {
		return message.children
	}
	return []*mimePart{message}
}

// headerFields is HEADER.FIELDS (or, with not, HEADER.FIELDS.NOT) of
// message: the matching field lines as they are in the file, folding
// included, then the blank line.
func (m *Message) headerFields(message *mimePart, names []string, not bool) []byte {
	var out []byte
	for _, f := range message.fields {
		name := f.name(m.raw)
		matched := false
		if name != nil {
			for _, want := range names {
				if strings.EqualFold(want, string(name)) {
					matched = true
					break
				}
			}
		}
		if matched == not {
			continue
		}
		line := m.raw[f.start:f.end]
		out = append(out, line...)
		switch {
		case bytes.HasSuffix(line, []byte{'\n'}):
		case bytes.HasSuffix(line, []byte{'\r'}):
			out = append(out, '\n')
		default:
			out = append(out, '\r', '\n') // the last line of a header without a body
		}
	}
	return append(out, '\r', '\n')
}

// Partial applies <start.length> (RFC 3501 6.4.5) to b: the octets from
// start, at most length of them; nothing when start is past the end.
func Partial(b []byte, start, length uint32) []byte {
	if uint64(start) >= uint64(len(b)) {
		return b[len(b):]
	}
	end := uint64(start) + uint64(length)
	if end > uint64(len(b)) {
		end = uint64(len(b))
	}
	return b[start:end]
}
