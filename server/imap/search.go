package imap

import (
	"strings"
	"time"
)

// This file evaluates SEARCH criteria (RFC 3501 6.4.4) for one message. What
// the string keys read from the message's content is in search_content.go,
// the Date: header's parsing in search_date.go, and SORT in sort.go.

// MessageMeta is what SEARCH and SORT know of a message without reading its
// file.
type MessageMeta struct {
	Seq, UID     uint32
	Flags        []string // system flags and keywords as IMAP names; \Recent when set for this session
	InternalDate time.Time
	Size         int64
}

// NeedsContent says whether evaluating k reads the message's header or body.
func NeedsContent(k *SearchKey) bool {
	if k == nil {
		return false
	}
	switch k.Op {
	case "BCC", "BODY", "CC", "FROM", "HEADER", "SUBJECT", "TEXT", "TO",
		"SENTBEFORE", "SENTON", "SENTSINCE":
		return true
	}
	for _, c := range k.Children {
		if NeedsContent(c) {
			return true
		}
	}
	return false
}

// NeedsBody says whether evaluating k reads the message's body (BODY and
// TEXT); the other keys that read the content read only the top-level
// header, so the header section alone may be given to Match for them.
func NeedsBody(k *SearchKey) bool {
	if k == nil {
		return false
	}
	switch k.Op {
	case "BODY", "TEXT":
		return true
	}
	for _, c := range k.Children {
		if NeedsBody(c) {
			return true
		}
	}
	return false
}

// Match evaluates k for one message. content is the raw message, nil when
// NeedsContent(k) is false. maxSeq and maxUID stand for "*".
func Match(k *SearchKey, m MessageMeta, content []byte, maxSeq, maxUID uint32) bool {
	e := matcher{meta: m, maxSeq: maxSeq, maxUID: maxUID, message: searchMessage{raw: content}}
	return e.match(k)
}

// matcher evaluates a key tree for one message; the message's content is
// parsed and decoded at most once, when a key first needs it.
type matcher struct {
	meta           MessageMeta
	maxSeq, maxUID uint32
	message        searchMessage
}

// match evaluates one node. A nil key and an unknown Op match nothing
// (the parser lets no unknown key through).
func (e *matcher) match(k *SearchKey) bool {
	if k == nil {
		return false
	}
	switch k.Op {
	case "AND":
		for _, c := range k.Children {
			if !e.match(c) {
				return false
			}
		}
		return true
	case "OR":
		for _, c := range k.Children {
			if e.match(c) {
				return true
			}
		}
		return false
	case "NOT":
		return len(k.Children) > 0 && !e.match(k.Children[0])
	case "ALL":
		return true

	case "ANSWERED":
		return e.hasFlag(`\Answered`)
	case "DELETED":
		return e.hasFlag(`\Deleted`)
	case "DRAFT":
		return e.hasFlag(`\Draft`)
	case "FLAGGED":
		return e.hasFlag(`\Flagged`)
	case "RECENT":
		return e.hasFlag(`\Recent`)
	case "SEEN":
		return e.hasFlag(`\Seen`)
	case "UNANSWERED":
		return !e.hasFlag(`\Answered`)
	case "UNDELETED":
		return !e.hasFlag(`\Deleted`)
	case "UNDRAFT":
		return !e.hasFlag(`\Draft`)
	case "UNFLAGGED":
		return !e.hasFlag(`\Flagged`)
	case "UNSEEN":
		return !e.hasFlag(`\Seen`)
	case "NEW": // RFC 3501: equivalent to (RECENT UNSEEN)
		return e.hasFlag(`\Recent`) && !e.hasFlag(`\Seen`)
	case "OLD": // RFC 3501: equivalent to NOT RECENT
		return !e.hasFlag(`\Recent`)
	case "KEYWORD":
		return e.hasFlag(k.Value)
	case "UNKEYWORD":
		return !e.hasFlag(k.Value)

	case "BEFORE":
		return internalDay(e.meta.InternalDate) < searchDay(k.Date)
	case "ON":
		return internalDay(e.meta.InternalDate) == searchDay(k.Date)
	case "SINCE":
		return internalDay(e.meta.InternalDate) >= searchDay(k.Date)
	case "SENTBEFORE", "SENTON", "SENTSINCE":
		sent, ok := e.message.sentDate()
		if !ok {
			return false // no or an unparseable Date: header
		}
		day, want := calendarDay(sent), searchDay(k.Date)
		switch k.Op {
		case "SENTBEFORE":
			return day < want
		case "SENTON":
			return day == want
		}
		return day >= want

	case "LARGER":
		return e.meta.Size > k.Number
	case "SMALLER":
		return e.meta.Size < k.Number
	case "UID":
		return k.SeqSet.Contains(e.meta.UID, e.maxUID)
	case "SEQ":
		return k.SeqSet.Contains(e.meta.Seq, e.maxSeq)

	case "BCC", "CC", "FROM", "SUBJECT", "TO":
		return e.message.headerContains(k.Op, k.Value)
	case "HEADER":
		return e.message.headerContains(k.Field, k.Value)
	case "BODY":
		return e.message.bodyContains(k.Value)
	case "TEXT":
		return e.message.textContains(k.Value)
	}
	return false
}

// hasFlag says whether the message has flag; flags and keywords compare
// case-insensitively (RFC 3501 2.3.2 names them atoms, and clients differ in
// case).
func (e *matcher) hasFlag(flag string) bool {
	for _, f := range e.meta.Flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// internalDay is the calendar day of an internal date. RFC 3501 6.4.4 says
// BEFORE, ON and SINCE disregard "time and timezone"; we take the day the
// internal date falls on in UTC, for every message and every session alike,
// so that the answer does not depend on the server's local zone.
func internalDay(t time.Time) int {
	return calendarDay(t.UTC())
}

// searchDay is the day of a search key's date argument, which the parser
// gives as UTC midnight.
func searchDay(t time.Time) int {
	return calendarDay(t)
}

// calendarDay numbers t's date in t's own location as yyyymmdd, which
// orders like the dates.
func calendarDay(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}
