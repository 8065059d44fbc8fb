package imap

// The compliance suite: the command examples of RFC 3501 (section 6 and
// the sample connection of section 8) and of each extension's RFC, adapted
// to a fixture mailbox, played against a real server. Each step sends the
// client's line(s) and expects the server's responses in order.
//
// A step's wanted responses are exact where the RFC fixes them. Where the
// values are ours (UIDVALIDITY, the human-readable text) they are
// patterns:
//   - a want ending in " ~" matches its beginning followed by a space and
//     any non-empty text (resp-text is free text, RFC 3501 7.1);
//   - a want starting with "re:" is a regular expression over the whole
//     response;
//   - the flags inside FLAGS (...) and PERMANENTFLAGS (...) are compared as
//     sets (RFC 3501 does not order flag lists);
//   - "{{NAME}}" is replaced by the fixture's value NAME (e.g. the
//     UIDVALIDITY of a folder) before matching.
//
// Steps where the server does not answer as the RFC says are left failing
// on purpose: the integrator decides.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// cstep is one exchange of a compliance scenario.
type cstep struct {
	ref string // where the example is, e.g. "RFC 3501 6.3.1"
	// before runs first (another session's or a delivery's change).
	before func(f *cfixture)
	// send are the client's lines (CRLF is added to each). Between two
	// elements the client waits for one response (a continuation request),
	// which counts among the responses. A synchronizing literal therefore
	// ends an element; a non-synchronizing one (LITERAL+) does not.
	send []string
	// tag is the tag of the tagged response that ends the step; by default
	// the first word of send[0]. untagged steps read len(want) responses
	// and no tagged one (IDLE).
	tag      string
	untagged bool
	// unordered compares the untagged responses as a set (for responses
	// whose order RFC 3501 leaves open, e.g. those of SELECT); the
	// tagged one is still last.
	unordered bool
	want      []string
	// alts are other complete answers that are as valid (e.g. EXPUNGEs
	// in descending order, RFC 3501 7.4.1): the step passes if any
	// matches.
	alts [][]string
	// onlyTagged checks the tagged response only (a SELECT to get into
	// the selected state, checked elsewhere).
	onlyTagged bool
	// do replaces send and want by custom code (STARTTLS).
	do func(f *cfixture, c *conv)
}

// cfixture is a scenario's server, account and values.
type cfixture struct {
	t    *testing.T
	ts   *testServer
	user store.Account
	vars map[string]string
}

// cscenario is an RFC example, adapted.
type cscenario struct {
	name     string
	security store.ConnectionSecurity // the listener (default: plain)
	login    bool                     // log in as user@example.com first
	setup    func(f *cfixture)
	steps    []cstep
}

// setVar records a value for "{{name}}".
func (f *cfixture) setVar(name string, v any) { f.vars[name] = fmt.Sprint(v) }

