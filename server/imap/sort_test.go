package imap

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBaseSubject follows RFC 5256 2.1 step by step.
func TestBaseSubject(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hello", "hello"},
		{"", ""},
		// (1) decoding and white space
		{"  hello \t world  ", "hello world"},
		{"hello\r\n world", "hello world"},
		{"=?utf-8?q?Re=3A_Caf=C3=A9?=", "Café"},
		{"=?iso-8859-1?q?Gr=FC=DFe?= aus Berlin", "Grüße aus Berlin"},
		// (2) trailers
		{"hello (fwd)", "hello"},
		{"hello (FWD) (fwd)  ", "hello"},
		{"hello(fwd)", "hello"},
		{"(fwd)", ""},
		{"hello (fwd) world", "hello (fwd) world"},
		// (3) leaders
		{"Re: hello", "hello"},
		{"RE: Re: re:hello", "hello"},
		{"Fwd: hello", "hello"},
		{"FW: hello", "hello"},
		{"fw:hello", "hello"},
		{"Re : hello", "hello"},
		{"Re[2]: hello", "hello"},
		{"Re [2]: hello", "hello"},
		{"[list] Re: hello", "hello"},
		{"[list][other] Fwd: Re: hello", "hello"},
		{"Re:", ""},
		{"Reply: hello", "Reply: hello"},
		{"Fwdx: hi", "Fwdx: hi"},
		{"Re hello", "Re hello"},
		// (4) a leading blob goes unless it is all there is
		{"[list] hello", "hello"},
		{"[list] [other] hello", "hello"},
		{"[list]", "[list]"},
		{"[a] [b]", "[b]"},
		{"[a] Re: [b]", "[b]"},
		{"[liste-ä] hallo", "hallo"},
		{"[unterminated hello", "[unterminated hello"},
		{"Re: [unterminated hello", "[unterminated hello"},
		{"[a[b] hello", "[a[b] hello"},
		// (5) leaders and blobs in turn
		{"[list] Re: [list] Re: hello", "hello"},
		// (6) "[fwd: ...]"
		{"[Fwd: hello]", "hello"},
		{"[FWD: Re: hello (fwd)]", "hello"},
		{"Re: [Fwd: Re: hello (fwd)]", "hello"},
		{"[fwd: [fwd: hello]]", "hello"},
		{"[fwd: ]", ""},
		{"[fwd: hello", "[fwd: hello"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := baseSubject(tc.in); got != tc.want {
				t.Errorf("baseSubject(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestBaseSubjectBoundedWork feeds subjects made to make a naive
// implementation quadratic; the answer must still be right.
func TestBaseSubjectBoundedWork(t *testing.T) {
	blobs := strings.Repeat("[x] ", 200000) + "hello"
	// Past maxBaseSubject the end is cut, so only blobs remain, and the
	// last is the subject.
	if got := baseSubject(blobs); got != "[x]" {
		t.Errorf("baseSubject(many blobs) = %q, want [x]", got[:min(len(got), 40)])
	}
	if got := baseSubject(strings.Repeat("[x] ", 100) + "hello"); got != "hello" {
		t.Errorf("baseSubject(100 blobs hello) = %q, want hello", got)
	}
	if got := baseSubject(strings.Repeat("[fwd: ", 100) + "hello" + strings.Repeat("]", 100)); got != "hello" {
		t.Errorf("baseSubject(nested fwd) = %q, want hello", got)
	}
	if got := baseSubject(strings.Repeat("Re: ", 1000) + "hello"); got != "hello" {
		t.Errorf("baseSubject(1000 Re:) = %q, want hello", got)
	}
}

// sortMessage builds a header with the given fields ("" leaves a field
// out).
func sortMessage(date, from, to, cc, subject string) []byte {
	var b strings.Builder
	for _, f := range [][2]string{{"Date", date}, {"From", from}, {"To", to}, {"Cc", cc}, {"Subject", subject}} {
		if f[1] != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", f[0], f[1])
		}
	}
	b.WriteString("\r\nbody\r\n")
	return []byte(b.String())
}

func TestSortMessages(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 3, d, 12, 0, 0, 0, time.UTC) }
	// Five messages, sequence numbers 1-5, in mailbox order.
	metas := []MessageMeta{
		{Seq: 1, UID: 10, InternalDate: day(5), Size: 300},
		{Seq: 2, UID: 11, InternalDate: day(3), Size: 100},
		{Seq: 3, UID: 12, InternalDate: day(3), Size: 300},
		{Seq: 4, UID: 13, InternalDate: day(1), Size: 200},
		{Seq: 5, UID: 14, InternalDate: day(9), Size: 100},
	}
	contents := [][]byte{
		sortMessage("Mon, 4 Mar 2024 10:00:00 +0000", `"Zed" <zed@example.com>`, "bob@example.com", "", "Re: Beta"),
		// 23:00 -0500 is 04:00 the next day in UTC: after message 1.
		sortMessage("Mon, 4 Mar 2024 23:00:00 -0500", "=?utf-8?q?Ann?= <ANN@example.com>", "Group: carl@example.com, dan@example.com;", "x@example.com", "alpha"),
		sortMessage("", "", "", "", "[list] BETA (fwd)"), // no Date: the internal date, 3 March
		sortMessage("not a date", `"quoted local"@example.com`, "ALICE@example.com", "", "=?utf-8?q?Re=3A_gamma?="),
		sortMessage("Fri, 1 Mar 2024 08:00:00 +0100", "mike@example.com", "", "a@example.com", "Fwd: [Fwd: Alpha]"),
	}
	for _, tc := range []struct {
		keys string
		want []uint32 // sequence numbers
	}{
		{"ARRIVAL", []uint32{4, 2, 3, 1, 5}},
		{"REVERSE ARRIVAL", []uint32{5, 1, 2, 3, 4}}, // 2 and 3 tie: mailbox order
		{"SIZE", []uint32{2, 5, 4, 1, 3}},
		{"REVERSE SIZE", []uint32{1, 3, 4, 2, 5}},
		// DATE: 5 (1 Mar 07:00Z), 3 and 4 fall back to their internal
		// dates (3 Mar, 1 Mar 12:00Z), 1 (4 Mar 10:00Z), 2 (5 Mar 04:00Z).
		{"DATE", []uint32{5, 4, 3, 1, 2}},
		{"REVERSE DATE", []uint32{2, 1, 3, 4, 5}},
		// SUBJECT: alpha, alpha, beta, beta, gamma (case-insensitive);
		// ties in mailbox order.
		{"SUBJECT", []uint32{2, 5, 1, 3, 4}},
		{"REVERSE SUBJECT", []uint32{4, 1, 3, 2, 5}},
		{"SUBJECT REVERSE DATE", []uint32{2, 5, 1, 3, 4}},
		{"SUBJECT REVERSE ARRIVAL", []uint32{5, 2, 1, 3, 4}},
		// FROM: "" (3), ann, mike, quoted local, zed.
		{"FROM", []uint32{3, 2, 5, 4, 1}},
		// TO: "" (3, 5), alice, bob, carl (first address of the group).
		{"TO", []uint32{3, 5, 4, 1, 2}},
		// CC: "" (1, 3, 4), a, x.
		{"CC", []uint32{1, 3, 4, 5, 2}},
		{"REVERSE CC", []uint32{2, 5, 1, 3, 4}},
		{"CC SIZE", []uint32{4, 1, 3, 5, 2}},
	} {
		t.Run(tc.keys, func(t *testing.T) {
			keys := sortKeys(t, tc.keys)
			var forSort [][]byte
			if SortNeedsContent(keys) {
				forSort = contents
			}
			order := SortMessages(keys, metas, forSort)
			got := make([]uint32, len(order))
			for i, index := range order {
				got[i] = metas[index].Seq
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("SORT (%s) = %v, want %v", tc.keys, got, tc.want)
			}
		})
	}
}

// sortKeys parses SORT criteria as a client sends them.
func sortKeys(t testing.TB, criteria string) []SortKey {
	t.Helper()
	c, err := ParseCommand([]byte("A1 SORT (" + criteria + ") UTF-8 ALL\r\n"))
	if err != nil {
		t.Fatalf("parsing SORT (%s): %v", criteria, err)
	}
	return c.SortKeys
}

func TestSortEdgeCases(t *testing.T) {
	if got := SortMessages(sortKeys(t, "SUBJECT"), nil, nil); len(got) != 0 {
		t.Errorf("sorting an empty mailbox = %v", got)
	}
	metas := []MessageMeta{{Seq: 1}, {Seq: 2}}
	// Missing contents (a message that could not be read) sort as empty.
	if got := SortMessages(sortKeys(t, "REVERSE FROM"), metas, [][]byte{nil, []byte("From: a@example.com\r\n\r\n")}); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("REVERSE FROM with a missing message = %v, want [1 0]", got)
	}
	// An encoded display name holding a comma is still one address: the
	// mailbox is "john", which sorts before "kate".
	contents := [][]byte{
		[]byte("From: Kate <kate@example.com>\r\n\r\n"),
		[]byte("From: =?utf-8?q?Smith=2C_Zoe?= <john@example.com>\r\n\r\n"),
	}
	if got := SortMessages(sortKeys(t, "FROM"), metas, contents); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("FROM with an encoded comma = %v, want [1 0]", got)
	}
	// Sequence numbers, not positions, break ties.
	metas = []MessageMeta{{Seq: 7}, {Seq: 3}, {Seq: 5}}
	if got := SortMessages(sortKeys(t, "REVERSE SIZE"), metas, nil); !slices.Equal(got, []int{1, 2, 0}) {
		t.Errorf("ties = %v, want [1 2 0]", got)
	}
}

func TestSortNeedsContent(t *testing.T) {
	for _, tc := range []struct {
		keys string
		want bool
	}{
		{"ARRIVAL", false},
		{"SIZE REVERSE ARRIVAL", false},
		{"CC", true},
		{"DATE", true},
		{"ARRIVAL REVERSE FROM", true},
		{"SUBJECT", true},
		{"TO", true},
	} {
		if got := SortNeedsContent(sortKeys(t, tc.keys)); got != tc.want {
			t.Errorf("SortNeedsContent(%s) = %v, want %v", tc.keys, got, tc.want)
		}
	}
}
