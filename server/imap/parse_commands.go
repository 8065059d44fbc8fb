package imap

import (
	"math"
	"strings"
)

// This file parses a command's tag and name and the arguments of each
// command (RFC 3501 6 and 9, and the extensions' grammars); FETCH's items
// are in parse_fetch.go, SEARCH's and SORT's criteria in parse_search.go.

// argumentParser reads a command's arguments after its name into c.
type argumentParser func(p *parser, c *Command)

// commandParsers are the commands by upper-case name.
var commandParsers = map[string]argumentParser{
	// RFC 3501 6.1: any state.
	"CAPABILITY": parseNoArguments,
	"NOOP":       parseNoArguments,
	"LOGOUT":     parseNoArguments,
	// RFC 3501 6.2: not authenticated.
	"STARTTLS":     parseNoArguments,
	"AUTHENTICATE": parseAuthenticateArguments,
	"LOGIN":        parseLoginArguments,
	// RFC 3501 6.3: authenticated.
	"SELECT":      parseMailboxArguments,
	"EXAMINE":     parseMailboxArguments,
	"CREATE":      parseMailboxArguments,
	"DELETE":      parseMailboxArguments,
	"RENAME":      parseRenameArguments,
	"SUBSCRIBE":   parseMailboxArguments,
	"UNSUBSCRIBE": parseMailboxArguments,
	"LIST":        parseListArguments,
	"LSUB":        parseListArguments,
	"STATUS":      parseStatusArguments,
	"APPEND":      parseAppendArguments,
	// RFC 3501 6.4: selected.
	"CHECK":   parseNoArguments,
	"CLOSE":   parseNoArguments,
	"EXPUNGE": parseNoArguments,
	"SEARCH":  parseSearchArguments,
	"FETCH":   parseFetchArguments,
	"STORE":   parseStoreArguments,
	"COPY":    parseCopyArguments,
	// Extensions.
	"IDLE":         parseNoArguments,        // RFC 2177
	"NAMESPACE":    parseNoArguments,        // RFC 2342
	"MOVE":         parseCopyArguments,      // RFC 6851
	"UNSELECT":     parseNoArguments,        // RFC 3691
	"ENABLE":       parseEnableArguments,    // RFC 5161
	"ID":           parseIDArguments,        // RFC 2971
	"SORT":         parseSortArguments,      // RFC 5256
	"GETQUOTA":     parseQuotaRootArguments, // RFC 9208
	"GETQUOTAROOT": parseMailboxArguments,
	"SETQUOTA":     parseSetQuotaArguments,
	"SETACL":       parseSetACLArguments, // RFC 4314
	"DELETEACL":    parseMailboxIdentifierArguments,
	"GETACL":       parseMailboxArguments,
	"LISTRIGHTS":   parseMailboxIdentifierArguments,
	"MYRIGHTS":     parseMailboxArguments,
}

// uidCommandParsers are the commands UID may precede (RFC 3501 6.4.8;
// EXPUNGE from UIDPLUS, RFC 4315; MOVE, RFC 6851; SORT, RFC 5256).
var uidCommandParsers = map[string]argumentParser{
	"COPY":    parseCopyArguments,
	"FETCH":   parseFetchArguments,
	"STORE":   parseStoreArguments,
	"SEARCH":  parseSearchArguments,
	"EXPUNGE": parseUIDExpungeArguments,
	"MOVE":    parseCopyArguments,
	"SORT":    parseSortArguments,
}

func parseCommandBytes(raw []byte) (cmd *Command, err error) {
	c := &Command{Tag: "*"}
	defer func() {
		if r := recover(); r != nil {
			failure, ok := r.(parseFailure)
			if !ok {
				panic(r)
			}
			cmd, err = nil, &ParseError{Tag: c.Tag, Msg: failure.msg}
		}
	}()
	p := &parser{raw: raw}
	if p.atEnd() {
		p.xfailf("Empty command line")
	}
	tag := p.scan(tagCharacter)
	if tag == "" || !p.atEnd() && p.peek() != ' ' {
		p.xfailf("Missing or invalid tag")
	}
	c.Tag = tag
	p.xspace("command name")
	c.Name = p.xkeyword("command name")
	parse, ok := commandParsers[c.Name]
	if c.Name == "UID" {
		p.xspace("command after UID")
		c.UID = true
		c.Name = p.xkeyword("command after UID")
		if parse, ok = uidCommandParsers[c.Name]; !ok {
			p.xfailf("Unknown command UID %s", quoteForMessage(c.Name))
		}
	}
	if !ok {
		p.xfailf("Unknown command %s", quoteForMessage(c.Name))
	}
	p.name = c.Name
	if c.UID {
		p.name = "UID " + c.Name
	}
	parse(p, c)
	p.xend()
	return c, nil
}

