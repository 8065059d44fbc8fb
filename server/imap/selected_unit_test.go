package imap

import (
	"slices"
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
	var want []string
	for uid := uint32(1); uid <= 6; uid++ {
		p := "example.org/user/" + string(rune('a'+uid)) + "/message.eml"
		sel.msgs = append(sel.msgs, newSelectedMessage(&store.IMAPMessage{UID: uid, Path: p}, len(sel.paths)))
		sel.paths += p
		want = append(want, p)
	}
	// Four of six gone: the paths left are under half of sel.paths, which
	// is rebuilt from them.
	sel.markExpunged([]uint32{1, 2, 4, 6})
	before := len(sel.paths)
	sel.msgs = slices.DeleteFunc(sel.msgs, func(m selectedMessage) bool { return m.expunged })
	sel.compactPaths()
	if len(sel.paths) >= before {
		t.Errorf("paths not compacted: %d bytes, was %d", len(sel.paths), before)
	}
	for i, wantPath := range []string{want[2], want[4]} {
		if got := sel.path(&sel.msgs[i]); got != wantPath {
			t.Errorf("message %d: path %q, want %q", i+1, got, wantPath)
		}
	}
}

func TestSelectedInternalDateIsSeconds(t *testing.T) {
	date := time.Date(2026, 11, 25, 10, 30, 15, 0, time.UTC)
	m := newSelectedMessage(&store.IMAPMessage{UID: 1, InternalDate: date}, 0)
	if got := m.internalDate(); !got.Equal(date) {
		t.Errorf("internal date %v, want %v", got, date)
	}
}
