package imap

import (
	"math"
	"strings"
)

// This file parses FETCH's data items (RFC 3501 6.4.5 and 9: fetch,
// fetch-att, section, section-spec).

// fetchMacroItems are FETCH's macros, which stand alone (RFC 3501 6.4.5).
var fetchMacroItems = map[string][]string{
	"ALL":  {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
	"FAST": {"FLAGS", "INTERNALDATE", "RFC822.SIZE"},
	"FULL": {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"},
}

// fetchItemsWithoutSection are the items without a section.
var fetchItemsWithoutSection = map[string]bool{
	"ENVELOPE": true, "FLAGS": true, "INTERNALDATE": true, "RFC822": true,
	"RFC822.HEADER": true, "RFC822.SIZE": true, "RFC822.TEXT": true,
	"BODY": true, "BODYSTRUCTURE": true, "UID": true,
}

// parseFetchArguments: "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
// fetch-att / "(" fetch-att *(SP fetch-att) ")").
func parseFetchArguments(p *parser, c *Command) {
	p.xspace("sequence set")
	c.SeqSet = p.xseqSet()
	p.xspace("data items")
	if p.peek() == '(' {
		p.xlist("data item list", false, func() { c.Fetch = append(c.Fetch, p.xfetchItem()) })
		return
	}
	start := p.pos
	if items, ok := fetchMacroItems[strings.ToUpper(p.scan(fetchNameCharacter))]; ok {
		for _, name := range items {
			c.Fetch = append(c.Fetch, FetchItem{Name: name})
		}
		return
	}
	p.pos = start
	c.Fetch = []FetchItem{p.xfetchItem()}
}

// fetchNameCharacter: the characters of a data item's name, up to its "[".
func fetchNameCharacter(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || digitCharacter(c) || c == '.'
}

// xfetchItem reads one fetch-att.
func (p *parser) xfetchItem() FetchItem {
	name := strings.ToUpper(p.scan(fetchNameCharacter))
	switch {
	case name == "":
		p.xfailf("Invalid data item")
	case p.peek() == '[' && (name == "BODY" || name == "BODY.PEEK"):
		item := FetchItem{Name: "BODY", HasSection: true, Peek: name == "BODY.PEEK"}
		item.Section = p.xsection()
		if p.take('<') {
			item.HasPartial = true
			item.PartialStart = uint32(p.xnumber("partial range", math.MaxUint32))
			if !p.take('.') {
				p.xfailf("Invalid partial range")
			}
			item.PartialLength = p.xnzNumber("partial range")
			if !p.take('>') {
				p.xfailf("Invalid partial range")
			}
		}
		return item
	case fetchItemsWithoutSection[name]:
		return FetchItem{Name: name}
	case fetchMacroItems[name] != nil:
		p.xfailf("FETCH macro %s must stand alone", name)
	}
	p.xfailf("Unknown FETCH data item %s", quoteForMessage(name))
	return FetchItem{}
}

// xsection reads section: "[" [section-spec] "]".
func (p *parser) xsection() Section {
	var s Section
	p.pos++ // "["
	if p.take(']') {
		return s
	}
	if digitCharacter(p.peek()) {
		for {
			s.Part = append(s.Part, int(p.xnzNumber("section part")))
			if !p.take('.') {
				break
			}
			if !digitCharacter(p.peek()) {
				break
			}
		}
		if p.raw[p.pos-1] != '.' {
			if !p.take(']') {
				p.xfailf("Invalid section")
			}
			return s
		}
	}
	s.Specifier = strings.ToUpper(p.scan(func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.'
	}))
	switch s.Specifier {
	case "HEADER", "TEXT":
	case "MIME":
		// section-text: MIME only after a part number.
		if len(s.Part) == 0 {
			p.xfailf("Invalid section: MIME needs a part number")
		}
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		p.xspace("header field list")
		p.xlist("header field list", false, func() {
			field := p.xastring("header field name")
			if field == "" {
				p.xfailf("Empty header field name")
			}
			s.Fields = append(s.Fields, field)
		})
	default:
		p.xfailf("Invalid section %s", quoteForMessage(s.Specifier))
	}
	if !p.take(']') {
		p.xfailf("Missing ] after the section")
	}
	return s
}