func parseNoArguments(*parser, *Command) {}

// parseMailboxArguments: command SP mailbox.
func parseMailboxArguments(p *parser, c *Command) {
	p.xspace("mailbox name")
	c.Mailbox = p.xmailbox("mailbox name")
}

// parseAuthenticateArguments: "AUTHENTICATE" SP auth-type [SP (base64 /
// "=")], the initial response being SASL-IR's (RFC 4959).
func parseAuthenticateArguments(p *parser, c *Command) {
	p.xspace("authentication mechanism")
	c.Mechanism = p.xkeyword("authentication mechanism")
	if p.atEnd() {
		return
	}
	p.xspace("initial response")
	c.HasInitialResponse = true
	response := p.scan(base64Character)
	if response == "=" { // an empty initial response
		return
	}
	if !validBase64(response) {
		p.xfailf("Invalid initial response: expected base64")
	}
	c.InitialResponse = response
}

func base64Character(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || digitCharacter(c) || c == '+' || c == '/' || c == '='
}

// validBase64 checks RFC 3501's base64: groups of four characters, the last
// possibly padded with "=".
func validBase64(s string) bool {
	if s == "" || len(s)%4 != 0 {
		return false
	}
	body := strings.TrimRight(s, "=")
	if len(s)-len(body) > 2 {
		return false
	}
	return !strings.Contains(body, "=")
}

// parseLoginArguments: "LOGIN" SP userid SP password.
func parseLoginArguments(p *parser, c *Command) {
	p.xspace("user name")
	c.User = p.xastring("user name")
	p.xspace("password")
	c.Password = p.xastring("password")
}

// parseRenameArguments: "RENAME" SP mailbox SP mailbox.
func parseRenameArguments(p *parser, c *Command) {
	p.xspace("mailbox name")
	c.Mailbox = p.xmailbox("mailbox name")
	p.xspace("new mailbox name")
	c.NewMailbox = p.xmailbox("new mailbox name")
}

// parseListArguments: ("LIST" / "LSUB") SP mailbox SP list-mailbox.
func parseListArguments(p *parser, c *Command) {
	p.xspace("reference name")
	c.Mailbox = p.xmailbox("reference name")
	p.xspace("mailbox pattern")
	c.Pattern = p.xlistMailbox("mailbox pattern")
}

// statusItemNames are STATUS's status-att (RFC 3501 6.3.10).
var statusItemNames = map[string]bool{"MESSAGES": true, "RECENT": true, "UIDNEXT": true, "UIDVALIDITY": true, "UNSEEN": true}

// parseStatusArguments: "STATUS" SP mailbox SP "(" status-att *(SP
// status-att) ")".
func parseStatusArguments(p *parser, c *Command) {
	parseMailboxArguments(p, c)
	p.xspace("status items")
	p.xlist("status item list", false, func() {
		item := p.xkeyword("status item")
		if !statusItemNames[item] {
			p.xfailf("Unknown STATUS item %s", quoteForMessage(item))
		}
		c.StatusItems = append(c.StatusItems, item)
	})
}

// parseAppendArguments: "APPEND" SP mailbox [SP flag-list] [SP date-time] SP
// literal.
func parseAppendArguments(p *parser, c *Command) {
	parseMailboxArguments(p, c)
	p.xspace("message literal")
	if p.peek() == '(' {
		c.Flags = p.xflagList()
		p.xspace("message literal")
	}
	if p.peek() == '"' {
		c.Date = p.xdateTime()
		p.xspace("message literal")
	}
	if p.peek() != '{' {
		p.xfailf("Missing message literal")
	}
	// NUL is outside CHAR8, but refusing a stored message for it would
	// only lose mail: the message is kept as sent.
	c.Literal = p.xliteral("message", true)
}

