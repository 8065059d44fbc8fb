package imap

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkParsed parses raw (a CRLF is added) and compares the command with
// want; the dates are compared as instants with their offsets.
func checkParsed(t *testing.T, raw string, want *Command) {
	t.Helper()
	got, err := ParseCommand([]byte(raw + "\r\n"))
	if err != nil {
		t.Fatalf("ParseCommand(%q): %v", raw, err)
	}
	if !got.Date.Equal(want.Date) {
		t.Errorf("ParseCommand(%q) date %v, want %v", raw, got.Date, want.Date)
	}
	_, gotOffset := got.Date.Zone()
	_, wantOffset := want.Date.Zone()
	if gotOffset != wantOffset {
		t.Errorf("ParseCommand(%q) date offset %d, want %d", raw, gotOffset, wantOffset)
	}
	gotCopy, wantCopy := *got, *want
	gotCopy.Date, wantCopy.Date = time.Time{}, time.Time{}
	if !reflect.DeepEqual(&gotCopy, &wantCopy) {
		t.Errorf("ParseCommand(%q)\n got %s\nwant %s", raw, dumpCommand(&gotCopy), dumpCommand(&wantCopy))
	}
}

// dumpCommand shows a command with its search tree spelt out.
func dumpCommand(c *Command) string {
	s := fmt.Sprintf("%+v", *c)
	if c.Search != nil {
		s += " search=" + dumpSearchKey(c.Search)
	}
	return s
}

func dumpSearchKey(k *SearchKey) string {
	s := fmt.Sprintf("{%s field=%q value=%q date=%v n=%d set=%v", k.Op, k.Field, k.Value, k.Date, k.Number, k.SeqSet)
	for _, child := range k.Children {
		s += " " + dumpSearchKey(child)
	}
	return s + "}"
}

func utcDay(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}

// allOf is the AND node over keys, as SEARCH's top level and parentheses give.
func allOf(keys ...*SearchKey) *SearchKey { return &SearchKey{Op: "AND", Children: keys} }