// validity records the UIDVALIDITY of a folder as "{{V:name}}".
func (f *cfixture) validity(name string, folder store.Folder) {
	got, err := f.ts.st.Folder(f.t.Context(), folder.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	f.setVar("V:"+name, got.UIDValidity)
}

func (f *cfixture) expand(s string) string {
	for k, v := range f.vars {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return s
}

// cFlagList matches a FLAGS or PERMANENTFLAGS list.
var cFlagList = regexp.MustCompile(`(FLAGS \()([^()]*)(\))`)

// sortFlagLists puts the flags of every flag list in one order.
func sortFlagLists(s string) string {
	return cFlagList.ReplaceAllStringFunc(s, func(m string) string {
		p := cFlagList.FindStringSubmatch(m)
		flags := strings.Fields(p[2])
		slices.Sort(flags)
		return p[1] + strings.Join(flags, " ") + p[3]
	})
}

// cResponseMatches reports whether a response matches a wanted pattern.
func cResponseMatches(got, want string) bool {
	switch {
	case strings.HasPrefix(want, "re:"):
		return regexp.MustCompile(`^(?s:` + want[3:] + `)$`).MatchString(got)
	case strings.HasSuffix(want, " ~"):
		prefix := sortFlagLists(strings.TrimSuffix(want, "~"))
		got = sortFlagLists(got)
		return strings.HasPrefix(got, prefix) && len(got) > len(prefix)
	default:
		return sortFlagLists(got) == sortFlagLists(want)
	}
}

// cMatchResponses compares responses with wanted patterns.
func cMatchResponses(got, want []string, unordered bool) bool {
	if len(got) != len(want) {
		return false
	}
	if !unordered {
		for i := range got {
			if !cResponseMatches(got[i], want[i]) {
				return false
			}
		}
		return true
	}
	last := len(got) - 1
	if !cResponseMatches(got[last], want[last]) {
		return false
	}
	used := make([]bool, last)
	for _, w := range want[:last] {
		found := false
		for i, g := range got[:last] {
			if !used[i] && cResponseMatches(g, w) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// run plays a scenario on a new server.
func (sc cscenario) run(t *testing.T) {
	ts := startServer(t)
	f := &cfixture{t: t, ts: ts, user: ts.users["user@example.com"], vars: map[string]string{}}
	if sc.setup != nil {
		sc.setup(f)
	}
	c := ts.dial(sc.security) // the zero value is SecurityNone
	if !strings.HasPrefix(c.greeting, "* OK ") {
		t.Fatalf("greeting %q", c.greeting)
	}
	if sc.login {
		c.login("user@example.com")
	}
	for i, st := range sc.steps {
		if st.before != nil {
			st.before(f)
		}
		if st.do != nil {
			st.do(f, c)
			continue
		}
		var got []string
		for j, line := range st.send {
			c.write(f.expand(line))
			if j < len(st.send)-1 {
				got = append(got, c.response())
			}
		}
		tag := st.tag
		if tag == "" && len(st.send) > 0 {
			tag, _, _ = strings.Cut(st.send[0], " ")
		}
		if st.untagged {
			c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			for len(got) < len(st.want) {
				r := c.response()
				if r == "" {
					t.Fatalf("step %d (%s) %q: the connection ended or nothing came within 10s after %q; want %s",
						i, st.ref, st.send, got, quoteLines(st.want))
				}
				got = append(got, r)
			}
			c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		} else {
			got = append(got, c.until(tag)...)
		}
		expand := func(ws []string) []string {
			out := make([]string, len(ws))
			for j, w := range ws {
				out[j] = f.expand(w)
			}
			return out
		}
		want := expand(st.want)
		if st.onlyTagged {
			got = got[len(got)-1:]
		}
		ok := cMatchResponses(got, want, st.unordered)
		for _, alt := range st.alts {
			ok = ok || cMatchResponses(got, expand(alt), st.unordered)
		}
		if !ok {
			t.Errorf("step %d (%s) %q:\n got: %s\nwant: %s", i, st.ref, st.send, quoteLines(got), quoteLines(want))
		}
	}
}

// rfcMessage is the message of RFC 3501 6.3.11's APPEND example (310
// octets; the empty line after it in the RFC is the CRLF that ends the
// command).
const rfcMessage = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" +
	"From: Fred Foobar <foobar@Blurdybloop.COM>\r\n" +
	"Subject: afternoon meeting\r\n" +
	"To: mooch@owatagu.siam.edu\r\n" +
	"Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
	"\r\n" +
	"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"

// cmsg is a fixture message.
func cmsg(from, subject, date, body string) string {
	return "From: " + from + "\r\nTo: user@example.com\r\nSubject: " + subject + "\r\nDate: " + date +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.net>\r\n\r\n" + body + "\r\n"
}

// fill appends n messages to a folder; flags(i) gives message i's flags
// (1-based). It records each message's UID as "{{UID:folder:i}}".
func (f *cfixture) fill(name string, folder store.Folder, n int, flags func(i int) int, content func(i int) string) {
	for i := 1; i <= n; i++ {
		fl := 0
		if flags != nil {
			fl = flags(i)
		}
		body := cmsg("Alice <alice@example.net>", fmt.Sprintf("message %d", i), "Mon, 02 Mar 2026 10:00:00 +0000", fmt.Sprintf("text %d", i))
		if content != nil {
			body = content(i)
		}
		m := f.ts.appendTo(folder, body, fl)
		f.setVar(fmt.Sprintf("UID:%s:%d", name, i), m.UID)
	}
}

// claimRecent makes the messages so far not \Recent for later sessions
// (a session selected the folder and went away).
func (f *cfixture) claimRecent(folder store.Folder) {
	if _, err := f.ts.st.IMAPMessages(f.t.Context(), folder.ID, true); err != nil {
		f.t.Fatal(err)
	}
}

func (f *cfixture) folder(levels ...string) store.Folder {
	return f.ts.createFolder(f.user.ID, levels...)
}

// selectStep selects a mailbox, checking only the tagged OK.
func selectStep(tag, mailbox string) cstep {
	return cstep{ref: "RFC 3501 6.3.1", send: []string{tag + " SELECT " + mailbox}, onlyTagged: true, want: []string{tag + " OK [READ-WRITE] ~"}}
}

// cs is a one-line step.
func cs(ref, line string, want ...string) cstep {
	return cstep{ref: ref, send: []string{line}, want: want}
}

// The special-use folders every account has, as LIST "" * shows them
// besides INBOX and the public root.
var specialListLines = []string{
	`* LIST (\HasNoChildren \Drafts) "." "Drafts"`,
	`* LIST (\HasNoChildren \Junk) "." "Junk"`,
	`* LIST (\HasNoChildren \Sent) "." "Sent"`,
	`* LIST (\HasNoChildren \Trash) "." "Trash"`,
}

const publicListLine = `* LIST (\Noselect \HasNoChildren) "." "#Public"`

func joinLines(groups ...any) []string {
	var out []string
	for _, g := range groups {
		switch v := g.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

func TestComplianceRFC3501(t *testing.T) {
	for _, sc := range rfc3501Scenarios() {
		t.Run(sc.name, sc.run)
	}
}

func TestComplianceExtensions(t *testing.T) {
	for _, sc := range extensionScenarios() {
		t.Run(sc.name, sc.run)
	}
}

func rfc3501Scenarios() []cscenario {
	selectInbox := func(tag string, exists, recent int, unseen string) cstep {
		want := []string{
			`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
			`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] ~`,
			fmt.Sprintf("* %d EXISTS", exists),
			fmt.Sprintf("* %d RECENT", recent),
		}
		if unseen != "" {
			want = append(want, "* OK [UNSEEN "+unseen+"] ~")
		}
		want = append(want, "* OK [UIDVALIDITY {{V:INBOX}}] ~", "* OK [UIDNEXT {{NEXT:INBOX}}] ~", tag+" OK [READ-WRITE] ~")
		return cstep{ref: "RFC 3501 6.3.1", send: []string{tag + " SELECT INBOX"}, unordered: true, want: want}
	}
	return []cscenario{
		{name: "6.1_any_state", steps: []cstep{
			// 6.1.1: IMAP4rev1 must be in the list.
			cs("RFC 3501 6.1.1", "abcd CAPABILITY", `re:\* CAPABILITY IMAP4rev1( [^ ]+)*`, "abcd OK CAPABILITY completed"),
			cs("RFC 3501 6.1.2", "a002 NOOP", "a002 OK NOOP completed"),
			cs("RFC 3501 6.1.3", "A023 LOGOUT", "* BYE ~", "A023 OK LOGOUT completed"),
		}},
		{name: "6.1.2_noop_reports_changes", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 4, func(int) int { return store.FlagSeen }, nil)
				f.claimRecent(inbox)
				f.validity("INBOX", inbox)
				f.setVar("NEXT:INBOX", 5)
			},
			steps: []cstep{
				selectInbox("a001", 4, 0, ""),
				cs("RFC 3501 6.1.2: nothing changed", "a047 NOOP", "a047 OK NOOP completed"),
				// Another session expunges message 2 and flags message 4
				// \Deleted, and a message arrives. RFC 3501 does not fix the
				// order of the updates, only that the numbers agree with it
				// (7.4.1): the RFC's order and the server's are both right.
				{ref: "RFC 3501 6.1.2", before: func(f *cfixture) {
					inbox := f.ts.inbox("user@example.com")
					if _, err := f.ts.st.SetFlags(f.t.Context(), inbox.ID, []uint32{2}, store.FlagsAdd, store.FlagDeleted, nil); err != nil {
						f.t.Fatal(err)
					}
					if _, err := f.ts.st.Expunge(f.t.Context(), inbox.ID, []uint32{2}); err != nil {
						f.t.Fatal(err)
					}
					if _, err := f.ts.st.SetFlags(f.t.Context(), inbox.ID, []uint32{4}, store.FlagsAdd, store.FlagDeleted, nil); err != nil {
						f.t.Fatal(err)
					}
					f.ts.appendTo(inbox, cmsg("b@example.net", "new", "Mon, 02 Mar 2026 11:00:00 +0000", "new"), 0)
				}, send: []string{"a048 NOOP"}, want: []string{
					"* 2 EXPUNGE",
					"* 4 EXISTS",
					"* 1 RECENT",
					`* 3 FETCH (FLAGS (\Seen \Deleted))`,
					"a048 OK NOOP completed",
				}, alts: [][]string{{
					`* 4 FETCH (FLAGS (\Seen \Deleted))`,
					"* 5 EXISTS",
					"* 1 RECENT",
					"* 2 EXPUNGE",
					"a048 OK NOOP completed",
				}}},
			}},
		{name: "6.2.1_starttls", security: store.SecuritySTARTTLSOptional, steps: []cstep{
			cs("RFC 3501 6.2.1", "a001 CAPABILITY", `re:\* CAPABILITY IMAP4rev1( [^ ]+)* STARTTLS( [^ ]+)*`, "a001 OK CAPABILITY completed"),
			{ref: "RFC 3501 6.2.1", do: func(f *cfixture, c *conv) { c.startTLS("a002") }},
			{ref: "RFC 3501 6.2.1: no STARTTLS after TLS", send: []string{"a003 CAPABILITY"},
				want: []string{`re:\* CAPABILITY IMAP4rev1( [^ ]+)*`, "a003 OK CAPABILITY completed"}},
			{ref: "RFC 3501 6.2.1", do: func(f *cfixture, c *conv) {
				got := c.cmd("a004", "CAPABILITY")
				if strings.Contains(got[0], " STARTTLS") || strings.Contains(got[0], "LOGINDISABLED") {
					f.t.Errorf("RFC 3501 6.2.1: after TLS the capabilities are %q", got[0])
				}
			}},
			cs("RFC 3501 6.2.3", "a005 LOGIN user@example.com secret", `re:a005 OK (\[CAPABILITY IMAP4rev1 [^]]*\] )?.+`),
		}},
		{name: "6.2.3_logindisabled", security: store.SecuritySTARTTLSRequired, steps: []cstep{
			cs("RFC 3501 6.2.3 / 7.2.1: LOGINDISABLED before TLS", "a001 CAPABILITY",
				`re:\* CAPABILITY IMAP4rev1( [^ ]+)* LOGINDISABLED( [^ ]+)*`, "a001 OK CAPABILITY completed"),
			cs("RFC 3501 6.2.3", "a002 LOGIN user@example.com secret", "a002 NO ~"),
		}},
		{name: "6.2.2_authenticate", steps: []cstep{
			// The GSSAPI example adapted to PLAIN (RFC 4616): a continuation
			// "+ " with empty data, the response, then the tagged OK.
			{ref: "RFC 3501 6.2.2", send: []string{"A001 AUTHENTICATE PLAIN", "AHVzZXJAZXhhbXBsZS5jb20Ac2VjcmV0"},
				want: []string{"+ ", `re:A001 OK (\[CAPABILITY IMAP4rev1 [^]]*\] )?.+`}},
		}},
		{name: "6.2.2_authenticate_cancelled", steps: []cstep{
			{ref: "RFC 3501 6.2.2: \"*\" cancels", send: []string{"A001 AUTHENTICATE PLAIN", "*"},
				want: []string{"+ ", "A001 BAD ~"}},
		}},
		{name: "6.2.3_login", steps: []cstep{
			cs("RFC 3501 6.2.3", "a001 LOGIN user@example.com wrong", "a001 NO ~"),
			cs("RFC 3501 6.2.3", "a002 LOGIN user@example.com secret", `re:a002 OK (\[CAPABILITY IMAP4rev1 [^]]*\] )?.+`),
			cs("RFC 3501 6.2.3: LOGIN only when not authenticated", "a003 LOGIN user@example.com secret", "a003 BAD ~"),
		}},
		{name: "6.3.1_select_6.3.2_examine", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 2, func(int) int { return store.FlagSeen }, nil)
				f.fill("x", inbox, 1, nil, nil) // message 3: the first unseen
				f.claimRecent(inbox)
				f.fill("y", inbox, 1, nil, nil) // message 4: \Recent
				f.validity("INBOX", inbox)
				f.setVar("NEXT:INBOX", 5)
				b := f.folder("blurdybloop")
				f.fill("b", b, 17, func(int) int { return store.FlagSeen }, nil)
				f.claimRecent(b)
				f.validity("blurdybloop", b)
			},
			steps: []cstep{
				selectInbox("A142", 4, 1, "3"),
				{ref: "RFC 3501 6.3.2", send: []string{"A932 EXAMINE blurdybloop"}, unordered: true, want: []string{
					"* 17 EXISTS",
					"* 0 RECENT",
					"* OK [UIDVALIDITY {{V:blurdybloop}}] ~",
					"* OK [UIDNEXT 18] ~",
					`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
					"* OK [PERMANENTFLAGS ()] ~",
					"A932 OK [READ-ONLY] ~",
				}},
				cs("RFC 3501 6.3.2: read-only STORE", `A933 STORE 1 +FLAGS (\Flagged)`, "A933 NO ~"),
				// 6.3.1: a SELECT that fails closes the selected mailbox.
				cs("RFC 3501 6.3.1", "A934 SELECT nosuchbox", "A934 NO [NONEXISTENT] ~"),
				cs("RFC 3501 6.3.1: no mailbox selected after a failed SELECT", "A935 FETCH 1 FLAGS", "A935 BAD ~"),
			}},
		{name: "6.3.3_create", login: true, steps: []cstep{
			cs("RFC 3501 6.3.3", "A003 CREATE owatagusiam.", "A003 OK CREATE completed"),
			cs("RFC 3501 6.3.3", "A004 CREATE owatagusiam.blurdybloop", "A004 OK CREATE completed"),
			cs("RFC 3501 6.3.3", `A005 LIST "" owatagusiam*`,
				`* LIST (\HasChildren) "." "owatagusiam"`, `* LIST (\HasNoChildren) "." "owatagusiam.blurdybloop"`, "A005 OK LIST completed"),
			cs("RFC 3501 6.3.3: superior names are created", "A006 CREATE a.b.c", "A006 OK CREATE completed"),
			cs("RFC 3501 6.3.3", `A007 LIST "" a*`,
				`* LIST (\HasChildren) "." "a"`, `* LIST (\HasChildren) "." "a.b"`, `* LIST (\HasNoChildren) "." "a.b.c"`, "A007 OK LIST completed"),
			cs("RFC 3501 6.3.3: CREATE INBOX is an error", "A008 CREATE INBOX", "A008 NO ~"),
			cs("RFC 3501 6.3.3: an existing name is an error", "A009 CREATE owatagusiam", "A009 NO ~"),
		}},
		{name: "6.3.4_delete", login: true,
			setup: func(f *cfixture) {
				f.folder("blurdybloop")
				f.folder("foo", "bar")
			},
			steps: []cstep{
				cs("RFC 3501 6.3.4", "A683 DELETE blurdybloop", "A683 OK DELETE completed"),
				cs("RFC 3501 6.3.4", "A685 DELETE foo.bar", "A685 OK DELETE completed"),
				cs("RFC 3501 6.3.4", `A686 LIST "" foo*`, `* LIST (\HasNoChildren) "." "foo"`, "A686 OK LIST completed"),
				cs("RFC 3501 6.3.4", "A687 DELETE foo", "A687 OK DELETE completed"),
				cs("RFC 3501 6.3.4", "A688 DELETE INBOX", "A688 NO ~"),
				cs("RFC 3501 6.3.4: a name that does not exist", "A689 DELETE foo", "A689 NO ~"),
			}},
		{name: "6.3.4_delete_with_inferiors", login: true,
			setup: func(f *cfixture) {
				f.folder("foo", "bar")
				f.ts.appendTo(f.folder("foo"), cmsg("a@example.net", "in foo", "Mon, 02 Mar 2026 10:00:00 +0000", "x"), 0)
			},
			steps: []cstep{
				// RFC 3501 6.3.4 permits deleting a name with inferiors by
				// emptying it and marking it \Noselect (its A82-A86
				// example); it does not require it. Mailwright refuses, as
				// Dovecot does: nothing is deleted that was not asked for,
				// and no personal folder is ever \Noselect. The folder and
				// its message stay.
				cs("RFC 3501 6.3.4 (A84), refused", "A84 DELETE foo", "A84 NO [CANNOT] ~"),
				cs("RFC 3501 6.3.4 (A85)", `A85 LIST "" foo*`,
					`* LIST (\HasChildren) "." "foo"`, `* LIST (\HasNoChildren) "." "foo.bar"`, "A85 OK LIST completed"),
				cs("RFC 3501 6.3.7: foo still holds its message", "A86 STATUS foo (MESSAGES)", `* STATUS "foo" (MESSAGES 1)`, "A86 OK STATUS completed"),
			}},
		{name: "6.3.5_rename", login: true,
			setup: func(f *cfixture) {
				f.folder("blurdybloop")
				f.folder("foo", "bar")
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 2, nil, nil)
				f.folder("INBOX", "bar")
			},
			steps: []cstep{
				cs("RFC 3501 6.3.5", "A683 RENAME blurdybloop sarasoop", "A683 OK RENAME completed"),
				cs("RFC 3501 6.3.5", "A684 RENAME foo zowie", "A684 OK RENAME completed"),
				cs("RFC 3501 6.3.5", `A685 LIST "" *`, joinLines(
					`* LIST (\HasChildren) "." "INBOX"`,
					`* LIST (\HasNoChildren) "." "INBOX.bar"`,
					specialListLines,
					`* LIST (\HasNoChildren) "." "sarasoop"`,
					`* LIST (\HasChildren) "." "zowie"`,
					`* LIST (\HasNoChildren) "." "zowie.bar"`,
					publicListLine,
					"A685 OK LIST completed")...),
				// Renaming INBOX moves its messages to a new mailbox and
				// leaves INBOX empty; its inferiors stay.
				cs("RFC 3501 6.3.5 (Z433)", "Z433 RENAME INBOX old-mail", "Z433 OK RENAME completed"),
				cs("RFC 3501 6.3.5 (Z434)", `Z434 LIST "" *`, joinLines(
					`* LIST (\HasChildren) "." "INBOX"`,
					`* LIST (\HasNoChildren) "." "INBOX.bar"`,
					specialListLines,
					`* LIST (\HasNoChildren) "." "old-mail"`,
					`* LIST (\HasNoChildren) "." "sarasoop"`,
					`* LIST (\HasChildren) "." "zowie"`,
					`* LIST (\HasNoChildren) "." "zowie.bar"`,
					publicListLine,
					"Z434 OK LIST completed")...),
				cs("RFC 3501 6.3.5", "Z435 STATUS INBOX (MESSAGES)", `* STATUS "INBOX" (MESSAGES 0)`, "Z435 OK STATUS completed"),
				cs("RFC 3501 6.3.5", "Z436 STATUS old-mail (MESSAGES)", `* STATUS "old-mail" (MESSAGES 2)`, "Z436 OK STATUS completed"),
				cs("RFC 3501 6.3.5: to an existing name is an error", "Z437 RENAME sarasoop zowie", "Z437 NO ~"),
				cs("RFC 3501 6.3.5: from a missing name is an error", "Z438 RENAME nothing other", "Z438 NO ~"),
			}},
		{name: "6.3.6_subscribe_6.3.7_unsubscribe_6.3.9_lsub", login: true,
			setup: func(f *cfixture) {
				f.folder("news", "comp", "mail", "mime")
				f.folder("news", "comp", "mail", "misc")
				for _, name := range [][]string{{"news"}, {"news", "comp"}, {"news", "comp", "mail"}} {
					if err := f.ts.st.SetFolderSubscribed(f.t.Context(), f.ts.folder(f.user.ID, name...).ID, false); err != nil {
						f.t.Fatal(err)
					}
				}
			},
			steps: []cstep{
				cs("RFC 3501 6.3.7", "A002 UNSUBSCRIBE news.comp.mail.misc", "A002 OK UNSUBSCRIBE completed"),
				cs("RFC 3501 6.3.6", "A003 SUBSCRIBE news.comp.mail.misc", "A003 OK SUBSCRIBE completed"),
				cs("RFC 3501 6.3.9 (A002)", `A004 LSUB "news." "comp.mail.*"`,
					`* LSUB () "." "news.comp.mail.mime"`, `* LSUB () "." "news.comp.mail.misc"`, "A004 OK LSUB completed"),
				// "comp.mail" is not subscribed but has subscribed
				// inferiors: % returns it with \Noselect.
				cs("RFC 3501 6.3.9 (A003)", `A005 LSUB "news." "comp.%"`, `* LSUB (\Noselect) "." "news.comp.mail"`, "A005 OK LSUB completed"),
			}},
		{name: "6.3.8_list", login: true,
			setup: func(f *cfixture) {
				f.folder("Mail", "foo", "x")
				f.folder("Mail", "meetings")
			},
			steps: []cstep{
				cs("RFC 3501 6.3.8 (A101)", `A101 LIST "" ""`, `* LIST (\Noselect) "." ""`, "A101 OK LIST completed"),
				cs("RFC 3501 6.3.8 (A102)", `A102 LIST #Public.comp.mail.misc ""`, `* LIST (\Noselect) "." "#Public."`, "A102 OK LIST completed"),
				cs("RFC 3501 6.3.8 (A202)", `A202 LIST Mail. %`,
					`* LIST (\HasChildren) "." "Mail.foo"`, `* LIST (\HasNoChildren) "." "Mail.meetings"`, "A202 OK LIST completed"),
				cs("RFC 3501 6.3.8: * matches the delimiter", `A203 LIST "" Mail*`,
					`* LIST (\HasChildren) "." "Mail"`, `* LIST (\HasChildren) "." "Mail.foo"`, `* LIST (\HasNoChildren) "." "Mail.foo.x"`,
					`* LIST (\HasNoChildren) "." "Mail.meetings"`, "A203 OK LIST completed"),
				cs("RFC 3501 6.3.8: INBOX is case-insensitive", `A204 LIST "" InBoX`, `* LIST (\HasNoChildren) "." "INBOX"`, "A204 OK LIST completed"),
			}},
		{name: "6.3.10_status", login: true,
			setup: func(f *cfixture) {
				b := f.folder("blurdybloop")
				f.fill("b", b, 3, func(i int) int { return btoi(i == 1) * store.FlagSeen }, nil)
				f.validity("blurdybloop", b)
			},
			steps: []cstep{
				cs("RFC 3501 6.3.10", "A042 STATUS blurdybloop (UIDNEXT MESSAGES)",
					`re:\* STATUS "?blurdybloop"? \((UIDNEXT 4 MESSAGES 3|MESSAGES 3 UIDNEXT 4)\)`, "A042 OK STATUS completed"),
				cs("RFC 3501 6.3.10", "A043 STATUS blurdybloop (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
					`* STATUS "blurdybloop" (MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY {{V:blurdybloop}} UNSEEN 2)`, "A043 OK STATUS completed"),
				cs("RFC 3501 6.3.10", "A044 STATUS nothing (MESSAGES)", "A044 NO ~"),
			}},
		{name: "6.3.11_append", login: true,
			setup: func(f *cfixture) {
				f.validity("saved-messages", f.folder("saved-messages"))
			},
			steps: []cstep{
				{ref: "RFC 3501 6.3.11", send: []string{"A003 APPEND saved-messages (\\Seen) {310}", rfcMessage},
					want: []string{"+ ~", "A003 OK [APPENDUID {{V:saved-messages}} 1] APPEND completed"}},
				cs("RFC 3501 6.3.11", "A004 EXAMINE saved-messages", "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
					"* OK [PERMANENTFLAGS ()] ~", "* 1 EXISTS", "* 1 RECENT", "* OK [UIDVALIDITY {{V:saved-messages}}] ~", "* OK [UIDNEXT 2] ~",
					"A004 OK [READ-ONLY] ~"),
				cs("RFC 3501 6.3.11", "A005 FETCH 1 (FLAGS RFC822.SIZE BODY[])", "* 1 FETCH (FLAGS (\\Seen \\Recent) RFC822.SIZE 310 BODY[] {310}\r\n"+rfcMessage+")",
					"A005 OK FETCH completed"),
				{ref: "RFC 3501 6.3.11: TRYCREATE", send: []string{"A006 APPEND nothing {5}", "hello"},
					want: []string{"+ ~", "A006 NO [TRYCREATE] ~"}},
			}},
		{name: "6.4.1_check_6.4.2_close", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 3, func(i int) int { return btoi(i == 2) * store.FlagDeleted }, nil)
			},
			steps: []cstep{
				selectStep("a", "INBOX"),
				cs("RFC 3501 6.4.1", "FXXZ CHECK", "FXXZ OK CHECK completed"),
				// CLOSE expunges without EXPUNGE responses.
				cs("RFC 3501 6.4.2", "A341 CLOSE", "A341 OK CLOSE completed"),
				cs("RFC 3501 6.4.2: back in the authenticated state", "A342 FETCH 1 FLAGS", "A342 BAD ~"),
				cs("RFC 3501 6.4.2", "A343 STATUS INBOX (MESSAGES)", `* STATUS "INBOX" (MESSAGES 2)`, "A343 OK STATUS completed"),
			}},
		{name: "6.4.3_expunge", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 11, func(i int) int {
					return btoi(i == 3 || i == 4 || i == 7 || i == 11) * store.FlagDeleted
				}, nil)
				f.claimRecent(inbox)
			},
			steps: []cstep{
				selectStep("a", "INBOX"),
				{ref: "RFC 3501 6.4.3", send: []string{"A202 EXPUNGE"},
					want: []string{"* 3 EXPUNGE", "* 3 EXPUNGE", "* 5 EXPUNGE", "* 8 EXPUNGE", "A202 OK EXPUNGE completed"},
					alts: [][]string{{"* 11 EXPUNGE", "* 7 EXPUNGE", "* 4 EXPUNGE", "* 3 EXPUNGE", "A202 OK EXPUNGE completed"}}},
				cs("RFC 3501 6.4.3", "A203 SEARCH ALL", "* SEARCH 1 2 3 4 5 6 7", "A203 OK SEARCH completed"),
			}},
		{name: "6.4.4_search", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.ts.appendTo(inbox, cmsg("Smith <smith@example.net>", "one", "Mon, 31 Jan 1994 10:00:00 +0000", "x"), store.FlagFlagged)
				f.ts.appendTo(inbox, cmsg("Jones <jones@example.net>", "two", "Tue, 01 Feb 1994 10:00:00 +0000", "x"), store.FlagFlagged)
				f.ts.appendTo(inbox, cmsg("Smith <smith@example.net>", "three", "Wed, 02 Feb 1994 10:00:00 +0000", "x"), store.FlagFlagged)
				f.ts.appendTo(inbox, cmsg("Brown <brown@example.net>", "four", "Thu, 03 Feb 1994 10:00:00 +0000", "Gr\u00fc\u00df Gott"), store.FlagFlagged)
				f.ts.appendTo(inbox, cmsg("Brown <brown@example.net>", "five", "Thu, 03 Feb 1994 10:00:00 +0000", "x"), 0)
			},
			steps: []cstep{
				selectStep("a", "INBOX"),
				cs("RFC 3501 6.4.4 (A282)", `A282 SEARCH FLAGGED SENTSINCE 1-Feb-1994 NOT FROM "Smith"`, "* SEARCH 2 4", "A282 OK SEARCH completed"),
				cs("RFC 3501 6.4.4 (A283)", `A283 SEARCH TEXT "string not in mailbox"`, "* SEARCH", "A283 OK SEARCH completed"),
				{ref: "RFC 3501 6.4.4 (A284)", send: []string{"A284 SEARCH CHARSET UTF-8 TEXT {6}", "Gr\u00fc\u00df"},
					want: []string{"+ ~", "* SEARCH 4", "A284 OK SEARCH completed"}},
				cs("RFC 3501 6.4.4: unknown charset", `A285 SEARCH CHARSET X-UNKNOWN TEXT "x"`, `re:A285 NO \[BADCHARSET( \([^)]*\))?\] .+`),
				cs("RFC 3501 6.4.4", `A286 SEARCH OR FROM jones SUBJECT five`, "* SEARCH 2 5", "A286 OK SEARCH completed"),
				cs("RFC 3501 6.4.4", `A287 UID SEARCH 2:4 UNFLAGGED`, "* SEARCH", "A287 OK ~"),
			}},
		{name: "6.4.5_fetch_6.4.6_store_6.4.7_copy_6.4.8_uid", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				// UIDs 2-5 are messages 1-4: UID 1 is expunged.
				f.fill("INBOX", inbox, 5, func(i int) int {
					return []int{0, store.FlagDeleted, 0, store.FlagSeen, store.FlagSeen, store.FlagSeen | store.FlagFlagged}[i]
				}, func(i int) string {
					return cmsg(fmt.Sprintf("Sender %d <s%d@example.net>", i, i), fmt.Sprintf("message %d", i),
						fmt.Sprintf("Mon, 0%d Mar 2026 10:00:00 +0000", i), "x")
				})
				if _, err := f.ts.st.Expunge(f.t.Context(), inbox.ID, nil); err != nil {
					f.t.Fatal(err)
				}
				f.claimRecent(inbox)
				f.validity("MEETING", f.folder("MEETING"))
				f.validity("INBOX", inbox)
			},
			steps: []cstep{
				selectStep("a", "INBOX"),
				cs("RFC 3501 6.4.5", `A653 STORE 1 +FLAGS.SILENT (\Seen)`, "A653 OK STORE completed"),
				cs("RFC 3501 6.4.5", "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
					"* 2 FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (DATE FROM)] {74}\r\nFrom: Sender 3 <s3@example.net>\r\nDate: Mon, 03 Mar 2026 10:00:00 +0000\r\n\r\n)",
					"* 3 FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (DATE FROM)] {74}\r\nFrom: Sender 4 <s4@example.net>\r\nDate: Mon, 04 Mar 2026 10:00:00 +0000\r\n\r\n)",
					"* 4 FETCH (FLAGS (\\Seen \\Flagged) BODY[HEADER.FIELDS (DATE FROM)] {74}\r\nFrom: Sender 5 <s5@example.net>\r\nDate: Mon, 05 Mar 2026 10:00:00 +0000\r\n\r\n)",
					"A654 OK FETCH completed"),
				cs("RFC 3501 6.4.6 (A003)", `A003 STORE 2:4 +FLAGS (\Deleted)`,
					`* 2 FETCH (FLAGS (\Deleted \Seen))`, `* 3 FETCH (FLAGS (\Deleted \Seen))`, `* 4 FETCH (FLAGS (\Deleted \Flagged \Seen))`,
					"A003 OK STORE completed"),
				cs("RFC 3501 6.4.6", `A004 STORE 2 FLAGS (\Answered)`, `* 2 FETCH (FLAGS (\Answered))`, "A004 OK STORE completed"),
				cs("RFC 3501 6.4.6", `A005 STORE 3:4 -FLAGS.SILENT (\Deleted)`, "A005 OK STORE completed"),
				cs("RFC 3501 6.4.7 + RFC 4315 COPYUID", "A006 COPY 2:3 MEETING", "A006 OK [COPYUID {{V:MEETING}} 3:4 1:2] COPY completed"),
				cs("RFC 3501 6.4.7: TRYCREATE", "A007 COPY 2 nothing", "A007 NO [TRYCREATE] ~"),
				// 6.4.8: UID FETCH includes UID even when not asked for.
				cs("RFC 3501 6.4.8 (A999)", "A999 UID FETCH 2:4 FLAGS",
					`* 1 FETCH (UID 2 FLAGS (\Seen))`, `* 2 FETCH (UID 3 FLAGS (\Answered))`, `* 3 FETCH (UID 4 FLAGS (\Seen))`, "A999 OK ~"),
				cs("RFC 3501 6.4.8: a UID range beyond the last one", "A998 UID FETCH 5:* FLAGS", `* 4 FETCH (UID 5 FLAGS (\Seen \Flagged))`, "A998 OK ~"),
				cs("RFC 3501 6.4.8", `A997 UID STORE 3 +FLAGS (\Flagged)`, `* 2 FETCH (UID 3 FLAGS (\Answered \Flagged))`, "A997 OK ~"),
				cs("RFC 3501 6.4.8", "A996 UID COPY 4:5 MEETING", "A996 OK [COPYUID {{V:MEETING}} 4:5 3:4] ~"),
				cs("RFC 3501 6.4.8: a missing UID is not an error", "A995 UID FETCH 1 FLAGS", "A995 OK ~"),
				cs("RFC 3501 6.4.8", "A994 UID SEARCH ALL", "* SEARCH 2 3 4 5", "A994 OK ~"),
			}},
		{name: "6.5.1_x_command", login: true, steps: []cstep{
			cs("RFC 3501 6.5.1", "a441 XPIG-LATIN", "a441 BAD ~"),
		}},
		section8Scenario(),
	}
}

