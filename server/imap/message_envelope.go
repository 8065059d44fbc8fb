package imap

import "bytes"

// Envelope is the ENVELOPE structure (RFC 3501 7.4.2) in IMAP syntax,
// starting with "(".
func (m *Message) Envelope() []byte {
	return appendEnvelope(nil, m.raw, m.root)
}

// missingHost stands for the domain of an address that has none, since a
// NIL host means group syntax in an ENVELOPE (the convention of UW IMAP).
const missingHost = ".MISSING-HOST-NAME."

// appendEnvelope appends the ENVELOPE of message: date, subject, from,
// sender, reply-to, to, cc, bcc, in-reply-to and message-id, the values as
// they are in the header (unfolded, not RFC 2047-decoded).
func appendEnvelope(dst, raw []byte, message *mimePart) []byte {
	stringField := func(name string) []byte {
		v, present := message.fieldValue(raw, name)
		if !present {
			return nil
		}
		if v == nil {
			v = []byte{}
		}
		return v
	}
	addresses := func(name string) []envelopeAddress {
		v, present := message.fieldValue(raw, name)
		if !present {
			return nil
		}
		return parseAddressList(v)
	}
	from := addresses("From")
	sender := addresses("Sender")
	replyTo := addresses("Reply-To")
	// RFC 3501 7.4.2: an absent or empty Sender or Reply-To is From.
	if len(sender) == 0 {
		sender = from
	}
	if len(replyTo) == 0 {
		replyTo = from
	}

	dst = append(dst, '(')
	dst = appendNString(dst, stringField("Date"))
	dst = append(dst, ' ')
	dst = appendNString(dst, stringField("Subject"))
	for _, list := range [][]envelopeAddress{from, sender, replyTo, addresses("To"), addresses("Cc"), addresses("Bcc")} {
		dst = append(dst, ' ')
		dst = appendAddressList(dst, list)
	}
	dst = append(dst, ' ')
	dst = appendNString(dst, stringField("In-Reply-To"))
	dst = append(dst, ' ')
	dst = appendNString(dst, stringField("Message-ID"))
	return append(dst, ')')
}

// envelopeAddress is one address of an ENVELOPE (RFC 3501 7.4.2): personal
// name, source route, mailbox and host, nil for NIL. A group starts with an
// address whose host is nil and mailbox the group's name, and ends with one
// whose mailbox and host are nil.
type envelopeAddress struct {
	name, route, mailbox, host []byte
}

// appendAddressList appends a parenthesised list of addresses, or NIL.
func appendAddressList(dst []byte, list []envelopeAddress) []byte {
	if len(list) == 0 {
		return append(dst, "NIL"...)
	}
	dst = append(dst, '(')
	for _, a := range list {
		dst = append(dst, '(')
		dst = appendNString(dst, a.name)
		dst = append(dst, ' ')
		dst = appendNString(dst, a.route)
		dst = append(dst, ' ')
		dst = appendNString(dst, a.mailbox)
		dst = append(dst, ' ')
		dst = appendNString(dst, a.host)
		dst = append(dst, ')')
	}
	return append(dst, ')')
}

// addressToken is a lexical token of an address list (RFC 5322 3.2): an
// atom (dots included, so "john.doe" and "example.com" are one), a quoted
// string, a comment, a domain literal, or one of the specials < > : ; @ ,.
type addressToken struct {
	kind byte   // 'a' atom or domain literal, 'q' quoted string, 'c' comment, or the special itself
	raw  []byte // as written, quotes and brackets included
	text []byte // a quoted string's or comment's content, unescaped; else raw
}

// tokenizeAddresses splits an address list into tokens.
func tokenizeAddresses(v []byte) []addressToken {
	var tokens []addressToken
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"':
			end, text := readQuoted(v, i+1, '"')
			tokens = append(tokens, addressToken{kind: 'q', raw: v[i:end], text: text})
			i = end
		case c == '(':
			end := skipComment(v, i)
			inner := v[i+1 : end]
			inner = bytes.TrimSuffix(inner, []byte{')'})
			tokens = append(tokens, addressToken{kind: 'c', raw: v[i:end], text: bytes.TrimSpace(inner)})
			i = end
		case c == '[':
			end, _ := readQuoted(v, i+1, ']')
			tokens = append(tokens, addressToken{kind: 'a', raw: v[i:end], text: v[i:end]})
			i = end
		case c == '<' || c == '>' || c == ':' || c == ';' || c == '@' || c == ',':
			tokens = append(tokens, addressToken{kind: c, raw: v[i : i+1], text: v[i : i+1]})
			i++
		default:
			start := i
			for i < len(v) && !isAddressSpecial(v[i]) {
				i++
			}
			if i == start { // a stray ")" or "]"
				i++
				continue
			}
			tokens = append(tokens, addressToken{kind: 'a', raw: v[start:i], text: v[start:i]})
		}
	}
	return tokens
}

// isAddressSpecial says whether c ends an atom in an address list.
func isAddressSpecial(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '(', ')', '[', ']', '<', '>', ':', ';', '@', ',':
		return true
	}
	return false
}

