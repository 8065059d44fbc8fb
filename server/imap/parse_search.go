package imap

import (
	"math"
	"strings"
)

// This file parses SEARCH's criteria (RFC 3501 6.4.4 and 9: search-key)
// and SORT's (RFC 5256 3).

// searchKeyArguments says what each search key takes after it.
type searchArgument int

const (
	searchNoArgument searchArgument = iota
	searchString                    // astring
	searchDate                      // date
	searchNumber                    // number
	searchKeyword                   // flag-keyword
	searchHeader                    // header-fld-name SP astring
	searchSeqSet                    // sequence-set
	searchOneKey                    // NOT search-key
	searchTwoKeys                   // OR search-key SP search-key
)

var searchKeyArguments = map[string]searchArgument{
	"ALL": searchNoArgument, "ANSWERED": searchNoArgument, "DELETED": searchNoArgument,
	"DRAFT": searchNoArgument, "FLAGGED": searchNoArgument, "NEW": searchNoArgument,
	"OLD": searchNoArgument, "RECENT": searchNoArgument, "SEEN": searchNoArgument,
	"UNANSWERED": searchNoArgument, "UNDELETED": searchNoArgument, "UNDRAFT": searchNoArgument,
	"UNFLAGGED": searchNoArgument, "UNSEEN": searchNoArgument,

	"BCC": searchString, "BODY": searchString, "CC": searchString, "FROM": searchString,
	"SUBJECT": searchString, "TEXT": searchString, "TO": searchString,

	"BEFORE": searchDate, "ON": searchDate, "SINCE": searchDate,
	"SENTBEFORE": searchDate, "SENTON": searchDate, "SENTSINCE": searchDate,

	"LARGER": searchNumber, "SMALLER": searchNumber,

	"KEYWORD": searchKeyword, "UNKEYWORD": searchKeyword,

	"HEADER": searchHeader,
	"UID":    searchSeqSet,
	"NOT":    searchOneKey,
	"OR":     searchTwoKeys,
}

// parseSearchArguments: "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key).
func parseSearchArguments(p *parser, c *Command) {
	p.xspace("search criteria")
	start := p.pos
	if strings.EqualFold(p.scan(atomCharacter), "CHARSET") && p.peek() == ' ' {
		p.xspace("charset")
		c.Charset = strings.ToUpper(p.xastring("charset"))
		p.xspace("search criteria")
	} else {
		p.pos = start
	}
	c.Search = p.xsearchCriteria()
}

// xsearchCriteria reads 1*(search-key) separated by spaces to the end of
// the command, ANDed under one node.
func (p *parser) xsearchCriteria() *SearchKey {
	all := &SearchKey{Op: "AND"}
	all.Children = append(all.Children, p.xsearchKey())
	for !p.atEnd() {
		if p.peek() == ')' {
			p.xfailf("Unbalanced ) in the search criteria")
		}
		p.xspace("search key")
		all.Children = append(all.Children, p.xsearchKey())
	}
	return all
}

// xsearchKey reads one search-key.
func (p *parser) xsearchKey() *SearchKey {
	c := p.peek()
	if c == '(' {
		p.enter()
		key := &SearchKey{Op: "AND"}
		p.xlist("search criteria list", false, func() { key.Children = append(key.Children, p.xsearchKey()) })
		p.leave()
		return key
	}
	if c == '*' || digitCharacter(c) {
		return &SearchKey{Op: "SEQ", SeqSet: p.xseqSet()}
	}
	op := p.xkeyword("search key")
	argument, ok := searchKeyArguments[op]
	if !ok {
		p.xfailf("Unknown search key %s", quoteForMessage(op))
	}
	key := &SearchKey{Op: op}
	what := "argument of " + op
	if argument != searchNoArgument {
		p.xspace(what)
	}
	switch argument {
	case searchString:
		key.Value = p.xastring(what)
	case searchDate:
		key.Date = p.xdate(what)
	case searchNumber:
		key.Number = int64(p.xnumber(what, math.MaxUint32))
	case searchKeyword:
		key.Value = p.xatom(what)
	case searchHeader:
		key.Field = p.xastring("header field name")
		if key.Field == "" {
			p.xfailf("Empty header field name")
		}
		p.xspace("header value to search")
		key.Value = p.xastring("header value to search")
	case searchSeqSet:
		key.SeqSet = p.xseqSet()
	case searchOneKey:
		p.enter()
		key.Children = []*SearchKey{p.xsearchKey()}
		p.leave()
	case searchTwoKeys:
		p.enter()
		first := p.xsearchKey()
		p.xspace("second key of OR")
		key.Children = []*SearchKey{first, p.xsearchKey()}
		p.leave()
	}
	return key
}

// sortKeyNames are RFC 5256's sort-key.
var sortKeyNames = map[string]bool{"ARRIVAL": true, "CC": true, "DATE": true, "FROM": true, "SIZE": true, "SUBJECT": true, "TO": true}

// parseSortArguments: "SORT" SP sort-criteria SP search-criteria, where
// sort-criteria is "(" sort-criterion *(SP sort-criterion) ")",
// sort-criterion is ["REVERSE" SP] sort-key, and search-criteria is
// charset 1*(SP search-key), charset being an atom or a quoted string
// (RFC 5256 5).
func parseSortArguments(p *parser, c *Command) {
	p.xspace("sort criteria")
	p.xlist("sort criteria", false, func() {
		key := SortKey{Key: p.xkeyword("sort key")}
		if key.Key == "REVERSE" {
			key.Reverse = true
			p.xspace("sort key")
			key.Key = p.xkeyword("sort key")
		}
		if !sortKeyNames[key.Key] {
			p.xfailf("Unknown sort key %s", quoteForMessage(key.Key))
		}
		c.SortKeys = append(c.SortKeys, key)
	})
	p.xspace("charset")
	if p.peek() == '"' {
		c.Charset = p.xquoted("charset")
	} else {
		c.Charset = p.xatom("charset")
	}
	c.Charset = strings.ToUpper(c.Charset)
	p.xspace("search criteria")
	c.Search = p.xsearchCriteria()
}