func TestParseCommandWithoutArguments(t *testing.T) {
	for _, name := range []string{"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "CHECK", "CLOSE", "EXPUNGE", "IDLE", "NAMESPACE", "UNSELECT"} {
		t.Run(name, func(t *testing.T) {
			checkParsed(t, "a1 "+name, &Command{Tag: "a1", Name: name})
			checkParsed(t, "a1 "+strings.ToLower(name), &Command{Tag: "a1", Name: name})
			_, err := ParseCommand([]byte("a1 " + name + " x\r\n"))
			checkParseError(t, err, "a1", "Too many arguments to "+name)
		})
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want *Command
	}{
		// Tags, names, line endings.
		{"tag_may_hold_brackets_and_dots", "A.1]x NOOP", &Command{Tag: "A.1]x", Name: "NOOP"}},

		// LOGIN and AUTHENTICATE.
		{"login_atoms", "a LOGIN fred secret", &Command{Tag: "a", Name: "LOGIN", User: "fred", Password: "secret"}},
		{"login_quoted_with_escapes", `a LOGIN "fred smith" "se\"cr\\et"`, &Command{Tag: "a", Name: "LOGIN", User: "fred smith", Password: `se"cr\et`}},
		{"login_literals", "a LOGIN {4}\r\nfred {6+}\r\n(x y)]", &Command{Tag: "a", Name: "LOGIN", User: "fred", Password: "(x y)]"}},
		{"login_empty_password", `a LOGIN fred ""`, &Command{Tag: "a", Name: "LOGIN", User: "fred"}},
		{"login_utf8_quoted", "a LOGIN \"jöe\" x", &Command{Tag: "a", Name: "LOGIN", User: "jöe", Password: "x"}},
		{"authenticate_without_initial_response", "a AUTHENTICATE plain", &Command{Tag: "a", Name: "AUTHENTICATE", Mechanism: "PLAIN"}},
		{"authenticate_sasl_ir", "a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0", &Command{Tag: "a", Name: "AUTHENTICATE", Mechanism: "PLAIN", InitialResponse: "AGZyZWQAc2VjcmV0", HasInitialResponse: true}},
		{"authenticate_sasl_ir_padded", "a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0MQ==", &Command{Tag: "a", Name: "AUTHENTICATE", Mechanism: "PLAIN", InitialResponse: "AGZyZWQAc2VjcmV0MQ==", HasInitialResponse: true}},
		{"authenticate_sasl_ir_empty", "a AUTHENTICATE EXTERNAL =", &Command{Tag: "a", Name: "AUTHENTICATE", Mechanism: "EXTERNAL", HasInitialResponse: true}},
		{"authenticate_mechanism_with_dash", "a AUTHENTICATE cram-md5", &Command{Tag: "a", Name: "AUTHENTICATE", Mechanism: "CRAM-MD5"}},

		// Mailbox commands.
		{"select_inbox_any_case", "a SELECT iNbOx", &Command{Tag: "a", Name: "SELECT", Mailbox: "INBOX"}},
		{"select_quoted_inbox", `a SELECT "inbox"`, &Command{Tag: "a", Name: "SELECT", Mailbox: "INBOX"}},
		{"select_inbox_child_keeps_case", "a SELECT inbox/Sub", &Command{Tag: "a", Name: "SELECT", Mailbox: "inbox/Sub"}},
		{"select_modified_utf7_as_sent", "a SELECT &ZeVnLIqe-", &Command{Tag: "a", Name: "SELECT", Mailbox: "&ZeVnLIqe-"}},
		{"examine_literal", "a EXAMINE {8}\r\nA (b) \"c", &Command{Tag: "a", Name: "EXAMINE", Mailbox: `A (b) "c`}},
		{"create_with_bracket", "a CREATE Lists]", &Command{Tag: "a", Name: "CREATE", Mailbox: "Lists]"}},
		{"delete", "a DELETE Old", &Command{Tag: "a", Name: "DELETE", Mailbox: "Old"}},
		{"rename", "a RENAME Old \"New one\"", &Command{Tag: "a", Name: "RENAME", Mailbox: "Old", NewMailbox: "New one"}},
		{"rename_inbox", "a RENAME inbox Archive", &Command{Tag: "a", Name: "RENAME", Mailbox: "INBOX", NewMailbox: "Archive"}},
		{"subscribe", "a SUBSCRIBE Sent", &Command{Tag: "a", Name: "SUBSCRIBE", Mailbox: "Sent"}},
		{"unsubscribe", "a UNSUBSCRIBE Sent", &Command{Tag: "a", Name: "UNSUBSCRIBE", Mailbox: "Sent"}},
		{"list_wildcards", `a LIST "" *`, &Command{Tag: "a", Name: "LIST", Pattern: "*"}},
		{"list_percent_and_reference", "a LIST ~/Mail/ %", &Command{Tag: "a", Name: "LIST", Mailbox: "~/Mail/", Pattern: "%"}},
		{"list_empty_pattern", `a LIST "" ""`, &Command{Tag: "a", Name: "LIST"}},
		{"list_pattern_mixed", "a LIST \"\" INBOX/%/x*]", &Command{Tag: "a", Name: "LIST", Pattern: "INBOX/%/x*]"}},
		{"list_pattern_literal", "a LIST \"\" {3+}\r\na*b", &Command{Tag: "a", Name: "LIST", Pattern: "a*b"}},
		{"lsub", `a LSUB "#news." "comp.mail.*"`, &Command{Tag: "a", Name: "LSUB", Mailbox: "#news.", Pattern: "comp.mail.*"}},
		{"status_all_items", "a STATUS blurdybloop (MESSAGES RECENT UIDNEXT UIDVALIDITY unseen)", &Command{Tag: "a", Name: "STATUS", Mailbox: "blurdybloop", StatusItems: []string{"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"}}},

		// APPEND.
		{"append_bare", "a APPEND saved {5}\r\nHello", &Command{Tag: "a", Name: "APPEND", Mailbox: "saved", Literal: []byte("Hello")}},
		{"append_flags", "a APPEND saved (\\Seen \\draft $Label) {2+}\r\nHi", &Command{Tag: "a", Name: "APPEND", Mailbox: "saved", Flags: []string{`\Seen`, `\Draft`, "$Label"}, Literal: []byte("Hi")}},
		{"append_empty_flags", "a APPEND saved () {2}\r\nHi", &Command{Tag: "a", Name: "APPEND", Mailbox: "saved", Flags: []string{}, Literal: []byte("Hi")}},
		{"append_date", "a APPEND saved \"17-Jul-1996 02:44:25 -0700\" {2}\r\nHi", &Command{Tag: "a", Name: "APPEND", Mailbox: "saved", Date: time.Date(1996, 7, 17, 2, 44, 25, 0, time.FixedZone("", -7*3600)), Literal: []byte("Hi")}},
		{"append_date_space_padded_day", "a APPEND saved \" 7-jul-1996 02:44:25 +0530\" {2}\r\nHi", &Command{Tag: "a", Name: "APPEND", Mailbox: "saved", Date: time.Date(1996, 7, 7, 2, 44, 25, 0, time.FixedZone("", 5*3600+30*60)), Literal: []byte("Hi")}},
		{"append_flags_and_date", "a APPEND INBOX (\\Flagged) \"01-Jan-2020 00:00:00 +0000\" {2}\r\nHi", &Command{Tag: "a", Name: "APPEND", Mailbox: "INBOX", Flags: []string{`\Flagged`}, Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Literal: []byte("Hi")}},
		{"append_literal_mailbox", "a APPEND {4}\r\nMy B {2}\r\nHi", &Command{Tag: "a", Name: "APPEND", Mailbox: "My B", Literal: []byte("Hi")}},
		{"append_keeps_nul_and_8bit", "a APPEND x {4}\r\na\x00\xffb", &Command{Tag: "a", Name: "APPEND", Mailbox: "x", Literal: []byte("a\x00\xffb")}},
		{"append_bare_lf", "a APPEND x {2}\nHi", &Command{Tag: "a", Name: "APPEND", Mailbox: "x", Literal: []byte("Hi")}},

		// COPY, MOVE, EXPUNGE, STORE.
		{"copy", "a COPY 2:4 MEETING", &Command{Tag: "a", Name: "COPY", SeqSet: SeqSet{{2, 4}}, Mailbox: "MEETING"}},
		{"uid_copy", "a uid copy 1,3:*,7 Trash", &Command{Tag: "a", Name: "COPY", UID: true, SeqSet: SeqSet{{1, 1}, {3, 0}, {7, 7}}, Mailbox: "Trash"}},
		{"move", "a MOVE * inbox", &Command{Tag: "a", Name: "MOVE", SeqSet: SeqSet{{0, 0}}, Mailbox: "INBOX"}},
		{"uid_move", "a UID MOVE 42:40 Archive", &Command{Tag: "a", Name: "MOVE", UID: true, SeqSet: SeqSet{{42, 40}}, Mailbox: "Archive"}},
		{"uid_expunge", "a UID EXPUNGE 3000:3002", &Command{Tag: "a", Name: "EXPUNGE", UID: true, SeqSet: SeqSet{{3000, 3002}}}},
		{"sequence_set_largest_number", "a COPY 4294967295 x", &Command{Tag: "a", Name: "COPY", SeqSet: SeqSet{{4294967295, 4294967295}}, Mailbox: "x"}},
		{"store_flags", `a STORE 2:4 FLAGS (\Deleted)`, &Command{Tag: "a", Name: "STORE", SeqSet: SeqSet{{2, 4}}, StoreMode: StoreReplace, Flags: []string{`\Deleted`}}},
		{"store_add_silent", `a STORE 1 +FLAGS.SILENT (\Seen $Junk)`, &Command{Tag: "a", Name: "STORE", SeqSet: SeqSet{{1, 1}}, StoreMode: StoreAdd, Silent: true, Flags: []string{`\Seen`, "$Junk"}}},
		{"store_remove_unparenthesised", `a STORE 1:* -flags \Seen \ANSWERED`, &Command{Tag: "a", Name: "STORE", SeqSet: SeqSet{{1, 0}}, StoreMode: StoreRemove, Flags: []string{`\Seen`, `\Answered`}}},
		{"store_clear", "a UID STORE 5 FLAGS ()", &Command{Tag: "a", Name: "STORE", UID: true, SeqSet: SeqSet{{5, 5}}, Flags: []string{}}},
		{"store_keyword", "a STORE 1 +FLAGS NonJunk", &Command{Tag: "a", Name: "STORE", SeqSet: SeqSet{{1, 1}}, StoreMode: StoreAdd, Flags: []string{"NonJunk"}}},

		// Extensions.
		{"enable", "a ENABLE condstore UTF8=ACCEPT", &Command{Tag: "a", Name: "ENABLE", Capabilities: []string{"CONDSTORE", "UTF8=ACCEPT"}}},
		{"id_nil", "a ID nil", &Command{Tag: "a", Name: "ID"}},
		{"id_empty", "a ID ()", &Command{Tag: "a", Name: "ID", IDParams: map[string]string{}}},
		{"id_pairs", `a ID ("name" "sodr" "version" "19.34" "vendor" NIL)`, &Command{Tag: "a", Name: "ID", IDParams: map[string]string{"name": "sodr", "version": "19.34", "vendor": ""}}},
		{"id_literal_value", "a ID (\"name\" {3}\r\nabc)", &Command{Tag: "a", Name: "ID", IDParams: map[string]string{"name": "abc"}}},
		{"getquota", `a GETQUOTA ""`, &Command{Tag: "a", Name: "GETQUOTA"}},
		{"getquota_named", "a GETQUOTA user.fred", &Command{Tag: "a", Name: "GETQUOTA", QuotaRoot: "user.fred"}},
		{"getquotaroot", "a GETQUOTAROOT inbox", &Command{Tag: "a", Name: "GETQUOTAROOT", Mailbox: "INBOX"}},
		{"setquota", `a SETQUOTA "" (storage 512 MESSAGE 1000)`, &Command{Tag: "a", Name: "SETQUOTA", QuotaLimits: map[string]int64{"STORAGE": 512, "MESSAGE": 1000}}},
		{"setquota_remove_limits", `a SETQUOTA "" ()`, &Command{Tag: "a", Name: "SETQUOTA", QuotaLimits: map[string]int64{}}},
		{"setquota_number64", `a SETQUOTA r (STORAGE 9223372036854775807)`, &Command{Tag: "a", Name: "SETQUOTA", QuotaRoot: "r", QuotaLimits: map[string]int64{"STORAGE": 1<<63 - 1}}},
		{"setacl", "a SETACL INBOX/Drafts Chris lrswicda", &Command{Tag: "a", Name: "SETACL", Mailbox: "INBOX/Drafts", Identifier: "Chris", Rights: "lrswicda"}},
		{"setacl_add", "a SETACL Shared \"anyone\" +lr", &Command{Tag: "a", Name: "SETACL", Mailbox: "Shared", Identifier: "anyone", Rights: "+lr"}},
		{"setacl_remove", "a SETACL Shared -fred -w", &Command{Tag: "a", Name: "SETACL", Mailbox: "Shared", Identifier: "-fred", Rights: "-w"}},
		{"deleteacl", "a DELETEACL INBOX Chris", &Command{Tag: "a", Name: "DELETEACL", Mailbox: "INBOX", Identifier: "Chris"}},
		{"getacl", "a GETACL INBOX", &Command{Tag: "a", Name: "GETACL", Mailbox: "INBOX"}},
		{"listrights", "a LISTRIGHTS ~/Mail/saved smith", &Command{Tag: "a", Name: "LISTRIGHTS", Mailbox: "~/Mail/saved", Identifier: "smith"}},
		{"myrights", "a MYRIGHTS INBOX", &Command{Tag: "a", Name: "MYRIGHTS", Mailbox: "INBOX"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkParsed(t, tt.raw, tt.want) })
	}
}

