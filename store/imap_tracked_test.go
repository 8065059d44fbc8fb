package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTrackedChangesReportTheFolderVersionAroundThem checks that the
// *Tracked writers report the folder's version just before and just after
// their own change, on every engine, and that a change in between (by
// anyone) shows as a From that is not the version a session last saw.
func TestTrackedChangesReportTheFolderVersionAroundThem(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		version := func() int64 {
			t.Helper()
			v, err := s.FolderVersion(ctx, f.inbox.ID)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v0 := version()
		m, _, change, err := s.AppendMessageTracked(ctx, f.inbox.ID, []byte("Subject: a\r\n\r\na\r\n"), 0, nil, time.Time{}, true)
		if err != nil {
			t.Fatal(err)
		}
		if change.From != v0 || change.To != version() || change.To == change.From {
			t.Errorf("append: change %+v, version before %d, after %d", change, v0, version())
		}
		// Claimed for the appending session: \Recent for it, for no one else.
		if !m.Recent {
			t.Error("a claimed append is not \\Recent for its session")
		}
		if st, _ := s.FolderStatus(ctx, f.inbox.ID); st.Recent != 0 {
			t.Errorf("a claimed append is \\Recent for others too (%d recent)", st.Recent)
		}
		unclaimed, _, _, err := s.AppendMessageTracked(ctx, f.inbox.ID, []byte("Subject: b\r\n\r\nb\r\n"), 0, nil, time.Time{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := s.FolderStatus(ctx, f.inbox.ID); unclaimed.Recent || st.Recent != 1 {
			t.Errorf("an unclaimed append: Recent %v, %d recent in the folder, want false and 1", unclaimed.Recent, st.Recent)
		}

		v1 := version()
		_, change, err = s.SetFlagsTracked(ctx, f.inbox.ID, []uint32{m.UID}, FlagsAdd, FlagDeleted, nil)
		if err != nil {
			t.Fatal(err)
		}
		if change.From != v1 || change.To != version() || change.To == change.From {
			t.Errorf("flags: change %+v, version before %d, after %d", change, v1, version())
		}
		v2 := version()
		if _, change, err = s.SetFlagsTracked(ctx, f.inbox.ID, []uint32{m.UID}, FlagsAdd, FlagDeleted, nil); err != nil {
			t.Fatal(err)
		}
		if change.From != v2 || change.To != v2 {
			t.Errorf("flags that change nothing: change %+v, want both %d", change, v2)
		}

		// Another writer first: the next change's From is that writer's To.
		mustAppend(t, s, f.inbox.ID, "Subject: c\r\n\r\nc\r\n", 0)
		v3 := version()
		if v3 == v2 {
			t.Fatal("the append did not move the version")
		}
		gone, change, err := s.ExpungeTracked(ctx, f.inbox.ID, nil)
		if err != nil || len(gone) != 1 || gone[0] != m.UID {
			t.Fatalf("expunge = %v, %v", gone, err)
		}
		if change.From != v3 || change.To != version() || change.To == change.From {
			t.Errorf("expunge: change %+v, version before %d, after %d", change, v3, version())
		}
		v4 := version()
		if _, change, err = s.ExpungeTracked(ctx, f.inbox.ID, nil); err != nil || change.From != v4 || change.To != v4 {
			t.Errorf("an expunge of nothing: change %+v (%v), want both %d", change, err, v4)
		}
		if _, _, err := s.SetFlagsTracked(ctx, 999999, []uint32{1}, FlagsAdd, FlagSeen, nil); err == nil {
			t.Error("flags in a folder that does not exist succeeded")
		}
	})
}

// TestReadMessageHeaderReadsUpToTheEmptyLine checks the header sections
// SEARCH reads, and that the cache gives the same bytes again.
func TestReadMessageHeaderReadsUpToTheEmptyLine(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		f := newIMAPFixture(t, s)
		long := "X-Long: " + strings.Repeat("y", 20<<10) + "\r\n"
		cases := []struct{ name, content, header string }{
			{"crlf", "Subject: a\r\nTo: b\r\n\r\nbody\r\n\r\nmore\r\n", "Subject: a\r\nTo: b\r\n\r\n"},
			{"lf", "Subject: a\n\nbody\n", "Subject: a\n\n"},
			{"no_body", "Subject: a\r\nTo: b\r\n", "Subject: a\r\nTo: b\r\n"},
			{"header_longer_than_one_read", "Subject: a\r\n" + long + "\r\nbody\r\n", "Subject: a\r\n" + long + "\r\n"},
			{"empty_line_first", "\r\nbody\r\n", "\r\n"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				m := mustAppend(t, s, f.inbox.ID, c.content, 0)
				for range 2 { // read, then from the cache
					got, err := s.ReadMessageHeader(m.Path)
					if err != nil || string(got) != c.header {
						t.Fatalf("ReadMessageHeader = %q, %v; want %q", got, err, c.header)
					}
				}
			})
		}
		if _, err := s.ReadMessageHeader("nonexistent/path"); err == nil {
			t.Error("the header of a file that does not exist was read")
		}
	})
}