// parseStoreArguments: "STORE" SP sequence-set SP store-att-flags, where
// store-att-flags is (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list /
// (flag *(SP flag))).
func parseStoreArguments(p *parser, c *Command) {
	p.xspace("sequence set")
	c.SeqSet = p.xseqSet()
	p.xspace("message data item name")
	switch {
	case p.take('+'):
		c.StoreMode = StoreAdd
	case p.take('-'):
		c.StoreMode = StoreRemove
	}
	switch p.xkeyword("message data item name") {
	case "FLAGS":
	case "FLAGS.SILENT":
		c.Silent = true
	default:
		p.xfailf("Invalid STORE data item: expected FLAGS, +FLAGS or -FLAGS")
	}
	p.xspace("flags")
	if p.peek() == '(' {
		c.Flags = p.xflagList()
		return
	}
	c.Flags = []string{p.xflagOrFail()}
	for p.take(' ') {
		c.Flags = append(c.Flags, p.xflagOrFail())
	}
}

// parseCopyArguments: ("COPY" / "MOVE") SP sequence-set SP mailbox.
func parseCopyArguments(p *parser, c *Command) {
	p.xspace("sequence set")
	c.SeqSet = p.xseqSet()
	parseMailboxArguments(p, c)
}

// parseUIDExpungeArguments: "UID EXPUNGE" SP sequence-set (RFC 4315).
func parseUIDExpungeArguments(p *parser, c *Command) {
	p.xspace("sequence set")
	c.SeqSet = p.xseqSet()
}

// parseEnableArguments: "ENABLE" 1*(SP capability) (RFC 5161).
func parseEnableArguments(p *parser, c *Command) {
	p.xspace("capability")
	c.Capabilities = append(c.Capabilities, p.xkeyword("capability"))
	for p.take(' ') {
		c.Capabilities = append(c.Capabilities, p.xkeyword("capability"))
	}
}

// RFC 2971 3.3's bounds on ID's parameters.
const (
	maxIDPairs       = 30
	maxIDFieldLength = 30
	maxIDValueLength = 1024
)

// parseIDArguments: "ID" SP ("(" *(string SP nstring) ")" / nil) (RFC 2971).
func parseIDArguments(p *parser, c *Command) {
	p.xspace("ID parameters")
	if p.peek() != '(' {
		if !strings.EqualFold(p.scan(atomCharacter), "NIL") {
			p.xfailf("Invalid ID parameters: expected a list or NIL")
		}
		return
	}
	c.IDParams = map[string]string{}
	pairs := 0
	p.xlist("ID parameter list", true, func() {
		if pairs++; pairs > maxIDPairs {
			p.xfailf("Too many ID parameters (at most %d)", maxIDPairs)
		}
		field := p.xstring("ID field name")
		p.xspace("ID field value")
		value, _ := p.xnstring("ID field value")
		if len(field) > maxIDFieldLength || len(value) > maxIDValueLength {
			p.xfailf("ID field name or value too long")
		}
		c.IDParams[field] = value
	})
}

// parseQuotaRootArguments: "GETQUOTA" SP quota-root-name (RFC 9208).
func parseQuotaRootArguments(p *parser, c *Command) {
	p.xspace("quota root")
	c.QuotaRoot = p.xastring("quota root")
}

// parseSetQuotaArguments: "SETQUOTA" SP quota-root-name SP "("
// [resource-name SP resource-limit *(SP resource-name SP resource-limit)]
// ")" (RFC 9208).
func parseSetQuotaArguments(p *parser, c *Command) {
	parseQuotaRootArguments(p, c)
	p.xspace("quota limits")
	c.QuotaLimits = map[string]int64{}
	p.xlist("quota limit list", true, func() {
		resource := p.xkeyword("quota resource name")
		p.xspace("quota limit")
		c.QuotaLimits[resource] = int64(p.xnumber("quota limit", math.MaxInt64))
	})
}

// parseMailboxIdentifierArguments: command SP mailbox SP identifier (RFC 4314).
func parseMailboxIdentifierArguments(p *parser, c *Command) {
	parseMailboxArguments(p, c)
	p.xspace("identifier")
	c.Identifier = p.xastring("identifier")
}

// parseSetACLArguments: "SETACL" SP mailbox SP identifier SP mod-rights, where
// mod-rights is ["+" / "-"] rights, lower-case letters and digits
// (RFC 4314 2 and 9).
func parseSetACLArguments(p *parser, c *Command) {
	parseMailboxIdentifierArguments(p, c)
	p.xspace("rights")
	c.Rights = p.xastring("rights")
	rights := strings.TrimLeft(c.Rights, "+-")
	if len(c.Rights)-len(rights) > 1 {
		p.xfailf("Invalid rights")
	}
	for i := 0; i < len(rights); i++ {
		if r := rights[i]; !(r >= 'a' && r <= 'z' || digitCharacter(r)) {
			p.xfailf("Invalid rights: only lower-case letters and digits")
		}
	}
}