func TestParseFetch(t *testing.T) {
	simple := func(names ...string) []FetchItem {
		var items []FetchItem
		for _, n := range names {
			items = append(items, FetchItem{Name: n})
		}
		return items
	}
	tests := []struct {
		name string
		raw  string
		want []FetchItem
	}{
		{"macro_all", "a FETCH 1 ALL", simple("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE")},
		{"macro_fast", "a FETCH 1 fast", simple("FLAGS", "INTERNALDATE", "RFC822.SIZE")},
		{"macro_full", "a FETCH 1 FULL", simple("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY")},
		{"single_item", "a FETCH 1 flags", simple("FLAGS")},
		{"every_simple_item", "a FETCH 1 (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE UID)",
			simple("ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.SIZE", "RFC822.TEXT", "BODY", "BODYSTRUCTURE", "UID")},
		{"whole_body", "a FETCH 1 BODY[]", []FetchItem{{Name: "BODY", HasSection: true}}},
		{"peek_header", "a FETCH 1 body.peek[header]", []FetchItem{{Name: "BODY", HasSection: true, Peek: true, Section: Section{Specifier: "HEADER"}}}},
		{"text", "a FETCH 1 BODY[TEXT]", []FetchItem{{Name: "BODY", HasSection: true, Section: Section{Specifier: "TEXT"}}}},
		{"part", "a FETCH 1 BODY[1]", []FetchItem{{Name: "BODY", HasSection: true, Section: Section{Part: []int{1}}}}},
		{"nested_part_mime", "a FETCH 1 BODY[4.2.2.MIME]", []FetchItem{{Name: "BODY", HasSection: true, Section: Section{Part: []int{4, 2, 2}, Specifier: "MIME"}}}},
		{"part_header", "a FETCH 1 BODY[3.HEADER]", []FetchItem{{Name: "BODY", HasSection: true, Section: Section{Part: []int{3}, Specifier: "HEADER"}}}},
		{"part_text", "a FETCH 1 BODY[3.TEXT]", []FetchItem{{Name: "BODY", HasSection: true, Section: Section{Part: []int{3}, Specifier: "TEXT"}}}},
		{"header_fields", "a FETCH 1 BODY[HEADER.FIELDS (DATE FROM)]", []FetchItem{{Name: "BODY", HasSection: true, Section: Section{Specifier: "HEADER.FIELDS", Fields: []string{"DATE", "FROM"}}}}},
		{"header_fields_not_quoted_field", `a FETCH 1 BODY.PEEK[header.fields.not ("Subject" x-Spam)]`, []FetchItem{{Name: "BODY", HasSection: true, Peek: true, Section: Section{Specifier: "HEADER.FIELDS.NOT", Fields: []string{"Subject", "x-Spam"}}}}},
		{"part_header_fields", "a FETCH 1 BODY[2.HEADER.FIELDS (To)]", []FetchItem{{Name: "BODY", HasSection: true, Section: Section{Part: []int{2}, Specifier: "HEADER.FIELDS", Fields: []string{"To"}}}}},
		{"partial", "a FETCH 1 BODY[]<0.2048>", []FetchItem{{Name: "BODY", HasSection: true, HasPartial: true, PartialStart: 0, PartialLength: 2048}}},
		{"partial_part", "a FETCH 1 BODY.PEEK[1.2]<100.4294967295>", []FetchItem{{Name: "BODY", HasSection: true, Peek: true, Section: Section{Part: []int{1, 2}}, HasPartial: true, PartialStart: 100, PartialLength: 4294967295}}},
		{"mixed_list", "a FETCH 1 (FLAGS BODY[HEADER.FIELDS (DATE FROM)] UID)", []FetchItem{{Name: "FLAGS"}, {Name: "BODY", HasSection: true, Section: Section{Specifier: "HEADER.FIELDS", Fields: []string{"DATE", "FROM"}}}, {Name: "UID"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkParsed(t, tt.raw, &Command{Tag: "a", Name: "FETCH", SeqSet: SeqSet{{1, 1}}, Fetch: tt.want})
		})
	}
	checkParsed(t, "a UID FETCH 1:* (UID)", &Command{Tag: "a", Name: "FETCH", UID: true, SeqSet: SeqSet{{1, 0}}, Fetch: []FetchItem{{Name: "UID"}}})
}

func TestParseSearch(t *testing.T) {
	day := utcDay(1994, time.February, 1)
	tests := []struct {
		name    string
		raw     string
		charset string
		want    *SearchKey
	}{
		{"flag_keys", "ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN", "", allOf(
			&SearchKey{Op: "ALL"}, &SearchKey{Op: "ANSWERED"}, &SearchKey{Op: "DELETED"}, &SearchKey{Op: "DRAFT"}, &SearchKey{Op: "FLAGGED"},
			&SearchKey{Op: "NEW"}, &SearchKey{Op: "OLD"}, &SearchKey{Op: "RECENT"}, &SearchKey{Op: "SEEN"}, &SearchKey{Op: "UNANSWERED"},
			&SearchKey{Op: "UNDELETED"}, &SearchKey{Op: "UNDRAFT"}, &SearchKey{Op: "UNFLAGGED"}, &SearchKey{Op: "UNSEEN"})},
		{"string_keys", `bcc a body "b c" cc {1}` + "\r\nd FROM e SUBJECT f TEXT g TO h]", "", allOf(
			&SearchKey{Op: "BCC", Value: "a"}, &SearchKey{Op: "BODY", Value: "b c"}, &SearchKey{Op: "CC", Value: "d"}, &SearchKey{Op: "FROM", Value: "e"},
			&SearchKey{Op: "SUBJECT", Value: "f"}, &SearchKey{Op: "TEXT", Value: "g"}, &SearchKey{Op: "TO", Value: "h]"})},
		{"date_keys", `BEFORE 1-Feb-1994 ON "01-feb-1994" SINCE 1-FEB-1994 SENTBEFORE 1-Feb-1994 SENTON 1-Feb-1994 SENTSINCE 1-Feb-1994`, "", allOf(
			&SearchKey{Op: "BEFORE", Date: day}, &SearchKey{Op: "ON", Date: day}, &SearchKey{Op: "SINCE", Date: day},
			&SearchKey{Op: "SENTBEFORE", Date: day}, &SearchKey{Op: "SENTON", Date: day}, &SearchKey{Op: "SENTSINCE", Date: day})},
		{"size_keys", "LARGER 1024 SMALLER 4294967295", "", allOf(&SearchKey{Op: "LARGER", Number: 1024}, &SearchKey{Op: "SMALLER", Number: 4294967295})},
		{"keyword_keys", "KEYWORD $Forwarded UNKEYWORD Junk", "", allOf(&SearchKey{Op: "KEYWORD", Value: "$Forwarded"}, &SearchKey{Op: "UNKEYWORD", Value: "Junk"})},
		{"header", `HEADER Message-ID "<a@b>" header "X-Empty" ""`, "", allOf(&SearchKey{Op: "HEADER", Field: "Message-ID", Value: "<a@b>"}, &SearchKey{Op: "HEADER", Field: "X-Empty"})},
		{"uid_and_sequence_sets", "UID 1:5,9 2,4:* *", "", allOf(&SearchKey{Op: "UID", SeqSet: SeqSet{{1, 5}, {9, 9}}}, &SearchKey{Op: "SEQ", SeqSet: SeqSet{{2, 2}, {4, 0}}}, &SearchKey{Op: "SEQ", SeqSet: SeqSet{{0, 0}}})},
		{"not_and_or", "NOT SEEN OR FROM a TO b", "", allOf(&SearchKey{Op: "NOT", Children: []*SearchKey{{Op: "SEEN"}}}, &SearchKey{Op: "OR", Children: []*SearchKey{{Op: "FROM", Value: "a"}, {Op: "TO", Value: "b"}}})},
		{"nested_parentheses", "OR (SEEN (FLAGGED 1)) NOT (DELETED)", "", allOf(&SearchKey{Op: "OR", Children: []*SearchKey{
			allOf(&SearchKey{Op: "SEEN"}, allOf(&SearchKey{Op: "FLAGGED"}, &SearchKey{Op: "SEQ", SeqSet: SeqSet{{1, 1}}})),
			{Op: "NOT", Children: []*SearchKey{allOf(&SearchKey{Op: "DELETED"})}},
		}})},
		{"or_chain", "OR OR FROM a FROM b FROM c", "", allOf(&SearchKey{Op: "OR", Children: []*SearchKey{
			{Op: "OR", Children: []*SearchKey{{Op: "FROM", Value: "a"}, {Op: "FROM", Value: "b"}}}, {Op: "FROM", Value: "c"}}})},
		{"charset", "CHARSET utf-8 SUBJECT {5}\r\nJürg", "UTF-8", allOf(&SearchKey{Op: "SUBJECT", Value: "Jürg"})},
		{"charset_quoted", `charset "US-ASCII" ALL`, "US-ASCII", allOf(&SearchKey{Op: "ALL"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkParsed(t, "a SEARCH "+tt.raw, &Command{Tag: "a", Name: "SEARCH", Charset: tt.charset, Search: tt.want})
		})
	}
	checkParsed(t, "a UID SEARCH 1:100 UID 50", &Command{Tag: "a", Name: "SEARCH", UID: true,
		Search: allOf(&SearchKey{Op: "SEQ", SeqSet: SeqSet{{1, 100}}}, &SearchKey{Op: "UID", SeqSet: SeqSet{{50, 50}}})})
}

func TestParseSearchNesting(t *testing.T) {
	deep := func(n int, open, close string) string {
		return "a SEARCH " + strings.Repeat(open, n) + "ALL" + strings.Repeat(close, n)
	}
	if _, err := ParseCommand([]byte(deep(maxSearchNesting, "(", ")") + "\r\n")); err != nil {
		t.Errorf("%d nested parentheses: %v", maxSearchNesting, err)
	}
	if _, err := ParseCommand([]byte(deep(maxSearchNesting, "NOT ", "") + "\r\n")); err != nil {
		t.Errorf("%d nested NOT: %v", maxSearchNesting, err)
	}
	for _, tt := range []struct{ name, raw string }{
		{"parentheses", deep(maxSearchNesting+1, "(", ")")},
		{"not", deep(maxSearchNesting+1, "NOT ", "")},
		{"or", "a SEARCH " + strings.Repeat("OR ALL ", maxSearchNesting+1) + "ALL"},
		{"hostile_line", deep(100000, "(", ")")},
	} {
		t.Run("too_deep_"+tt.name, func(t *testing.T) {
			_, err := ParseCommand([]byte(tt.raw + "\r\n"))
			checkParseError(t, err, "a", "Search criteria nested too deeply")
		})
	}
}

func TestParseSort(t *testing.T) {
	checkParsed(t, "a SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994", &Command{Tag: "a", Name: "SORT",
		SortKeys: []SortKey{{Key: "SUBJECT"}}, Charset: "UTF-8", Search: allOf(&SearchKey{Op: "SINCE", Date: utcDay(1994, 2, 1)})})
	checkParsed(t, `a UID SORT (reverse ARRIVAL cc DATE FROM SIZE REVERSE subject TO) "us-ascii" NOT SEEN 1:*`, &Command{Tag: "a", Name: "SORT", UID: true,
		SortKeys: []SortKey{{Key: "ARRIVAL", Reverse: true}, {Key: "CC"}, {Key: "DATE"}, {Key: "FROM"}, {Key: "SIZE"}, {Key: "SUBJECT", Reverse: true}, {Key: "TO"}},
		Charset:  "US-ASCII", Search: allOf(&SearchKey{Op: "NOT", Children: []*SearchKey{{Op: "SEEN"}}}, &SearchKey{Op: "SEQ", SeqSet: SeqSet{{1, 0}}})})
}

// TestParseRFC3501Examples parses the client commands of RFC 3501's
// section 6 examples and its section 8 sample session.
func TestParseRFC3501Examples(t *testing.T) {
	for _, raw := range []string{
		"abcd CAPABILITY", "a002 NOOP", "A023 LOGOUT", "a001 STARTTLS",
		"A001 AUTHENTICATE GSSAPI", "a001 LOGIN SMITH SESAME",
		"A142 SELECT INBOX", "A932 EXAMINE blurdybloop", "A003 CREATE owatagusiam/", "A004 CREATE owatagusiam/blurdybloop",
		"A682 LIST \"\" *", "A683 RENAME blurdybloop sarasoop", "A684 RENAME foo zowie", "A685 LIST \"\" *",
		"A683 DELETE blurdybloop", "A002 SUBSCRIBE #news.comp.mail.mime", "A002 UNSUBSCRIBE #news.comp.mail.mime",
		"A101 LIST \"\" \"\"", "A102 LIST #news.comp.mail.misc \"\"", "A103 LIST /usr/staff/jones \"\"",
		"A202 LIST ~/Mail/ %", "A002 LSUB \"#news.\" \"comp.mail.*\"", "A003 LSUB \"#news.\" \"comp.%\"",
		"A042 STATUS blurdybloop (UIDNEXT MESSAGES)",
		"A003 APPEND saved-messages (\\Seen) {310}\r\n" + strings.Repeat("x", 310),
		"FXXZ CHECK", "A341 CLOSE", "A202 EXPUNGE",
		"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"",
		"A283 SEARCH TEXT \"string not in mailbox\"",
		"A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX",
		"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
		"A003 STORE 2:4 +FLAGS (\\Deleted)",
		"A003 COPY 2:4 MEETING",
		"A999 UID FETCH 4827313:4828442 FLAGS",
		"a002 select inbox", "a003 fetch 12 full", "a004 fetch 12 body[header]",
		"a005 store 12 +flags \\deleted", "a006 logout",
	} {
		if _, err := ParseCommand([]byte(raw + "\r\n")); err != nil {
			t.Errorf("ParseCommand(%q): %v", raw, err)
		}
	}
}

// checkParseError checks that err is a *ParseError with the tag and a
// message holding msg.
func checkParseError(t *testing.T, err error, tag, msg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *ParseError", err, err)
	}
	if pe.Tag != tag || !strings.Contains(pe.Msg, msg) {
		t.Errorf("ParseError{%q, %q}, want tag %q and a message with %q", pe.Tag, pe.Msg, tag, msg)
	}
}

func TestParseCommandRefuses(t *testing.T) {
	tests := []struct {
		name, raw, tag, msg string
	}{
		{"empty_line", "", "*", "Empty command line"},
		{"tag_only", "a1", "a1", "Missing command name"},
		{"tag_with_plus", "a+1 NOOP", "*", "invalid tag"},
		{"tag_with_parenthesis", "a(1 NOOP", "*", "invalid tag"},
		{"leading_space", " NOOP", "*", "invalid tag"},
		{"two_spaces", "a  NOOP", "a", "Invalid command name"},
		{"unknown_command", "a FOO bar", "a", "Unknown command FOO"},
		{"unknown_uid_command", "a UID NOOP", "a", "Unknown command UID NOOP"},
		{"uid_alone", "a UID", "a", "Missing command after UID"},
		{"trailing_space", "a NOOP ", "a", "Too many arguments to NOOP"},
		{"control_character", "a NOOP\x01", "a", "Unexpected characters in the arguments of NOOP"},
		{"line_ending_in_middle", "a LOGIN a\r\nb c", "a", "Expected a space before the password"},

		{"login_missing_password", "a LOGIN fred", "a", "Missing password"},
		{"login_missing_everything", "a LOGIN", "a", "Missing user name"},
		{"login_extra_argument", "a LOGIN fred pw x", "a", "Too many arguments to LOGIN"},
		{"quoted_unterminated", `a LOGIN "fred pw`, "a", "Unterminated quoted user name"},
		{"quoted_bad_escape", `a LOGIN "fr\ed" pw`, "a", "Invalid escape"},
		{"quoted_nul", "a LOGIN \"f\x00\" pw", "a", "NUL character"},
		{"literal_nul", "a LOGIN {2}\r\nf\x00 pw", "a", "NUL character in user name"},
		{"literal_truncated", "a LOGIN {20}\r\nfred", "a", "Literal shorter than announced"},
		{"literal_without_line_ending", "a LOGIN {4}fred pw", "a", "Missing line ending"},
		{"literal_bad_size", "a LOGIN {x}\r\n", "a", "Invalid literal size"},
		{"literal_size_overflow", "a LOGIN {99999999999999999999}\r\n", "a", "too large"},
		{"authenticate_missing_mechanism", "a AUTHENTICATE", "a", "Missing authentication mechanism"},
		{"authenticate_bad_base64", "a AUTHENTICATE PLAIN abc", "a", "expected base64"},
		{"authenticate_bad_padding", "a AUTHENTICATE PLAIN a===", "a", "expected base64"},
		{"authenticate_two_responses", "a AUTHENTICATE PLAIN = =", "a", "Too many arguments"},

		{"select_missing_mailbox", "a SELECT", "a", "Missing mailbox name"},
		{"select_trailing_space", "a SELECT ", "a", "Missing mailbox name"},
		{"select_two_mailboxes", "a SELECT a b", "a", "Too many arguments to SELECT"},
		{"select_wildcard", "a SELECT a*", "a", "Unexpected characters"},
		{"rename_missing_destination", "a RENAME a", "a", "Missing new mailbox name"},
		{"list_missing_pattern", `a LIST ""`, "a", "Missing mailbox pattern"},
		{"status_unknown_item", "a STATUS INBOX (MESSAGES SIZE)", "a", "Unknown STATUS item SIZE"},
		{"status_empty_list", "a STATUS INBOX ()", "a", "Empty status item list"},
		{"status_unparenthesised", "a STATUS INBOX MESSAGES", "a", "Expected a parenthesised status item list"},
		{"status_unclosed", "a STATUS INBOX (MESSAGES", "a", "Missing ) after the status item list"},

		{"append_missing_literal", "a APPEND INBOX", "a", "Missing message literal"},
		{"append_quoted_message", `a APPEND INBOX "Hello"`, "a", "Invalid date-time"},
		{"append_atom_message", "a APPEND INBOX Hello", "a", "Missing message literal"},
		{"append_recent", "a APPEND INBOX (\\Recent) {1}\r\nx", "a", `\Recent cannot be set`},
		{"append_unknown_system_flag", "a APPEND INBOX (\\Important) {1}\r\nx", "a", `Unknown system flag \Important`},
		{"append_bad_month", "a APPEND INBOX \"17-Jux-1996 02:44:25 -0700\" {1}\r\nx", "a", "bad month"},
		{"append_bad_day", "a APPEND INBOX \"31-Feb-1996 02:44:25 -0700\" {1}\r\nx", "a", "no such day"},
		{"append_bad_hour", "a APPEND INBOX \"17-Jul-1996 24:44:25 -0700\" {1}\r\nx", "a", "bad time"},
		{"append_bad_zone", "a APPEND INBOX \"17-Jul-1996 02:44:25 0700\" {1}\r\nx", "a", "bad time zone"},
		{"append_zone_minutes", "a APPEND INBOX \"17-Jul-1996 02:44:25 +0760\" {1}\r\nx", "a", "bad time zone"},
		{"append_date_without_time", "a APPEND INBOX \"17-Jul-1996\" {1}\r\nx", "a", "Invalid date-time"},
		{"append_two_messages", "a APPEND INBOX {1}\r\nx {1}\r\ny", "a", "Too many arguments to APPEND"},
		{"append_flags_after_date", "a APPEND INBOX \"17-Jul-1996 02:44:25 -0700\" () {1}\r\nx", "a", "Missing message literal"},

		{"fetch_missing_items", "a FETCH 1", "a", "Missing data items"},
		{"fetch_zero", "a FETCH 0 FLAGS", "a", "Invalid sequence set"},
		{"fetch_zero_in_range", "a FETCH 1:0 FLAGS", "a", "Invalid sequence set"},
		{"fetch_leading_zero", "a FETCH 01 FLAGS", "a", "Invalid sequence set"},
		{"fetch_set_overflow", "a FETCH 4294967296 FLAGS", "a", "Invalid sequence set"},
		{"fetch_set_trailing_comma", "a FETCH 1, FLAGS", "a", "Invalid sequence set"},
		{"fetch_set_garbage", "a FETCH 1:2x FLAGS", "a", "Invalid sequence set"},
		{"fetch_set_double_colon", "a FETCH 1:2:3 FLAGS", "a", "Invalid sequence set"},
		{"fetch_unknown_item", "a FETCH 1 (FLAGS BINARY[1])", "a", "Unknown FETCH data item BINARY"},
		{"fetch_macro_in_list", "a FETCH 1 (ALL)", "a", "FETCH macro ALL must stand alone"},
		{"fetch_empty_list", "a FETCH 1 ()", "a", "Empty data item list"},
		{"fetch_mime_without_part", "a FETCH 1 BODY[MIME]", "a", "MIME needs a part number"},
		{"fetch_unknown_section", "a FETCH 1 BODY[HEADERS]", "a", "Invalid section HEADERS"},
		{"fetch_part_zero", "a FETCH 1 BODY[0]", "a", "Invalid section part"},
		{"fetch_part_trailing_dot", "a FETCH 1 BODY[1.]", "a", "Invalid section"},
		{"fetch_section_unclosed", "a FETCH 1 BODY[TEXT", "a", "Missing ] after the section"},
		{"fetch_header_fields_without_list", "a FETCH 1 BODY[HEADER.FIELDS]", "a", "Expected a space before the header field list"},
		{"fetch_header_fields_empty", "a FETCH 1 BODY[HEADER.FIELDS ()]", "a", "Empty header field list"},
		{"fetch_partial_zero_length", "a FETCH 1 BODY[]<0.0>", "a", "Invalid partial range"},
		{"fetch_partial_unclosed", "a FETCH 1 BODY[]<0.10", "a", "Invalid partial range"},
		{"fetch_peek_without_section", "a FETCH 1 BODY.PEEK", "a", "Unknown FETCH data item BODY.PEEK"},
		{"fetch_partial_without_section", "a FETCH 1 RFC822<0.1>", "a", "Unexpected characters"},

		{"store_recent", `a STORE 1 +FLAGS (\Recent)`, "a", `\Recent cannot be set`},
		{"store_unparenthesised_recent", `a STORE 1 FLAGS \Seen \Recent`, "a", `\Recent cannot be set`},
		{"store_wildcard_flag", `a STORE 1 FLAGS (\*)`, "a", "Unknown system flag"},
		{"store_bad_item", "a STORE 1 LABELS (x)", "a", "Invalid STORE data item"},
		{"store_missing_flags", "a STORE 1 FLAGS", "a", "Missing flags"},
		{"store_unclosed_list", `a STORE 1 FLAGS (\Seen`, "a", "Missing ) after the flag list"},
		{"copy_missing_mailbox", "a COPY 1:2", "a", "Missing mailbox name"},
		{"uid_expunge_missing_set", "a UID EXPUNGE", "a", "Missing sequence set"},
		{"uid_expunge_star_only_set", "a UID EXPUNGE a", "a", "Invalid sequence set"},

		{"search_empty", "a SEARCH", "a", "Missing search criteria"},
		{"search_unknown_key", "a SEARCH FOO", "a", "Unknown search key FOO"},
		{"search_missing_string", "a SEARCH FROM", "a", "Missing argument of FROM"},
		{"search_bad_date", "a SEARCH SINCE 1994-02-01", "a", "Invalid argument of SINCE"},
		{"search_bad_number", "a SEARCH LARGER big", "a", "Invalid argument of LARGER"},
		{"search_or_one_key", "a SEARCH OR SEEN", "a", "Missing second key of OR"},
		{"search_not_alone", "a SEARCH NOT", "a", "Missing argument of NOT"},
		{"search_empty_parentheses", "a SEARCH ()", "a", "Empty search criteria list"},
		{"search_unbalanced", "a SEARCH (SEEN", "a", "Missing ) after the search criteria list"},
		{"search_extra_parenthesis", "a SEARCH SEEN)", "a", "Unbalanced ) in the search criteria"},
		{"search_keyword_system_flag", `a SEARCH KEYWORD \Seen`, "a", "Invalid argument of KEYWORD"},
		{"search_charset_alone", "a SEARCH CHARSET UTF-8", "a", "Missing search criteria"},
		{"search_header_without_value", "a SEARCH HEADER Subject", "a", "Missing header value to search"},

		{"sort_missing_charset", "a SORT (DATE) ALL", "a", "Missing search criteria"},
		{"sort_unknown_key", "a SORT (NAME) UTF-8 ALL", "a", "Unknown sort key NAME"},
		{"sort_reverse_alone", "a SORT (REVERSE) UTF-8 ALL", "a", "Missing sort key"},
		{"sort_empty_criteria", "a SORT () UTF-8 ALL", "a", "Empty sort criteria"},
		{"sort_missing_search", "a SORT (DATE) UTF-8", "a", "Missing search criteria"},

		{"enable_nothing", "a ENABLE", "a", "Missing capability"},
		{"id_atom", "a ID name", "a", "expected a list or NIL"},
		{"id_odd_list", `a ID ("name")`, "a", "Missing ID field value"},
		{"id_nil_field", `a ID (NIL "x")`, "a", "Invalid ID field name"},
		{"id_too_many_pairs", "a ID (" + strings.Repeat(`"k" "v" `, 30) + `"k" "v")`, "a", "Too many ID parameters"},
		{"id_field_too_long", `a ID ("` + strings.Repeat("k", 31) + `" "v")`, "a", "too long"},
		{"setquota_bad_limit", `a SETQUOTA "" (STORAGE x)`, "a", "Invalid quota limit"},
		{"setquota_missing_limit", `a SETQUOTA "" (STORAGE)`, "a", "Missing quota limit"},
		{"setquota_missing_list", `a SETQUOTA ""`, "a", "Missing quota limits"},
		{"setacl_uppercase_rights", "a SETACL INBOX fred LR", "a", "Invalid rights"},
		{"setacl_double_sign", "a SETACL INBOX fred +-lr", "a", "Invalid rights"},
		{"setacl_missing_rights", "a SETACL INBOX fred", "a", "Missing rights"},
		{"deleteacl_missing_identifier", "a DELETEACL INBOX", "a", "Missing identifier"},
		{"getacl_extra", "a GETACL INBOX fred", "a", "Too many arguments to GETACL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := ParseCommand([]byte(tt.raw + "\r\n"))
			if err == nil {
				t.Fatalf("ParseCommand(%q) = %s, want an error", tt.raw, dumpCommand(cmd))
			}
			checkParseError(t, err, tt.tag, tt.msg)
		})
	}
}

