package imap

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// This file holds the parser's lexical pieces: the character classes of
// RFC 3501 9, atoms, strings, literals, numbers, sequence sets, flags and
// dates.

// parser reads one command out of the bytes ReadCommand returned. Its
// methods whose names start with x panic with a parseFailure on input the
// grammar refuses; ParseCommand recovers that panic, and only that one,
// into a *ParseError.
type parser struct {
	raw   []byte
	pos   int
	name  string // the command's name, for messages
	depth int    // nesting of parenthesised lists and SEARCH's NOT and OR
}

// parseFailure is the panic value of the parser's x methods.
type parseFailure struct{ msg string }

// maxSearchNesting bounds the nesting of SEARCH keys, so that a hostile command
// cannot make the parser (or the search that walks the tree) recurse
// deeply. Clients build OR chains one level per alternative; a thousand
// leaves room for them.
const maxSearchNesting = 1000

func (p *parser) xfailf(format string, args ...any) {
	panic(parseFailure{fmt.Sprintf(format, args...)})
}

// enter and leave count one level of nesting.
func (p *parser) enter() {
	p.depth++
	if p.depth > maxSearchNesting {
		p.xfailf("Search criteria nested too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

// quoteForMessage makes client text safe to quote in a message: printable ASCII
// only, and not too long.
func quoteForMessage(s string) string {
	const max = 40
	var b strings.Builder
	for i := 0; i < len(s) && i < max; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b.WriteByte(c)
	}
	if len(s) > max {
		b.WriteString("...")
	}
	return b.String()
}

// Character classes of RFC 3501 9.

func digitCharacter(c byte) bool { return c >= '0' && c <= '9' }

// atomCharacter: ATOM-CHAR, any CHAR except atom-specials.
func atomCharacter(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '{', '%', '*', '"', '\\', ']':
		return false
	}
	return true
}

// astringCharacter: ASTRING-CHAR, ATOM-CHAR or "]".
func astringCharacter(c byte) bool { return atomCharacter(c) || c == ']' }

// tagCharacter: any ASTRING-CHAR except "+".
func tagCharacter(c byte) bool { return astringCharacter(c) && c != '+' }

// listCharacter: list-char, ATOM-CHAR or list-wildcards or resp-specials.
func listCharacter(c byte) bool { return astringCharacter(c) || c == '%' || c == '*' }

// atEnd says whether the command's arguments are over: nothing is left but
// the final line ending.
func (p *parser) atEnd() bool {
	rest := p.raw[p.pos:]
	return len(rest) == 0 || string(rest) == "\r\n" || string(rest) == "\n"
}

// peek is the next byte, 0 at the end.
func (p *parser) peek() byte {
	if p.pos < len(p.raw) {
		return p.raw[p.pos]
	}
	return 0
}

// take consumes c if it is next.
func (p *parser) take(c byte) bool {
	if p.pos < len(p.raw) && p.raw[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// xspace consumes the space before an argument named what.
func (p *parser) xspace(what string) {
	if p.atEnd() || p.peek() == ')' {
		p.xfailf("Missing %s", what)
	}
	if !p.take(' ') {
		p.xfailf("Expected a space before the %s", what)
	}
	if p.atEnd() {
		p.xfailf("Missing %s", what)
	}
}

// xend checks that nothing follows the arguments.
func (p *parser) xend() {
	if p.atEnd() {
		return
	}
	if p.peek() == ' ' {
		p.xfailf("Too many arguments to %s", p.name)
	}
	p.xfailf("Unexpected characters in the arguments of %s", p.name)
}

// xlist reads "(" elem *(SP elem) ")"; empty lists only when allowEmpty.
func (p *parser) xlist(what string, allowEmpty bool, elem func()) {
	if !p.take('(') {
		p.xfailf("Expected a parenthesised %s", what)
	}
	if p.take(')') {
		if !allowEmpty {
			p.xfailf("Empty %s", what)
		}
		return
	}
	for {
		elem()
		if p.take(')') {
			return
		}
		if p.atEnd() {
			p.xfailf("Missing ) after the %s", what)
		}
		if !p.take(' ') || p.atEnd() || p.peek() == ')' {
			p.xfailf("Invalid %s", what)
		}
	}
}

// scan consumes the bytes for which ok holds.
func (p *parser) scan(ok func(byte) bool) string {
	start := p.pos
	for p.pos < len(p.raw) && ok(p.raw[p.pos]) {
		p.pos++
	}
	return string(p.raw[start:p.pos])
}

// xatom reads an atom.
func (p *parser) xatom(what string) string {
	s := p.scan(atomCharacter)
	if s == "" {
		p.xfailf("Invalid %s", what)
	}
	return s
}

// xkeyword reads an atom in upper case.
func (p *parser) xkeyword(what string) string {
	return strings.ToUpper(p.xatom(what))
}

// xstring reads a quoted string or a literal.
func (p *parser) xstring(what string) string {
	switch p.peek() {
	case '"':
		return p.xquoted(what)
	case '{':
		return string(p.xliteral(what, false))
	}
	p.xfailf("Invalid %s: expected a string", what)
	return ""
}

// xastring reads an astring: an atom (with "]" allowed) or a string.
func (p *parser) xastring(what string) string {
	switch p.peek() {
	case '"', '{':
		return p.xstring(what)
	}
	s := p.scan(astringCharacter)
	if s == "" {
		p.xfailf("Invalid %s", what)
	}
	return s
}

// xnstring reads a string or NIL; ok is false for NIL.
func (p *parser) xnstring(what string) (s string, ok bool) {
	if p.peek() != '"' && p.peek() != '{' {
		if !strings.EqualFold(p.scan(atomCharacter), "NIL") {
			p.xfailf("Invalid %s: expected a string or NIL", what)
		}
		return "", false
	}
	return p.xstring(what), true
}

// xquoted reads a quoted string. RFC 3501 allows 7-bit text only; 8-bit
// bytes are let through for the clients that send UTF-8 (RFC 6855 allows
// it), CR, LF and NUL never.
func (p *parser) xquoted(what string) string {
	p.pos++ // the opening quote
	var b strings.Builder
	for {
		if p.pos >= len(p.raw) {
			p.xfailf("Unterminated quoted %s", what)
		}
		c := p.raw[p.pos]
		p.pos++
		switch c {
		case '"':
			return b.String()
		case '\\':
			if p.pos >= len(p.raw) || (p.raw[p.pos] != '"' && p.raw[p.pos] != '\\') {
				p.xfailf("Invalid escape in quoted %s", what)
			}
			b.WriteByte(p.raw[p.pos])
			p.pos++
		case '\r', '\n':
			p.xfailf("Unterminated quoted %s", what)
		case 0:
			p.xfailf("NUL character in quoted %s", what)
		default:
			b.WriteByte(c)
		}
	}
}

// xliteral reads a literal, {n} or LITERAL+'s {n+}, then CRLF and n bytes.
// NUL bytes (outside CHAR8) are refused unless allowNUL.
func (p *parser) xliteral(what string, allowNUL bool) []byte {
	p.pos++ // "{"
	size := p.xnumber("literal size", math.MaxInt64)
	p.take('+')
	if !p.take('}') {
		p.xfailf("Invalid literal size")
	}
	if !p.take('\n') && !(p.take('\r') && p.take('\n')) {
		p.xfailf("Missing line ending after a literal's size")
	}
	if size > uint64(len(p.raw)-p.pos) {
		p.xfailf("Literal shorter than announced")
	}
	lit := p.raw[p.pos : p.pos+int(size)]
	p.pos += int(size)
	if !allowNUL {
		for _, c := range lit {
			if c == 0 {
				p.xfailf("NUL character in %s", what)
			}
		}
	}
	return lit
}

// xnumber reads number (1*DIGIT) no larger than max.
func (p *parser) xnumber(what string, max uint64) uint64 {
	start := p.pos
	var n uint64
	for p.pos < len(p.raw) && digitCharacter(p.raw[p.pos]) {
		d := uint64(p.raw[p.pos] - '0')
		if n > (max-d)/10 {
			p.xfailf("Invalid %s: too large", what)
		}
		n = n*10 + d
		p.pos++
	}
	if p.pos == start {
		p.xfailf("Invalid %s: expected a number", what)
	}
	return n
}

// xnzNumber reads nz-number: a 32-bit number without leading zeros, not 0.
func (p *parser) xnzNumber(what string) uint32 {
	if p.peek() == '0' {
		p.xfailf("Invalid %s", what)
	}
	return uint32(p.xnumber(what, math.MaxUint32))
}

// xseqSet reads a sequence-set: numbers, "*", ranges, separated by commas.
// "*" is 0 in a SeqRange.
func (p *parser) xseqSet() SeqSet {
	var set SeqSet
	for {
		start := p.xseqNumber()
		stop := start
		if p.take(':') {
			stop = p.xseqNumber()
		}
		set = append(set, SeqRange{Start: start, Stop: stop})
		if !p.take(',') {
			break
		}
	}
	switch c := p.peek(); {
	case p.atEnd(), c == ' ', c == ')':
	default:
		p.xfailf("Invalid sequence set")
	}
	return set
}

func (p *parser) xseqNumber() uint32 {
	if p.take('*') {
		return 0
	}
	if !digitCharacter(p.peek()) || p.peek() == '0' {
		p.xfailf("Invalid sequence set")
	}
	return p.xnzNumber("sequence set")
}

// xmailbox reads a mailbox name; INBOX, in any case, is "INBOX"
// (RFC 3501 5.1).
func (p *parser) xmailbox(what string) string {
	s := p.xastring(what)
	if strings.EqualFold(s, "INBOX") {
		return "INBOX"
	}
	return s
}

// xlistMailbox reads list-mailbox: list-chars (wildcards allowed) or a
// string.
func (p *parser) xlistMailbox(what string) string {
	switch p.peek() {
	case '"', '{':
		return p.xstring(what)
	}
	s := p.scan(listCharacter)
	if s == "" {
		p.xfailf("Invalid %s", what)
	}
	return s
}

// settableSystemFlags are the flags of RFC 3501 2.3.2 that a client may set, by
// their upper-case names.
var settableSystemFlags = map[string]string{
	"SEEN":     `\Seen`,
	"ANSWERED": `\Answered`,
	"FLAGGED":  `\Flagged`,
	"DELETED":  `\Deleted`,
	"DRAFT":    `\Draft`,
}

// xflag reads a flag a client may set: a system flag (spelt as RFC 3501
// spells it, whatever case was sent) or a keyword. \Recent is the server's
// alone (RFC 3501 2.3.2) and other \names are no flags.
func (p *parser) xflag() string {
	if p.take('\\') {
		name := p.scan(atomCharacter)
		if flag, ok := settableSystemFlags[strings.ToUpper(name)]; ok {
			return flag
		}
		if strings.EqualFold(name, "Recent") {
			p.xfailf(`\Recent cannot be set by a client`)
		}
		p.xfailf(`Unknown system flag \%s`, quoteForMessage(name))
	}
	return p.scan(atomCharacter)
}

// xflagOrFail is xflag with the empty flag refused.
func (p *parser) xflagOrFail() string {
	flag := p.xflag()
	if flag == "" {
		p.xfailf("Invalid flag")
	}
	return flag
}

// xflagList reads flag-list: "(" [flag *(SP flag)] ")".
func (p *parser) xflagList() []string {
	flags := []string{}
	p.xlist("flag list", true, func() { flags = append(flags, p.xflagOrFail()) })
	return flags
}

var dateMonths = map[string]time.Month{
	"JAN": time.January, "FEB": time.February, "MAR": time.March,
	"APR": time.April, "MAY": time.May, "JUN": time.June,
	"JUL": time.July, "AUG": time.August, "SEP": time.September,
	"OCT": time.October, "NOV": time.November, "DEC": time.December,
}

// xdate reads SEARCH's date: date-text, or date-text in double quotes.
// The result is the day's midnight in UTC.
func (p *parser) xdate(what string) time.Time {
	quoted := p.take('"')
	day := p.xdigits(what, 1, 2)
	if !p.take('-') {
		p.xfailf("Invalid %s", what)
	}
	month := p.xmonth(what)
	if !p.take('-') {
		p.xfailf("Invalid %s", what)
	}
	year := p.xdigits(what, 4, 4)
	if quoted && !p.take('"') {
		p.xfailf("Invalid %s", what)
	}
	return p.xvalidDate(what, year, month, day, 0, 0, 0, time.UTC)
}

// xdateTime reads date-time, as APPEND takes it:
// "dd-Mon-yyyy hh:mm:ss +zzzz" with the day possibly space-padded.
func (p *parser) xdateTime() time.Time {
	const what = "date-time"
	if !p.take('"') {
		p.xfailf("Invalid %s", what)
	}
	p.take(' ') // date-day-fixed: a one-digit day is space-padded
	day := p.xdigits(what, 1, 2)
	if !p.take('-') {
		p.xfailf("Invalid %s", what)
	}
	month := p.xmonth(what)
	if !p.take('-') {
		p.xfailf("Invalid %s", what)
	}
	year := p.xdigits(what, 4, 4)
	if !p.take(' ') {
		p.xfailf("Invalid %s", what)
	}
	hour := p.xdigits(what, 2, 2)
	if !p.take(':') {
		p.xfailf("Invalid %s", what)
	}
	minute := p.xdigits(what, 2, 2)
	if !p.take(':') {
		p.xfailf("Invalid %s", what)
	}
	second := p.xdigits(what, 2, 2)
	if !p.take(' ') {
		p.xfailf("Invalid %s", what)
	}
	sign := 1
	switch {
	case p.take('+'):
	case p.take('-'):
		sign = -1
	default:
		p.xfailf("Invalid %s: bad time zone", what)
	}
	zone := p.xdigits(what, 4, 4)
	if zone%100 > 59 {
		p.xfailf("Invalid %s: bad time zone", what)
	}
	if !p.take('"') {
		p.xfailf("Invalid %s", what)
	}
	if hour > 23 || minute > 59 || second > 60 {
		p.xfailf("Invalid %s: bad time", what)
	}
	offset := sign * (zone/100*3600 + zone%100*60)
	return p.xvalidDate(what, year, month, day, hour, minute, second, time.FixedZone("", offset))
}

// xvalidDate builds a time, refusing days the month does not have.
func (p *parser) xvalidDate(what string, year int, month time.Month, day, hour, minute, second int, loc *time.Location) time.Time {
	if day < 1 || time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Day() != day {
		p.xfailf("Invalid %s: no such day", what)
	}
	// A leap second (60) becomes the next minute's first.
	return time.Date(year, month, day, hour, minute, second, 0, loc)
}

// xdigits reads between min and max digits as a number.
func (p *parser) xdigits(what string, min, max int) int {
	n := 0
	count := 0
	for count < max && digitCharacter(p.peek()) {
		n = n*10 + int(p.raw[p.pos]-'0')
		p.pos++
		count++
	}
	if count < min {
		p.xfailf("Invalid %s", what)
	}
	return n
}

func (p *parser) xmonth(what string) time.Month {
	if p.pos+3 > len(p.raw) {
		p.xfailf("Invalid %s", what)
	}
	month, ok := dateMonths[strings.ToUpper(string(p.raw[p.pos:p.pos+3]))]
	if !ok {
		p.xfailf("Invalid %s: bad month", what)
	}
	p.pos += 3
	return month
}
