package imap

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

func TestAppendUIDSet(t *testing.T) {
	for _, tc := range []struct {
		name string
		uids []uint32
		want string
	}{
		{"single", []uint32{7}, "7"},
		{"run_becomes_range", []uint32{1, 2, 3}, "1:3"},
		{"runs_and_singles", []uint32{1, 2, 3, 5, 8, 9}, "1:3,5,8:9"},
		{"descending_order_kept_pairwise", []uint32{5, 4}, "5,4"},
		{"empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendUIDSet(nil, tc.uids)); got != tc.want {
				t.Errorf("appendUIDSet(%v) = %q, want %q", tc.uids, got, tc.want)
			}
		})
	}
}

func TestAppendSectionSpec(t *testing.T) {
	for _, tc := range []struct {
		name string
		sec  Section
		want string
	}{
		{"whole_message", Section{}, ""},
		{"part", Section{Part: []int{1, 2}}, "1.2"},
		{"header", Section{Specifier: "HEADER"}, "HEADER"},
		{"part_mime", Section{Part: []int{2}, Specifier: "MIME"}, "2.MIME"},
		{"header_fields", Section{Specifier: "HEADER.FIELDS", Fields: []string{"From", "Subject"}}, "HEADER.FIELDS (From Subject)"},
		{"part_header_fields_not", Section{Part: []int{3}, Specifier: "HEADER.FIELDS.NOT", Fields: []string{"X-A"}}, "3.HEADER.FIELDS.NOT (X-A)"},
		{"field_that_is_no_atom_is_quoted", Section{Specifier: "HEADER.FIELDS", Fields: []string{"a]b"}}, `HEADER.FIELDS ("a]b")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendSectionSpec(nil, tc.sec)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseStoreFlags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		flags    []string
		bits     int
		keywords []string
		bad      bool
	}{
		{"system_flags_any_case", []string{`\seen`, `\DELETED`, `\Draft`}, store.FlagSeen | store.FlagDeleted | store.FlagDraft, nil, false},
		{"keywords_kept_as_sent_once", []string{"$Forwarded", `\Flagged`, "$forwarded"}, store.FlagFlagged, []string{"$Forwarded"}, false},
		{"recent_is_refused", []string{`\Recent`}, 0, nil, true},
		{"unknown_system_flag_is_refused", []string{`\Important`}, 0, nil, true},
		{"keyword_with_bracket_is_refused", []string{"a]"}, 0, nil, true},
		{"no_flags_clears", nil, 0, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bits, keywords, msg := parseStoreFlags(tc.flags)
			if (msg != "") != tc.bad {
				t.Fatalf("message %q, want bad=%v", msg, tc.bad)
			}
			if tc.bad {
				return
			}
			if bits != tc.bits || !slices.Equal(keywords, tc.keywords) {
				t.Errorf("got %b %q, want %b %q", bits, keywords, tc.bits, tc.keywords)
			}
		})
	}
}

func TestSelectedResolve(t *testing.T) {
	sel := &selected{}
	for _, uid := range []uint32{3, 5, 9, 10} {
		sel.msgs = append(sel.msgs, selectedMessage{uid: uid})
	}
	for _, tc := range []struct {
		name string
		set  SeqSet
		uid  bool
		want []int
		err  bool
	}{
		{"seq_range", SeqSet{{2, 3}}, false, []int{1, 2}, false},
		{"seq_star", SeqSet{{0, 0}}, false, []int{3}, false},
		{"seq_reversed_range", SeqSet{{4, 1}}, false, []int{0, 1, 2, 3}, false},
		{"seq_beyond_the_mailbox_is_an_error", SeqSet{{5, 5}}, false, nil, true},
		{"uid_missing_left_out", SeqSet{{4, 9}}, true, []int{1, 2}, false},
		{"uid_range_to_star_above_max_has_the_last", SeqSet{{50, 0}}, true, []int{3}, false},
		{"uid_none_exist", SeqSet{{11, 20}}, true, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sel.resolve(tc.set, tc.uid)
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	empty := &selected{}
	if _, err := empty.resolve(SeqSet{{0, 0}}, false); err == nil {
		t.Error(`"*" in an empty mailbox resolved`)
	}
	if got, err := empty.resolve(SeqSet{{1, 0}}, true); err != nil || len(got) != 0 {
		t.Errorf("UID 1:* in an empty mailbox: %v %v", got, err)
	}
}

func TestStoreRightsMissing(t *testing.T) {
	sel := &selected{folder: store.Folder{AccountID: 0}, msgs: []selectedMessage{
		{uid: 1, flags: store.FlagSeen, keywords: []string{"$Label1"}},
	}}
	for _, tc := range []struct {
		name     string
		rights   string
		mode     StoreMode
		bits     int
		keywords []string
		want     string
	}{
		{"seen_needs_s", "lrw", StoreRemove, store.FlagSeen, nil, "s"},
		{"deleted_needs_t", "lrsw", StoreAdd, store.FlagDeleted, nil, "t"},
		{"flagged_needs_w", "lrst", StoreAdd, store.FlagFlagged, nil, "w"},
		{"keyword_needs_w", "lrst", StoreAdd, 0, []string{"$Junk"}, "w"},
		{"adding_what_is_set_changes_nothing", "lr", StoreAdd, store.FlagSeen, []string{"$label1"}, ""},
		{"replace_with_the_same_changes_nothing", "lr", StoreReplace, store.FlagSeen, []string{"$Label1"}, ""},
		{"replace_clearing_seen_needs_s", "lrw", StoreReplace, 0, []string{"$Label1"}, "s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel.rights = tc.rights
			if got := sel.storeRightsMissing([]int{0}, tc.mode, tc.bits, tc.keywords); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestInternalDateLayout(t *testing.T) {
	d := time.Date(2026, 3, 5, 7, 8, 9, 0, time.FixedZone("", -(4*3600+30*60)))
	if got, want := d.Format(internalDateLayout), " 5-Mar-2026 07:08:09 -0430"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFlagNames(t *testing.T) {
	m := selectedMessage{flags: store.FlagSeen | store.FlagAnswered | store.FlagDraft, recent: true, keywords: []string{"$Forwarded"}}
	if got, want := string(appendFlagList(nil, m.flagNames())), `(\Answered \Seen \Draft \Recent $Forwarded)`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSelectedPathsSurviveCompaction(t *testing.T) {
	sel := &selected{}
	id := func(n int) string { return fmt.Sprintf("%02x", n) + strings.Repeat("0123456789abcdef", 2)[2:] }
	paths := []string{
		"example.org/user/" + id(1)[:2] + "/" + id(1) + ".eml",
		"example.org/user/" + id(2)[:2] + "/" + id(2) + ".eml",
		"example.org/other/" + id(3)[:2] + "/" + id(3) + ".eml", // another prefix
		"example.org/user/" + id(4)[:2] + "/" + id(4) + ".eml",
		"example.org/user/c/message.eml", // another shape
		"example.org/user/" + id(6)[:2] + "/" + strings.ToUpper(id(6)) + ".eml",
		"public/" + id(7)[:2] + "/" + id(7) + ".eml",
	}
	for i, p := range paths {
		sel.appendMessage(&store.IMAPMessage{UID: uint32(i + 1), Path: p})
	}
	for i := range sel.msgs {
		if got := sel.path(&sel.msgs[i]); got != paths[i] {
			t.Errorf("message %d: path %q, want %q", i+1, got, paths[i])
		}
	}
	if len(sel.otherPaths) != 4 {
		t.Errorf("%d paths kept whole, want 4 (another prefix, another shape, upper case, public)", len(sel.otherPaths))
	}
	sel.markExpunged([]uint32{1, 2, 3, 6})
	sel.msgs = slices.DeleteFunc(sel.msgs, func(m selectedMessage) bool { return m.expunged })
	sel.compactPaths()
	if len(sel.otherPaths) != 2 {
		t.Errorf("%d paths kept whole after the expunge, want 2", len(sel.otherPaths))
	}
	for i, want := range []string{paths[3], paths[4], paths[6]} {
		if got := sel.path(&sel.msgs[i]); got != want {
			t.Errorf("after the expunge, message %d: path %q, want %q", i+1, got, want)
		}
	}
}

func TestSelectedInternalDateIsSeconds(t *testing.T) {
	date := time.Date(2026, 11, 25, 10, 30, 15, 0, time.UTC)
	m := newSelectedMessage(&store.IMAPMessage{UID: 1, InternalDate: date})
	if got := m.internalDate(); !got.Equal(date) {
		t.Errorf("internal date %v, want %v", got, date)
	}
}