func TestParseCommandLineEndings(t *testing.T) {
	for _, raw := range []string{"a NOOP", "a NOOP\r\n", "a NOOP\n"} {
		checkParsed(t, strings.TrimSuffix(strings.TrimSuffix(raw, "\n"), "\r"), &Command{Tag: "a", Name: "NOOP"})
		if _, err := ParseCommand([]byte(raw)); err != nil {
			t.Errorf("ParseCommand(%q): %v", raw, err)
		}
	}
	if _, err := ParseCommand([]byte("a NOOP\r\n\r\n")); err == nil {
		t.Error("two line endings accepted")
	}
}

// TestParseErrorMessagesAreSafe: a message quotes client text only as
// short printable ASCII, so the BAD line cannot be split or flooded.
func TestParseErrorMessagesAreSafe(t *testing.T) {
	for _, raw := range []string{
		"a " + strings.Repeat("X", 1000),
		"a FETCH 1 " + strings.Repeat("Y", 1000),
		"a STORE 1 FLAGS \\" + strings.Repeat("Z", 1000),
		"a SEARCH \xff\xfe",
	} {
		_, err := ParseCommand([]byte(raw + "\r\n"))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("ParseCommand(%.20q): %v, want a ParseError", raw, err)
		}
		if len(pe.Msg) > 100 || strings.ContainsFunc(pe.Msg, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			t.Errorf("ParseCommand(%.20q) message %q", raw, pe.Msg)
		}
	}
}