// readQuoted reads up to the closing byte from v[i:] (backslash quoting
// honoured) and returns the index after it and the unescaped content.
func readQuoted(v []byte, i int, closing byte) (int, []byte) {
	text := []byte{}
	for ; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if i+1 < len(v) {
				i++
				text = append(text, v[i])
			}
		case closing:
			return i + 1, text
		default:
			text = append(text, v[i])
		}
	}
	return len(v), text
}

// addressParser parses an address list leniently: whatever it cannot read
// as an address is skipped up to the next comma.
type addressParser struct {
	tokens []addressToken
	i      int
	// comment is the first comment seen since the current address began,
	// the personal name of "john@example.com (John)".
	comment []byte
}

// parseAddressList parses an RFC 5322 address-list (mailboxes and groups).
func parseAddressList(v []byte) []envelopeAddress {
	p := addressParser{tokens: tokenizeAddresses(v)}
	var list []envelopeAddress
	for p.i < len(p.tokens) {
		start := p.i
		list = p.parseAddress(list, false)
		if p.i == start {
			p.i++ // never stall on a token nothing accepts
		}
	}
	return list
}

// peek is the kind of the next token that is not a comment (0 at the end),
// noting the comments it passes.
func (p *addressParser) peek() byte {
	for p.i < len(p.tokens) && p.tokens[p.i].kind == 'c' {
		if p.comment == nil {
			p.comment = p.tokens[p.i].text
		}
		p.i++
	}
	if p.i >= len(p.tokens) {
		return 0
	}
	return p.tokens[p.i].kind
}

// words reads atoms and quoted strings.
func (p *addressParser) words() []addressToken {
	start := p.i
	var words []addressToken
	for k := p.peek(); k == 'a' || k == 'q'; k = p.peek() {
		words = append(words, p.tokens[p.i])
		p.i++
	}
	if len(words) == 0 {
		p.i = start
	}
	return words
}

// parseAddress reads one mailbox, or a group when inGroup is false, and
// appends what it found to list.
func (p *addressParser) parseAddress(list []envelopeAddress, inGroup bool) []envelopeAddress {
	p.comment = nil
	phrase := p.words()
	switch p.peek() {
	case ':':
		p.i++
		if inGroup { // no nested groups: skip the rest of this entry
			p.skipToComma()
			return list
		}
		// RFC 3501 7.4.2: group start and end markers.
		list = append(list, envelopeAddress{mailbox: joinPhrase(phrase)})
		for k := p.peek(); k != 0 && k != ';'; k = p.peek() {
			start := p.i
			if k == ',' {
				p.i++
				continue
			}
			list = p.parseAddress(list, true)
			if p.i == start {
				p.i++
			}
		}
		if p.peek() == ';' {
			p.i++
		}
		return append(list, envelopeAddress{})
	case '<':
		p.i++
		a := p.angleAddress()
		if len(phrase) > 0 {
			a.name = joinPhrase(phrase)
		} else if p.peek(); p.comment != nil {
			a.name = p.comment
		}
		p.skipToComma()
		if a.mailbox == nil && a.host == nil {
			return list // "<>"
		}
		return append(list, a)
	case '@':
		p.i++
		a := envelopeAddress{mailbox: joinRaw(phrase), host: joinRaw(p.words())}
		if len(a.host) == 0 {
			a.host = []byte(missingHost)
		}
		if p.peek(); p.comment != nil {
			a.name = p.comment
		}
		p.skipToComma()
		return append(list, a)
	default:
		p.skipToComma()
		if len(phrase) == 0 {
			return list
		}
		// A bare word such as "To: john": a mailbox without a domain.
		return append(list, envelopeAddress{mailbox: joinRaw(phrase), host: []byte(missingHost)})
	}
}

// angleAddress reads what follows "<": an optional source route, the
// local part, "@" and the domain, then ">".
func (p *addressParser) angleAddress() envelopeAddress {
	var a envelopeAddress
	var route []byte
	for p.peek() == '@' {
		p.i++
		if len(route) > 0 {
			route = append(route, ',')
		}
		route = append(route, '@')
		route = append(route, joinRaw(p.words())...)
		if p.peek() == ',' {
			p.i++
			continue
		}
		if p.peek() == ':' {
			p.i++
		}
		break
	}
	if route != nil {
		a.route = route
	}
	local := p.words()
	if p.peek() == '@' {
		p.i++
		a.host = joinRaw(p.words())
	}
	if len(local) > 0 || len(a.host) > 0 {
		a.mailbox = joinRaw(local)
		if len(a.host) == 0 {
			a.host = []byte(missingHost)
		}
	}
	if p.peek() == '>' {
		p.i++
	}
	return a
}

// skipToComma skips to the next address of the list: past the next comma,
// or up to a group's end.
func (p *addressParser) skipToComma() {
	for k := p.peek(); k != 0; k = p.peek() {
		if k == ';' {
			return
		}
		p.i++
		if k == ',' {
			return
		}
	}
}

// joinPhrase is a display name: its words separated by one space, quoted
// strings unquoted.
func joinPhrase(words []addressToken) []byte {
	out := []byte{}
	for i, w := range words {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, w.text...)
	}
	return out
}

// joinRaw is a local part or domain: its tokens as written, unseparated.
func joinRaw(words []addressToken) []byte {
	out := []byte{}
	for _, w := range words {
		out = append(out, w.raw...)
	}
	return out
}