// section8Scenario is RFC 3501 section 8's sample connection: message 12
// of 18 is the RFC's "IMAP4rev1 WG mtg summary and minutes" with a
// 342-octet header and a 3028-octet body of 92 lines.
func section8Scenario() cscenario {
	var body strings.Builder
	for range 91 {
		body.WriteString(strings.Repeat("m", 31) + "\r\n")
	}
	body.WriteString(strings.Repeat("e", 23) + "\r\n")
	header := "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n" +
		"From: Terry Gray <gray@cac.washington.edu>\r\n" +
		"Subject: IMAP4rev1 WG mtg summary and minutes\r\n" +
		"To: imap@cac.washington.edu\r\n" +
		"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n" +
		"Message-Id: <B27397-0100000@cac.washington.edu>\r\n" +
		"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
	pad := 342 - len(header) - len("X-Pad: \r\n") - 2
	header += "X-Pad: " + strings.Repeat("p", pad) + "\r\n\r\n"
	msg := header + body.String()
	size := strconv.Itoa(len(msg))
	return cscenario{name: "8_sample", setup: func(f *cfixture) {
		if len(header) != 342 || body.Len() != 3028 {
			f.t.Fatalf("the fixture is wrong: header %d, body %d", len(header), body.Len())
		}
		inbox := f.ts.inbox("user@example.com")
		for i := 1; i <= 16; i++ {
			content := cmsg("a@example.net", fmt.Sprintf("m%d", i), "Mon, 02 Mar 2026 10:00:00 +0000", "x")
			if i == 12 {
				date, _ := time.Parse(time.RFC1123Z, "Wed, 17 Jul 1996 02:44:25 -0700")
				if _, _, err := f.ts.st.AppendMessage(f.t.Context(), inbox.ID, []byte(msg), store.FlagSeen, nil, date); err != nil {
					f.t.Fatal(err)
				}
				continue
			}
			f.ts.appendTo(inbox, content, store.FlagSeen)
		}
		f.claimRecent(inbox)
		f.fill("new", inbox, 2, nil, nil)
		f.validity("INBOX", inbox)
	}, steps: []cstep{
		cs("RFC 3501 8", "a001 login user@example.com secret", `re:a001 OK (\[CAPABILITY IMAP4rev1 [^]]*\] )?.+`),
		{ref: "RFC 3501 8", send: []string{"a002 select inbox"}, unordered: true, want: []string{
			"* 18 EXISTS",
			`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
			"* 2 RECENT",
			"* OK [UNSEEN 17] ~",
			"* OK [UIDVALIDITY {{V:INBOX}}] ~",
			`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] ~`,
			"* OK [UIDNEXT 19] ~",
			"a002 OK [READ-WRITE] SELECT completed",
		}},
		cs("RFC 3501 8", "a003 fetch 12 full",
			`re:\* 12 FETCH \(FLAGS \(\\Seen\) INTERNALDATE "(17-Jul-1996 02:44:25 -0700|17-Jul-1996 09:44:25 \+0000)" RFC822\.SIZE `+size+` ENVELOPE \(`+
				regexp.QuoteMeta(`"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" `+
					`(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) `+
					`(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) `+
					`((NIL NIL "minutes" "CNRI.Reston.VA.US")`)+
				// The example has a space between the two addresses; the
				// formal syntax (env-cc = "(" 1*address ")") has none.
				` ?`+
				regexp.QuoteMeta(`("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL `+
					`"<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))`),
			"a003 OK FETCH completed"),
		cs("RFC 3501 8", "a004 fetch 12 body[header]", "* 12 FETCH (BODY[HEADER] {342}\r\n"+header+")", "a004 OK FETCH completed"),
		cs("RFC 3501 8", `a005 store 12 +flags \deleted`, `* 12 FETCH (FLAGS (\Seen \Deleted))`, "a005 OK STORE completed"),
		cs("RFC 3501 8", "a006 logout", "* BYE ~", "a006 OK LOGOUT completed"),
	}}
}

func extensionScenarios() []cscenario {
	return []cscenario{
		{name: "RFC2177_idle", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 3, nil, nil)
				f.claimRecent(inbox)
				f.validity("INBOX", inbox)
			},
			steps: []cstep{
				{ref: "RFC 2177 (A001)", send: []string{"A001 SELECT INBOX"}, unordered: true, want: []string{
					`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
					`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] ~`,
					"* 3 EXISTS", "* 0 RECENT", "* OK [UNSEEN 1] ~", "* OK [UIDVALIDITY {{V:INBOX}}] ~", "* OK [UIDNEXT 4] ~",
					"A001 OK [READ-WRITE] SELECT completed",
				}},
				{ref: "RFC 2177 (A002)", send: []string{"A002 IDLE"}, untagged: true, want: []string{"+ ~"}},
				// New mail arrives.
				{ref: "RFC 2177 (A002)", before: func(f *cfixture) {
					f.ts.deliver("user@example.com", cmsg("new@example.net", "new one", "Mon, 02 Mar 2026 12:00:00 +0000", "x"))
				}, untagged: true, want: []string{"* 4 EXISTS", "* 1 RECENT"}},
				{ref: "RFC 2177 (A002)", send: []string{"DONE"}, tag: "A002", want: []string{"A002 OK IDLE terminated"}},
				// Another client expunges message 2 now.
				{ref: "RFC 2177 (A003)", before: func(f *cfixture) {
					inbox := f.ts.inbox("user@example.com")
					if _, err := f.ts.st.SetFlags(f.t.Context(), inbox.ID, []uint32{2}, store.FlagsAdd, store.FlagDeleted, nil); err != nil {
						f.t.Fatal(err)
					}
					if _, err := f.ts.st.Expunge(f.t.Context(), inbox.ID, []uint32{2}); err != nil {
						f.t.Fatal(err)
					}
				}, send: []string{"A003 FETCH 4 (UID)"}, want: []string{"* 4 FETCH (UID 4)", "A003 OK FETCH completed"}},
				// The pending EXPUNGE comes with the next IDLE (before or
				// after the continuation request).
				{ref: "RFC 2177 (A004)", send: []string{"A004 IDLE"}, untagged: true, want: []string{"* 2 EXPUNGE", "+ ~"},
					alts: [][]string{{"+ ~", "* 2 EXPUNGE"}}},
				{ref: "RFC 2177 (A004): another client expunges message 3", before: func(f *cfixture) {
					inbox := f.ts.inbox("user@example.com")
					if _, err := f.ts.st.SetFlags(f.t.Context(), inbox.ID, []uint32{4}, store.FlagsAdd, store.FlagDeleted, nil); err != nil {
						f.t.Fatal(err)
					}
				}, untagged: true, want: []string{`* 3 FETCH (FLAGS (\Deleted \Recent))`}},
				{ref: "RFC 2177 (A004)", before: func(f *cfixture) {
					inbox := f.ts.inbox("user@example.com")
					if _, err := f.ts.st.Expunge(f.t.Context(), inbox.ID, []uint32{4}); err != nil {
						f.t.Fatal(err)
					}
				}, untagged: true, want: []string{"* 3 EXPUNGE"}},
				{ref: "RFC 2177 (A004): new mail arrives", before: func(f *cfixture) {
					f.ts.deliver("user@example.com", cmsg("new@example.net", "another", "Mon, 02 Mar 2026 13:00:00 +0000", "x"))
				}, untagged: true, want: []string{"* 3 EXISTS", "* 1 RECENT"}},
				{ref: "RFC 2177 (A004)", send: []string{"DONE"}, tag: "A004", want: []string{"A004 OK IDLE terminated"}},
			}},
		{name: "RFC2342_namespace", login: true, steps: []cstep{
			// Personal namespace "" with ".", no other users' namespace,
			// the public folders as the shared namespace (RFC 2342 5,
			// example 5.3's shape).
			cs("RFC 2342 5", "A001 NAMESPACE", `* NAMESPACE (("" ".")) NIL (("#Public." "."))`, "A001 OK NAMESPACE completed"),
			cs("RFC 3501 6.1.3", "A002 LOGOUT", "* BYE ~", "A002 OK LOGOUT completed"),
		}},
		{name: "RFC2342_namespace_not_authenticated", steps: []cstep{
			cs("RFC 2342 5: NAMESPACE is valid in the authenticated and selected states", "A001 NAMESPACE", "A001 BAD ~"),
		}},
		{name: "RFC4315_uidplus", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 6, func(i int) int { return btoi(i == 1) * store.FlagDeleted }, nil)
				f.claimRecent(inbox)
				f.validity("saved-messages", f.folder("saved-messages"))
				f.validity("meeting", f.folder("meeting"))
			},
			steps: []cstep{
				{ref: "RFC 4315 3 (A003)", send: []string{"A003 APPEND saved-messages (\\Seen) {310}", rfcMessage},
					want: []string{"+ ~", "A003 OK [APPENDUID {{V:saved-messages}} 1] APPEND completed"}},
				selectStep("a", "INBOX"),
				cs("RFC 4315 3 (A004)", "A004 COPY 2:4 meeting", "A004 OK [COPYUID {{V:meeting}} 2:4 1:3] COPY completed"),
				cs("RFC 4315 3 (A005)", "A005 UID COPY 305:310 meeting", "A005 OK ~"),
				// The two sets of COPYUID are in the same order (RFC 4315 3):
				// copied in the set's order or in UID order.
				{ref: "RFC 4315 3 (A006)", send: []string{"A006 UID COPY 6,5 meeting"},
					want: []string{"A006 OK [COPYUID {{V:meeting}} 6,5 4:5] ~"},
					alts: [][]string{{"A006 OK [COPYUID {{V:meeting}} 5:6 4:5] ~"}}},
				// UID EXPUNGE removes only the given UIDs that have \Deleted.
				cs("RFC 4315 2.1", `A007 STORE 2:3 +FLAGS.SILENT (\Deleted)`, "A007 OK STORE completed"),
				{ref: "RFC 4315 2.1 (A202)", send: []string{"A202 UID EXPUNGE 1:2"},
					want: []string{"* 1 EXPUNGE", "* 1 EXPUNGE", "A202 OK ~"},
					alts: [][]string{{"* 2 EXPUNGE", "* 1 EXPUNGE", "A202 OK ~"}}},
				cs("RFC 4315 2.1", "A203 UID SEARCH DELETED", "* SEARCH 3", "A203 OK ~"),
				cs("RFC 4315 3: APPENDUID for a multi-line literal", "A204 APPEND meeting {5+}\r\nhello",
					"A204 OK [APPENDUID {{V:meeting}} 6] APPEND completed"),
			}},
		{name: "RFC6851_move", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				f.fill("INBOX", inbox, 5, nil, nil)
				f.claimRecent(inbox)
				f.validity("foo", f.folder("foo"))
			},
			steps: []cstep{
				selectStep("a", "INBOX"),
				// The COPYUID comes in an untagged OK before the EXPUNGEs.
				{ref: "RFC 6851 4.3 (a)", send: []string{"a UID MOVE 2:4 foo"},
					want: []string{"* OK [COPYUID {{V:foo}} 2:4 1:3] ~", "* 2 EXPUNGE", "* 2 EXPUNGE", "* 2 EXPUNGE", "a OK ~"},
					alts: [][]string{{"* OK [COPYUID {{V:foo}} 2:4 1:3] ~", "* 4 EXPUNGE", "* 3 EXPUNGE", "* 2 EXPUNGE", "a OK ~"}}},
				{ref: "RFC 6851 3.3", send: []string{"b MOVE 1:* foo"},
					want: []string{"* OK [COPYUID {{V:foo}} 1,5 4:5] ~", "* 1 EXPUNGE", "* 1 EXPUNGE", "b OK ~"},
					alts: [][]string{{"* OK [COPYUID {{V:foo}} 1,5 4:5] ~", "* 2 EXPUNGE", "* 1 EXPUNGE", "b OK ~"}}},
				cs("RFC 6851 3.3: TRYCREATE", "c MOVE 1 nothing", "c BAD ~"),
				cs("RFC 6851", "d STATUS foo (MESSAGES)", `* STATUS "foo" (MESSAGES 5)`, "d OK STATUS completed"),
			}},
		{name: "RFC6851_move_missing_target", login: true,
			setup: func(f *cfixture) {
				f.fill("INBOX", f.ts.inbox("user@example.com"), 1, nil, nil)
			},
			steps: []cstep{
				selectStep("a", "INBOX"),
				cs("RFC 6851 3.3 / RFC 3501 6.4.7: TRYCREATE", "c MOVE 1 nothing", "c NO [TRYCREATE] ~"),
			}},
		{name: "RFC3348_children", login: true,
			setup: func(f *cfixture) {
				f.folder("Fruit", "Apple")
				f.folder("Fruit", "Banana")
				f.folder("Tofu")
				f.folder("Vegetable", "Broccoli")
			},
			steps: []cstep{
				cs("RFC 3348 4 (ABC01)", `ABC01 LIST "" %`, joinLines(
					`* LIST (\HasNoChildren) "." "INBOX"`,
					specialListLines[0],
					`* LIST (\HasChildren) "." "Fruit"`,
					specialListLines[1:3],
					`* LIST (\HasNoChildren) "." "Tofu"`,
					specialListLines[3],
					`* LIST (\HasChildren) "." "Vegetable"`,
					publicListLine,
					"ABC01 OK LIST completed")...),
				cs("RFC 3348 4 (ABC02)", `ABC02 LIST "" Fruit.%`,
					`* LIST (\HasNoChildren) "." "Fruit.Apple"`, `* LIST (\HasNoChildren) "." "Fruit.Banana"`, "ABC02 OK LIST completed"),
			}},
		{name: "RFC6154_special_use", login: true,
			setup: func(f *cfixture) {
				f.folder("ToDo")
				f.folder("Projects", "Foo")
			},
			steps: []cstep{
				cs("RFC 6154 5.1 (t1)", `t1 LIST "" %`, joinLines(
					`* LIST (\HasNoChildren) "." "INBOX"`,
					specialListLines[:2],
					`* LIST (\HasChildren) "." "Projects"`,
					specialListLines[2],
					`* LIST (\HasNoChildren) "." "ToDo"`,
					specialListLines[3],
					publicListLine,
					"t1 OK LIST completed")...),
			}},
		{name: "RFC7888_literal_plus", steps: []cstep{
			cs("RFC 7888 3 (A001)", "A001 LOGIN {16+}\r\nuser@example.com {6+}\r\nsecret", `re:A001 OK (\[CAPABILITY IMAP4rev1 [^]]*\] )?.+`),
			cs("RFC 7888 3", "A002 CREATE {9+}\r\nliteral+x", "A002 OK CREATE completed"),
			cs("RFC 7888 3", `A003 LIST "" {8+}`+"\r\nliteral*", `* LIST (\HasNoChildren) "." "literal+x"`, "A003 OK LIST completed"),
		}},
		{name: "RFC5161_enable", steps: []cstep{
			cs("RFC 5161 3.1: not before authentication", "t0 ENABLE CONDSTORE", "t0 BAD ~"),
			cs("RFC 5161 3.1", "t1 CAPABILITY", `re:\* CAPABILITY IMAP4rev1( [^ ]+)* ENABLE( [^ ]+)*`, "t1 OK CAPABILITY completed"),
			cs("RFC 3501 6.2.3", "t2 LOGIN user@example.com secret", `re:t2 OK (\[CAPABILITY IMAP4rev1 [^]]*\] )?.+`),
			// Nothing we know can be enabled: an empty ENABLED response.
			cs("RFC 5161 3.1 (t2)", "t3 ENABLE CONDSTORE X-GOOD-IDEA", "* ENABLED", "t3 OK ~"),
			cs("RFC 5161 3.1: a syntax error", "t4 ENABLE", "t4 BAD ~"),
		}},
		{name: "RFC2971_id", steps: []cstep{
			cs("RFC 2971 3.3", `a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")`,
				`re:\* ID (NIL|\(("[^"]*" ("[^"]*"|NIL))( "[^"]*" ("[^"]*"|NIL))*\))`, "a023 OK ID completed"),
			cs("RFC 2971 3.1", "a024 ID NIL", `re:\* ID (NIL|\(.*\))`, "a024 OK ID completed"),
		}},
		{name: "RFC5256_sort", login: true,
			setup: func(f *cfixture) {
				inbox := f.ts.inbox("user@example.com")
				for _, m := range []struct{ subject, date string }{
					{"Re: beta", "Wed, 02 Feb 1994 10:00:00 +0000"},
					{"alpha", "Thu, 03 Feb 1994 10:00:00 +0000"},
					{"Fwd: beta", "Mon, 31 Jan 1994 10:00:00 +0000"},
					{"[list] alpha", "Tue, 01 Feb 1994 10:00:00 +0000"},
					{"gamma", "Fri, 04 Feb 1994 10:00:00 +0000"},
				} {
					f.ts.appendTo(inbox, cmsg("a@example.net", m.subject, m.date, "x"), 0)
				}
				f.claimRecent(inbox)
			},
			steps: []cstep{
				selectStep("a", "INBOX"),
				cs("RFC 5256 3 (A282)", "A282 SORT (SUBJECT) UTF-8 SENTSINCE 1-Feb-1994", "* SORT 2 4 1 5", "A282 OK SORT completed"),
				cs("RFC 5256 3 (A283)", "A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL", "* SORT 2 4 1 3 5", "A283 OK SORT completed"),
				cs("RFC 5256 3 (A284)", `A284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"`, "* SORT", "A284 OK SORT completed"),
				cs("RFC 5256 3", "A285 UID SORT (DATE) UTF-8 ALL", "* SORT 3 4 1 2 5", "A285 OK ~"),
				cs("RFC 5256 3: an unknown charset", "A286 SORT (DATE) X-UNKNOWN ALL", `re:A286 NO \[BADCHARSET( \([^)]*\))?\] .+`),
			}},
		{name: "RFC9208_quota_unlimited", login: true, steps: []cstep{
			// No limit: INBOX has no quota root, and QUOTA responses need at
			// least one resource (RFC 9208 9: quota-list).
			cs("RFC 9208 4.3.2 / 9", "G0002 GETQUOTAROOT INBOX", `* QUOTAROOT "INBOX"`, "G0002 OK GETQUOTAROOT completed"),
		}},
		{name: "RFC9208_quota", login: true,
			setup: func(f *cfixture) {
				a := f.user
				a.MaxSizeMB = 1
				if err := f.ts.st.UpdateAccount(f.t.Context(), a); err != nil {
					f.t.Fatal(err)
				}
				f.ts.appendTo(f.ts.inbox("user@example.com"), strings.Repeat("x", 2000)+"\r\n", 0)
			},
			steps: []cstep{
				cs("RFC 9208 4.3.2 (G0002)", "G0002 GETQUOTAROOT INBOX", `* QUOTAROOT "INBOX" ""`, `* QUOTA "" (STORAGE 2 1024)`, "G0002 OK GETQUOTAROOT completed"),
				cs("RFC 9208 4.3.1 (G0001)", `G0001 GETQUOTA ""`, `* QUOTA "" (STORAGE 2 1024)`, "G0001 OK GETQUOTA completed"),
				cs("RFC 9208 4.3.1", `G0003 GETQUOTA "!partition.sda4"`, "G0003 NO ~"),
				cs("RFC 9208 4.4.1 (S0001)", `S0001 SETQUOTA "" (STORAGE 510)`, "S0001 NO ~"),
				cs("RFC 9208 4.1 (CAPABILITY)", "C0001 CAPABILITY", `re:\* CAPABILITY IMAP4rev1( [^ ]+)* QUOTA( [^ ]+)*`, "C0001 OK CAPABILITY completed"),
			}},
		{name: "RFC4314_acl", login: true,
			setup: func(f *cfixture) {
				pub := f.ts.createFolder(0, "Shared")
				if err := f.ts.st.SetFolderACL(f.t.Context(), pub.ID, "user@example.com", "lrswipkxtea"); err != nil {
					f.t.Fatal(err)
				}
			},
			steps: []cstep{
				cs("RFC 4314 4 (A001)", "A001 GETACL INBOX", `* ACL "INBOX" user@example.com lrswipkxtea`, "A001 OK GETACL completed"),
				cs("RFC 4314 3.5 (A004)", "A004 MYRIGHTS INBOX", `* MYRIGHTS "INBOX" lrswipkxtea`, "A004 OK MYRIGHTS completed"),
				cs("RFC 4314 4 (A002)", "A002 SETACL #Public.Shared other@example.com +lr", "A002 OK SETACL completed"),
				cs("RFC 4314 4", "A003 GETACL #Public.Shared", `* ACL "#Public.Shared" other@example.com lr user@example.com lrswipkxtea`, "A003 OK GETACL completed"),
				cs("RFC 4314 3.4 / 4 (A003)", "A005 LISTRIGHTS #Public.Shared other@example.com",
					`* LISTRIGHTS "#Public.Shared" other@example.com "" l r s w i p k x t e a`, "A005 OK LISTRIGHTS completed"),
				cs("RFC 4314 3.2", "A006 DELETEACL #Public.Shared other@example.com", "A006 OK DELETEACL completed"),
				cs("RFC 4314 3.3", "A007 GETACL #Public.Shared", `* ACL "#Public.Shared" user@example.com lrswipkxtea`, "A007 OK GETACL completed"),
				cs("RFC 4314 4: an unknown right", "A008 SETACL #Public.Shared other@example.com +lr9", "A008 BAD ~"),
				cs("RFC 4314 2.1", "A009 CAPABILITY", `re:\* CAPABILITY IMAP4rev1( [^ ]+)* ACL( [^ ]+)* RIGHTS=texk( [^ ]+)*`, "A009 OK CAPABILITY completed"),
			}},
		{name: "RFC3691_unselect", login: true,
			setup: func(f *cfixture) {
				f.fill("INBOX", f.ts.inbox("user@example.com"), 2, func(i int) int { return store.FlagDeleted }, nil)
			},
			steps: []cstep{
				cs("RFC 3691 3", "A341 UNSELECT", "A341 BAD ~"),
				selectStep("a", "INBOX"),
				cs("RFC 3691 3 (A342)", "A342 UNSELECT", "A342 OK UNSELECT completed"),
				// Unlike CLOSE, nothing was expunged.
				cs("RFC 3691 2", "A343 STATUS INBOX (MESSAGES)", `* STATUS "INBOX" (MESSAGES 2)`, "A343 OK STATUS completed"),
				cs("RFC 3691 2: back in the authenticated state", "A344 FETCH 1 FLAGS", "A344 BAD ~"),
			}},
	}
}
