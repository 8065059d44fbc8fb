package imap

import "time"

// Command is one parsed client command (RFC 3501 9, plus the extensions'
// grammars). The parser fills the fields its command uses; the session never
// looks at raw bytes.
type Command struct {
	Tag  string
	Name string // upper case, without "UID": "FETCH", "UID FETCH" gives "FETCH" and UID true
	UID  bool   // UID COPY/FETCH/MOVE/SEARCH/SORT/STORE/EXPUNGE

	// Mailbox is the mailbox argument as sent (still modified UTF-7; the
	// session decodes it): SELECT, EXAMINE, CREATE, DELETE, SUBSCRIBE,
	// UNSUBSCRIBE, STATUS, APPEND, GETQUOTAROOT, GETACL, SETACL, DELETEACL,
	// LISTRIGHTS, MYRIGHTS; RENAME's source; COPY's and MOVE's destination;
	// LIST's and LSUB's reference name.
	Mailbox string
	// NewMailbox is RENAME's destination.
	NewMailbox string
	// Pattern is LIST's and LSUB's mailbox name with wildcards.
	Pattern string

	// LOGIN.
	User, Password string
	// AUTHENTICATE: the mechanism (upper case) and the SASL-IR initial
	// response (RFC 4959), base64 as sent; HasInitialResponse is false when
	// none was given ("=" is an empty one).
	Mechanism          string
	InitialResponse    string
	HasInitialResponse bool

	// SeqSet is the sequence set (or UID set when UID) of FETCH, STORE, COPY,
	// MOVE and UID EXPUNGE.
	SeqSet SeqSet

	// FETCH: the items, macros (ALL, FAST, FULL) already expanded.
	Fetch []FetchItem

	// STORE: the mode, .SILENT, and the flags. APPEND's flags too.
	StoreMode StoreMode
	Silent    bool
	Flags     []string // as sent: "\Seen", "$Forwarded", ...

	// APPEND: the optional date-time (zero when absent) and the message.
	Date    time.Time
	Literal []byte

	// SEARCH and SORT: the charset (upper case, "" when not given) and the
	// keys, ANDed under one node with Op "AND".
	Charset string
	Search  *SearchKey
	// SORT (RFC 5256): the sort criteria.
	SortKeys []SortKey

	// STATUS: the items asked for, upper case.
	StatusItems []string

	// ACL (RFC 4314): SETACL/DELETEACL/LISTRIGHTS's identifier and SETACL's
	// rights, with a leading "+" or "-" kept.
	Identifier string
	Rights     string

	// QUOTA (RFC 9208): GETQUOTA's and SETQUOTA's root, SETQUOTA's limits
	// (resource name upper case → limit).
	QuotaRoot   string
	QuotaLimits map[string]int64

	// ID (RFC 2971): the client's field/value pairs, nil for "ID NIL".
	// A NIL value is kept as "".
	IDParams map[string]string

	// ENABLE (RFC 5161): the capabilities, upper case.
	Capabilities []string
}

// SeqRange is a range of message sequence numbers or UIDs; 0 stands for "*"
// (the largest number in use). Start may be larger than Stop (RFC 3501 9:
// "4:2" is "2:4").
type SeqRange struct{ Start, Stop uint32 }

// SeqSet is a sequence set.
type SeqSet []SeqRange

// Contains says whether n is in the set when "*" is max.
func (s SeqSet) Contains(n, max uint32) bool {
	for _, r := range s {
		lo, hi := r.Start, r.Stop
		if lo == 0 {
			lo = max
		}
		if hi == 0 {
			hi = max
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if n >= lo && n <= hi {
			return true
		}
	}
	return false
}

// StoreMode is how STORE changes flags.
type StoreMode int

const (
	StoreReplace StoreMode = iota // FLAGS
	StoreAdd                      // +FLAGS
	StoreRemove                   // -FLAGS
)

// FetchItem is one data item of FETCH (RFC 3501 6.4.5).
type FetchItem struct {
	// Name is upper case: ENVELOPE, FLAGS, INTERNALDATE, RFC822,
	// RFC822.HEADER, RFC822.SIZE, RFC822.TEXT, BODY, BODYSTRUCTURE, UID,
	// or BODY for BODY[section]<partial> and BODY.PEEK[...] (HasSection).
	Name       string
	HasSection bool
	Peek       bool // BODY.PEEK
	Section    Section
	// Partial: <Start.Length>, when HasPartial.
	HasPartial    bool
	PartialStart  uint32
	PartialLength uint32
}

// Section is a BODY[] section specification (RFC 3501 6.4.5).
type Section struct {
	Part      []int    // 1.2.3; empty: the whole message
	Specifier string   // "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME" (upper case)
	Fields    []string // for HEADER.FIELDS (NOT), as sent
}

// SearchKey is a node of a SEARCH criteria tree (RFC 3501 6.4.4).
type SearchKey struct {
	// Op is the key, upper case: ALL, ANSWERED, BCC, BEFORE, BODY, CC,
	// DELETED, DRAFT, FLAGGED, FROM, HEADER, KEYWORD, LARGER, NEW, NOT, OLD,
	// ON, OR, RECENT, SEEN, SENTBEFORE, SENTON, SENTSINCE, SINCE, SMALLER,
	// SUBJECT, TEXT, TO, UID, UNANSWERED, UNDELETED, UNDRAFT, UNFLAGGED,
	// UNKEYWORD, UNSEEN; "SEQ" for a bare sequence set; "AND" for a
	// parenthesised list and for the top level.
	Op       string
	Field    string       // HEADER's field name
	Value    string       // the string argument, KEYWORD's flag
	Date     time.Time    // the date argument (a day, UTC midnight)
	Number   int64        // LARGER, SMALLER
	SeqSet   SeqSet       // UID, SEQ
	Children []*SearchKey // NOT: 1, OR: 2, AND: any
}

// SortKey is a SORT criterion (RFC 5256): ARRIVAL, CC, DATE, FROM, SIZE,
// SUBJECT, TO.
type SortKey struct {
	Key     string
	Reverse bool
}