// TestHeaderCacheStaysWithinItsBound checks that the least recently used
// headers go once the cache is full.
func TestHeaderCacheStaysWithinItsBound(t *testing.T) {
	var c headerCache
	header := []byte(strings.Repeat("h", 32<<10))
	n := 2 * headerCacheMax / len(header)
	for i := range n {
		c.put(fmt.Sprint(i), header)
		if i == 0 {
			// Used again and again: it stays.
			continue
		}
		c.get("0")
	}
	if c.size > headerCacheMax {
		t.Errorf("the cache holds %d bytes, more than %d", c.size, headerCacheMax)
	}
	if _, ok := c.get("0"); !ok {
		t.Error("the most recently used header was dropped")
	}
	if _, ok := c.get("1"); ok {
		t.Error("the least recently used header was kept")
	}
	if _, ok := c.get(fmt.Sprint(n - 1)); !ok {
		t.Error("the newest header was dropped")
	}
	c.put("huge", make([]byte, maxCachedHeader+1))
	if _, ok := c.get("huge"); ok {
		t.Error("a header over maxCachedHeader was kept")
	}
}

// TestIMAPWriteBatchRollsBackOnlyTheWriteThatFailed checks the group
// commit of IMAP writes: writes committed in one transaction each keep
// their own result, and a write that fails after changing rows leaves
// none of its changes while the others' stay.
func TestIMAPWriteBatchRollsBackOnlyTheWriteThatFailed(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		var msgs []IMAPMessage
		for i := range 3 {
			msgs = append(msgs, mustAppend(t, s, f.inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i), 0))
		}
		failure := errors.New("the write fails")
		setSeen := func(m IMAPMessage, fail bool) *imapWrite {
			return &imapWrite{done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
				if _, err := s.exec(ctx, tx, "UPDATE messages SET flags = ? WHERE id = ?", FlagSeen, m.ID); err != nil {
					return err
				}
				if fail {
					return failure
				}
				return nil
			}}
		}
		batch := []*imapWrite{setSeen(msgs[0], false), setSeen(msgs[1], true), setSeen(msgs[2], false)}
		s.commitBatch(batch)
		for i, want := range []error{nil, failure, nil} {
			if got := <-batch[i].done; !errors.Is(got, want) {
				t.Errorf("write %d: %v, want %v", i, got, want)
			}
		}
		got := mustMessages(t, s, f.inbox.ID)
		if got[0].Flags != FlagSeen || got[1].Flags != 0 || got[2].Flags != FlagSeen {
			t.Errorf("flags after the batch: %d %d %d, want %d 0 %d", got[0].Flags, got[1].Flags, got[2].Flags, FlagSeen, FlagSeen)
		}

		// Many writers at once, some failing half way: all of each or
		// nothing of it.
		var wg sync.WaitGroup
		errs := make([]error, 40)
		for i := range errs {
			wg.Go(func() {
				m := msgs[i%3]
				if i%4 == 3 {
					errs[i] = s.imapTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
						if _, err := s.exec(ctx, tx, "UPDATE messages SET keywords = ? WHERE id = ?", "partial", m.ID); err != nil {
							return err
						}
						return failure
					})
					return
				}
				_, _, errs[i] = s.SetFlagsTracked(ctx, f.inbox.ID, []uint32{m.UID}, FlagsAdd, 0, []string{fmt.Sprintf("k%d", i)})
			})
		}
		wg.Wait()
		got = mustMessages(t, s, f.inbox.ID)
		for i, err := range errs {
			has := slices.Contains(got[i%3].Keywords, fmt.Sprintf("k%d", i))
			switch {
			case i%4 == 3 && !errors.Is(err, failure):
				t.Errorf("writer %d: %v, want its own failure", i, err)
			case i%4 != 3 && (err != nil || !has):
				t.Errorf("writer %d: %v, keyword kept %v", i, err, has)
			}
		}
		for _, m := range got {
			if slices.Contains(m.Keywords, "partial") {
				t.Errorf("message %d holds a failed write's change: %v", m.UID, m.Keywords)
			}
		}
	})
}
