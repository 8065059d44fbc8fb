package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// imapFixture is a domain with two accounts.
type imapFixture struct {
	s          *Store
	user, peer Account
	inbox      Folder
}

func newIMAPFixture(t *testing.T, s *Store) imapFixture {
	t.Helper()
	mustDomain(t, s, Domain{Name: "example.com"})
	f := imapFixture{s: s, user: mustAccount(t, s, "user@example.com", 0), peer: mustAccount(t, s, "peer@example.com", 0)}
	inbox, err := s.Inbox(context.Background(), f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.inbox = inbox
	return f
}

func mustCreateFolder(t *testing.T, s *Store, accountID, parentID int64, name string) Folder {
	t.Helper()
	f, err := s.CreateFolder(context.Background(), accountID, parentID, name)
	if err != nil {
		t.Fatalf("create folder %q: %v", name, err)
	}
	return f
}

func mustAppend(t *testing.T, s *Store, folderID int64, content string, flags int, keywords ...string) IMAPMessage {
	t.Helper()
	m, _, err := s.AppendMessage(context.Background(), folderID, []byte(content), flags, keywords, time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return m
}

func mustMessages(t *testing.T, s *Store, folderID int64) []IMAPMessage {
	t.Helper()
	msgs, err := s.IMAPMessages(context.Background(), folderID, false)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func uidsOf(msgs []IMAPMessage) []uint32 {
	var out []uint32
	for _, m := range msgs {
		out = append(out, m.UID)
	}
	return out
}

func fileExists(t *testing.T, s *Store, rel string) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(s.files.Root(), filepath.FromSlash(rel)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestNewAccountsGetTheSpecialFolders(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		f := newIMAPFixture(t, s)
		folders, err := s.Folders(context.Background(), f.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names, uses []string
		for _, folder := range folders {
			names = append(names, folder.Name)
			uses = append(uses, SpecialUse(folder))
		}
		slices.Sort(names)
		slices.Sort(uses)
		if want := []string{"Drafts", "INBOX", "Junk", "Sent", "Trash"}; !slices.Equal(names, want) {
			t.Errorf("a new account has folders %v, want %v", names, want)
		}
		if want := []string{"", `\Drafts`, `\Junk`, `\Sent`, `\Trash`}; !slices.Equal(uses, want) {
			t.Errorf("special uses %v, want %v", uses, want)
		}
	})
}

func TestMigrationGivesExistingAccountsTheSpecialFolders(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	f := newIMAPFixture(t, s)
	// As an account made before migration 2: only INBOX.
	if _, err := s.exec(ctx, s.db, "DELETE FROM imap_folders WHERE account_id = ? AND name <> 'INBOX'", f.user.ID); err != nil {
		t.Fatal(err)
	}
	mustCreateFolder(t, s, f.user.ID, 0, "Drafts")
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := afterMigration[2](s, ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	n, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM imap_folders WHERE account_id = ?", f.user.ID)
	if err != nil || n != 5 {
		t.Errorf("after the migration step the account has %d folders (%v), want INBOX and the 4 special folders once each", n, err)
	}
}

func TestCreateFolderValidatesTheName(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		work := mustCreateFolder(t, s, f.user.ID, 0, "Work")
		peerInbox, err := s.Inbox(ctx, f.peer.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, level, field string
			parent             int64
		}{
			{"empty", "", "name", 0},
			{"control_character", "a\tb", "name", 0},
			{"delimiter", "a.b", "name", 0},
			{"too_long", strings.Repeat("x", 256), "name", 0},
			{"inbox_in_another_case", "inbox", "name", 0},
			{"duplicate", "Work", "name", 0},
			{"unknown_parent", "x", "parent_id", 999999},
			{"another_accounts_parent", "x", "parent_id", peerInbox.ID},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.CreateFolder(ctx, f.user.ID, c.parent, c.level)
				wantValidation(t, err, c.field)
			})
		}
		// INBOX is only special at the top of an account.
		mustCreateFolder(t, s, f.user.ID, work.ID, "inbox")
		mustCreateFolder(t, s, 0, 0, "INBOX")
		t.Run("depth_limit", func(t *testing.T) {
			parent := int64(0)
			for i := range maxFolderDepth {
				parent = mustCreateFolder(t, s, f.peer.ID, parent, fmt.Sprint("level", i)).ID
			}
			_, err := s.CreateFolder(ctx, f.peer.ID, parent, "too-deep")
			wantValidation(t, err, "name")
		})
		t.Run("names_are_case_sensitive_on_every_engine", func(t *testing.T) {
			mustCreateFolder(t, s, f.user.ID, 0, "work")
		})
	})
}

func TestHierarchyDelimiterChangeIsRefusedWhileAFolderNameContainsIt(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		clash := mustCreateFolder(t, s, f.user.ID, 0, "2024/25")
		err := s.SetSettings(ctx, map[string]string{"IMAPHierarchyDelimiter": "/"})
		wantValidation(t, err, "IMAPHierarchyDelimiter")
		if !strings.Contains(err.Error(), "2024/25") || !strings.Contains(err.Error(), "user@example.com") {
			t.Errorf("the refusal %q does not name the folder and its account", err)
		}
		if d, _ := s.Setting(ctx, "IMAPHierarchyDelimiter"); d != "." {
			t.Errorf("the delimiter is %q after the refusal, want .", d)
		}
		wantValidation(t, s.SetSettings(ctx, map[string]string{"IMAPHierarchyDelimiter": "-"}), "IMAPHierarchyDelimiter")
		if err := s.SetSettings(ctx, map[string]string{"IMAPHierarchyDelimiter": `\`}); err != nil {
			t.Fatalf("a delimiter no folder uses: %v", err)
		}
		if err := s.DeleteFolder(ctx, clash.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSettings(ctx, map[string]string{"IMAPHierarchyDelimiter": "/"}); err != nil {
			t.Fatalf("after the folder is gone: %v", err)
		}
		_, err = s.CreateFolder(ctx, f.user.ID, 0, "a/b")
		wantValidation(t, err, "name")
		mustCreateFolder(t, s, f.user.ID, 0, "a.b")
	})
}

func TestRenameFolderMovesItsSubfolders(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		projects := mustCreateFolder(t, s, f.user.ID, 0, "Projects")
		alpha := mustCreateFolder(t, s, f.user.ID, projects.ID, "Alpha")
		deep := mustCreateFolder(t, s, f.user.ID, alpha.ID, "Notes")
		archive := mustCreateFolder(t, s, f.user.ID, 0, "Archive")
		m := mustAppend(t, s, alpha.ID, "Subject: a\r\n\r\nx\r\n", 0)

		if err := s.RenameFolder(ctx, projects.ID, archive.ID, "Old projects"); err != nil {
			t.Fatal(err)
		}
		got, err := s.Folder(ctx, projects.ID)
		if err != nil || got.ParentID != archive.ID || got.Name != "Old projects" {
			t.Fatalf("renamed folder = %+v (%v)", got, err)
		}
		if got, _ := s.Folder(ctx, alpha.ID); got.ParentID != projects.ID {
			t.Errorf("the subfolder moved away from its parent: %+v", got)
		}
		if msgs := mustMessages(t, s, alpha.ID); len(msgs) != 1 || msgs[0].UID != m.UID {
			t.Errorf("the subfolder's messages changed: %+v", msgs)
		}
		wantValidation(t, s.RenameFolder(ctx, projects.ID, projects.ID, "X"), "parent_id")
		wantValidation(t, s.RenameFolder(ctx, projects.ID, deep.ID, "X"), "parent_id")
		wantValidation(t, s.RenameFolder(ctx, alpha.ID, 0, "Archive"), "name")
		wantValidation(t, s.RenameFolder(ctx, f.inbox.ID, 0, "Mail"), "name")
		wantValidation(t, s.RenameFolder(ctx, alpha.ID, 0, "a.b"), "name")
		// Back to the top, with a name only differing in case from Archive.
		if err := s.RenameFolder(ctx, alpha.ID, 0, "archive"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRenameInboxMovesItsMessagesToANewFolder(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		first := mustAppend(t, s, f.inbox.ID, "Subject: 1\r\n\r\n1\r\n", FlagSeen)
		second := mustAppend(t, s, f.inbox.ID, "Subject: 2\r\n\r\n2\r\n", 0)
		before, _ := s.FolderVersion(ctx, f.inbox.ID)
		moved, err := s.RenameInbox(ctx, f.user.ID, 0, "Old mail")
		if err != nil {
			t.Fatal(err)
		}
		if got := uidsOf(mustMessages(t, s, moved.ID)); !slices.Equal(got, []uint32{first.UID, second.UID}) {
			t.Errorf("the new folder holds UIDs %v, want %v", got, []uint32{first.UID, second.UID})
		}
		if moved.UIDValidity == f.inbox.UIDValidity || moved.UIDNext != second.UID+1 {
			t.Errorf("new folder %+v: want its own UIDVALIDITY and UIDNEXT %d", moved, second.UID+1)
		}
		if msgs := mustMessages(t, s, f.inbox.ID); len(msgs) != 0 {
			t.Errorf("INBOX still holds %d messages", len(msgs))
		}
		if after, _ := s.FolderVersion(ctx, f.inbox.ID); after == before {
			t.Error("INBOX's version did not change")
		}
		third := mustAppend(t, s, f.inbox.ID, "Subject: 3\r\n\r\n3\r\n", 0)
		if third.UID <= second.UID {
			t.Errorf("INBOX gave UID %d again after the rename", third.UID)
		}
	})
}

func TestDeleteFolder(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		parent := mustCreateFolder(t, s, f.user.ID, 0, "Parent")
		child := mustCreateFolder(t, s, f.user.ID, parent.ID, "Child")
		m := mustAppend(t, s, child.ID, "Subject: c\r\n\r\nc\r\n", 0)

		wantValidation(t, s.DeleteFolder(ctx, f.inbox.ID), "name")
		if err := s.DeleteFolder(ctx, parent.ID); !errors.Is(err, ErrFolderHasChildren) {
			t.Fatalf("deleting a folder with a subfolder: %v, want ErrFolderHasChildren", err)
		}
		if err := s.DeleteFolder(ctx, child.ID); err != nil {
			t.Fatal(err)
		}
		if fileExists(t, s, m.Path) {
			t.Error("the deleted folder's message file is still there")
		}
		if _, err := s.Folder(ctx, child.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted folder: %v, want ErrNotFound", err)
		}
		if err := s.DeleteFolder(ctx, parent.ID); err != nil {
			t.Fatalf("once empty of subfolders: %v", err)
		}
		if err := s.DeleteFolder(ctx, parent.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting it again: %v, want ErrNotFound", err)
		}
	})
}

func TestAppendMessage(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		content := "Subject: hello\r\n\r\nworld\r\n"
		m, folder, err := s.AppendMessage(ctx, f.inbox.ID, []byte(content), FlagSeen|FlagRecent, []string{"$Label1", "work", "WORK"}, time.Unix(1_600_000_000, 0))
		if err != nil {
			t.Fatal(err)
		}
		if m.UID != 1 || folder.UIDNext != 2 || m.Size != int64(len(content)) || m.Flags != FlagSeen || !m.InternalDate.Equal(time.Unix(1_600_000_000, 0)) {
			t.Errorf("appended %+v into %+v", m, folder)
		}
		if !slices.Equal(m.Keywords, []string{"$Label1", "work"}) {
			t.Errorf("keywords %v, want $Label1 and work once", m.Keywords)
		}
		data, err := s.ReadMessage(m.Path)
		if err != nil || string(data) != content {
			t.Errorf("ReadMessage = %q, %v", data, err)
		}
		if !strings.HasPrefix(m.Path, "example.com/user/") {
			t.Errorf("the file is at %s, want under the account's directory", m.Path)
		}
		msgs := mustMessages(t, s, f.inbox.ID)
		// Listed without claiming (EXAMINE), the message shows as \Recent
		// and stays so.
		if len(msgs) != 1 || msgs[0].Flags != FlagSeen || !slices.Equal(msgs[0].Keywords, m.Keywords) || !msgs[0].Recent {
			t.Errorf("listed %+v", msgs)
		}
		st, err := s.FolderStatus(ctx, f.inbox.ID)
		if err != nil || st != (FolderStatus{Messages: 1, Recent: 1, Unseen: 0, UIDNext: 2, UIDValidity: f.inbox.UIDValidity}) {
			t.Errorf("status %+v (%v)", st, err)
		}
		_, _, err = s.AppendMessage(ctx, f.inbox.ID, []byte(content), 0, []string{"bad keyword"}, time.Time{})
		wantValidation(t, err, "keywords")
		if _, _, err := s.AppendMessage(ctx, 999999, []byte(content), 0, nil, time.Time{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("append to a missing folder: %v", err)
		}

		public := mustCreateFolder(t, s, 0, 0, "Notices")
		pm := mustAppend(t, s, public.ID, content, 0)
		if !strings.HasPrefix(pm.Path, "public/") {
			t.Errorf("a public message's file is at %s, want under public/", pm.Path)
		}
	})
}

func TestConcurrentAppendsGetDistinctUIDs(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		f := newIMAPFixture(t, s)
		const workers, each = 4, 5
		var mu sync.Mutex
		var uids []uint32
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					m, _, err := s.AppendMessage(context.Background(), f.inbox.ID, []byte(fmt.Sprintf("Subject: %d-%d\r\n\r\nx\r\n", w, i)), 0, nil, time.Time{})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					uids = append(uids, m.UID)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		slices.Sort(uids)
		if len(slices.Compact(slices.Clone(uids))) != workers*each {
			t.Fatalf("UIDs handed out twice: %v", uids)
		}
		if got := uidsOf(mustMessages(t, s, f.inbox.ID)); !slices.Equal(got, uids) {
			t.Errorf("the folder lists %v, the appends returned %v", got, uids)
		}
	})
}

func TestRecentIsClaimedByExactlyOneCaller(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		for i := range 3 {
			mustAppend(t, s, f.inbox.ID, fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i), 0)
		}
		const sessions = 4
		claimed := make([]int, sessions)
		var wg sync.WaitGroup
		errs := make(chan error, sessions)
		for i := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msgs, err := s.IMAPMessages(ctx, f.inbox.ID, true)
				if err != nil {
					errs <- err
					return
				}
				for _, m := range msgs {
					if m.Recent {
						claimed[i]++
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		slices.Sort(claimed)
		if want := []int{0, 0, 0, 3}; !slices.Equal(claimed, want) {
			t.Errorf("recent messages seen per session %v, want one session seeing all 3", claimed)
		}
		st, _ := s.FolderStatus(ctx, f.inbox.ID)
		if st.Recent != 0 {
			t.Errorf("STATUS counts %d recent after the claim", st.Recent)
		}
		// A new message, delivered, is recent again for the next claimer.
		storeMessage(t, s, f.user) // AddToFolder, as a delivery
		mustAppend(t, s, f.inbox.ID, "Subject: new\r\n\r\nx\r\n", 0)
		msgs, err := s.IMAPMessages(ctx, f.inbox.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		var recent []uint32
		for _, m := range msgs {
			if m.Recent {
				recent = append(recent, m.UID)
			}
		}
		if !slices.Equal(recent, []uint32{4, 5}) {
			t.Errorf("recent UIDs %v, want [4 5]", recent)
		}
	})
}

func TestSetFlags(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		a := mustAppend(t, s, f.inbox.ID, "Subject: a\r\n\r\na\r\n", FlagSeen, "old")
		b := mustAppend(t, s, f.inbox.ID, "Subject: b\r\n\r\nb\r\n", 0)
		v0, _ := s.FolderVersion(ctx, f.inbox.ID)
		got, err := s.SetFlags(ctx, f.inbox.ID, []uint32{a.UID, b.UID, 99}, FlagsAdd, FlagFlagged, []string{"todo", "OLD"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Flags != FlagSeen|FlagFlagged || !slices.Equal(got[0].Keywords, []string{"old", "todo"}) ||
			got[1].Flags != FlagFlagged || !slices.Equal(got[1].Keywords, []string{"todo", "OLD"}) {
			t.Errorf("after add: %+v", got)
		}
		v1, _ := s.FolderVersion(ctx, f.inbox.ID)
		if v1 == v0 {
			t.Error("the folder version did not change with the flags")
		}
		if got, err = s.SetFlags(ctx, f.inbox.ID, []uint32{a.UID}, FlagsRemove, FlagSeen, []string{"TODO"}); err != nil {
			t.Fatal(err)
		}
		if got[0].Flags != FlagFlagged || !slices.Equal(got[0].Keywords, []string{"old"}) {
			t.Errorf("after remove: %+v", got)
		}
		if got, err = s.SetFlags(ctx, f.inbox.ID, []uint32{a.UID}, FlagsReplace, FlagDeleted|FlagRecent, nil); err != nil {
			t.Fatal(err)
		}
		if got[0].Flags != FlagDeleted || len(got[0].Keywords) != 0 {
			t.Errorf("after replace: %+v", got)
		}
		// The server's \Recent is not the client's to set or clear.
		if st, _ := s.FolderStatus(ctx, f.inbox.ID); st.Recent != 2 {
			t.Errorf("recent count %d after STORE, want 2", st.Recent)
		}
		v2, _ := s.FolderVersion(ctx, f.inbox.ID)
		if _, err := s.SetFlags(ctx, f.inbox.ID, []uint32{a.UID}, FlagsAdd, FlagDeleted, nil); err != nil {
			t.Fatal(err)
		}
		if v3, _ := s.FolderVersion(ctx, f.inbox.ID); v3 != v2 {
			t.Error("a STORE that changed nothing changed the version")
		}
	})
}

func TestCopyAndMoveGiveNewUIDs(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		archive := mustCreateFolder(t, s, f.user.ID, 0, "Archive")
		mustAppend(t, s, archive.ID, "Subject: first\r\n\r\nx\r\n", 0) // archive's UID 1 is taken
		a := mustAppend(t, s, f.inbox.ID, "Subject: a\r\n\r\na\r\n", FlagSeen, "k")
		b := mustAppend(t, s, f.inbox.ID, "Subject: b\r\n\r\nb\r\n", 0)
		s.IMAPMessages(ctx, f.inbox.ID, true) // no longer recent

		src, dst, target, err := s.CopyMessages(ctx, f.inbox.ID, []uint32{b.UID, a.UID, 77}, archive.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(src, []uint32{a.UID, b.UID}) || !slices.Equal(dst, []uint32{2, 3}) || target.UIDNext != 4 {
			t.Errorf("copy gave %v → %v, target %+v", src, dst, target)
		}
		copies := mustMessages(t, s, archive.ID)
		if len(copies) != 3 || copies[1].Flags != FlagSeen || !slices.Equal(copies[1].Keywords, []string{"k"}) {
			t.Fatalf("archive after the copy: %+v", copies)
		}
		if copies[1].Path == a.Path {
			t.Error("the copy shares the original's file")
		}
		if data, err := s.ReadMessage(copies[1].Path); err != nil || string(data) != "Subject: a\r\n\r\na\r\n" {
			t.Errorf("copy's file: %q, %v", data, err)
		}
		if st, _ := s.FolderStatus(ctx, archive.ID); st.Recent != 3 {
			t.Errorf("archive has %d recent, want 3 (copies are recent)", st.Recent)
		}
		if n := len(mustMessages(t, s, f.inbox.ID)); n != 2 {
			t.Errorf("the copy took messages from INBOX: %d left", n)
		}

		folders, _ := s.Folders(ctx, f.user.ID)
		var junk Folder
		for _, folder := range folders {
			if folder.Name == "Junk" {
				junk = folder
			}
		}
		src, dst, target, err = s.MoveMessages(ctx, f.inbox.ID, []uint32{a.UID}, junk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(src, []uint32{a.UID}) || !slices.Equal(dst, []uint32{1}) || target.ID != junk.ID {
			t.Errorf("move gave %v → %v into %+v", src, dst, target)
		}
		moved := mustMessages(t, s, junk.ID)
		if len(moved) != 1 || moved[0].Path != a.Path || moved[0].Flags != FlagSeen || moved[0].ID != a.ID {
			t.Errorf("moved within the account: %+v, want the same row and file", moved)
		}
		if got := uidsOf(mustMessages(t, s, f.inbox.ID)); !slices.Equal(got, []uint32{b.UID}) {
			t.Errorf("INBOX after the move: %v", got)
		}

		// Into a public folder: the message gets a file of its own
		// there, the account's file goes.
		public := mustCreateFolder(t, s, 0, 0, "Shared")
		if _, _, _, err := s.MoveMessages(ctx, junk.ID, []uint32{1}, public.ID); err != nil {
			t.Fatal(err)
		}
		shared := mustMessages(t, s, public.ID)
		if len(shared) != 1 || !strings.HasPrefix(shared[0].Path, "public/") {
			t.Fatalf("public folder after the move: %+v", shared)
		}
		if fileExists(t, s, a.Path) {
			t.Error("the account's file is left after moving the message to a public folder")
		}
		if size, _ := s.AccountSize(ctx, f.user.ID); size != int64(len("Subject: b\r\n\r\nb\r\n")+2*len("Subject: a\r\n\r\na\r\n")+len("Subject: first\r\n\r\nx\r\n")) {
			t.Errorf("account size %d after moving a message out", size)
		}
	})
}

func TestExpungeRemovesDeletedMessagesAndFiles(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		keep := mustAppend(t, s, f.inbox.ID, "Subject: keep\r\n\r\nx\r\n", FlagSeen)
		gone := mustAppend(t, s, f.inbox.ID, "Subject: gone\r\n\r\nx\r\n", FlagDeleted)
		later := mustAppend(t, s, f.inbox.ID, "Subject: later\r\n\r\nx\r\n", FlagDeleted)

		got, err := s.Expunge(ctx, f.inbox.ID, []uint32{keep.UID, gone.UID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, []uint32{gone.UID}) {
			t.Errorf("UID EXPUNGE removed %v, want [%d]", got, gone.UID)
		}
		if fileExists(t, s, gone.Path) || !fileExists(t, s, later.Path) || !fileExists(t, s, keep.Path) {
			t.Error("the files do not match the expunge")
		}
		if got, err = s.Expunge(ctx, f.inbox.ID, nil); err != nil || !slices.Equal(got, []uint32{later.UID}) {
			t.Errorf("EXPUNGE removed %v (%v), want [%d]", got, err, later.UID)
		}
		if got := uidsOf(mustMessages(t, s, f.inbox.ID)); !slices.Equal(got, []uint32{keep.UID}) {
			t.Errorf("left %v", got)
		}
	})
}

func TestQuotaRefusesWhatWouldNotFit(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		small := mustAccount(t, s, "small@example.com", 1)
		inbox, _ := s.Inbox(ctx, small.ID)
		half := strings.Repeat("x", 600<<10)
		first := mustAppend(t, s, inbox.ID, half, 0)
		if _, _, err := s.AppendMessage(ctx, inbox.ID, []byte(half), 0, nil, time.Time{}); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("second 600 KB message into 1 MB: %v, want ErrQuotaExceeded", err)
		}
		if _, _, _, err := s.CopyMessages(ctx, inbox.ID, []uint32{first.UID}, inbox.ID); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("copy over quota: %v, want ErrQuotaExceeded", err)
		}
		files := 0
		filepath.WalkDir(filepath.Join(s.files.Root(), "example.com", "small"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files++
			}
			return nil
		})
		if files != 1 {
			t.Errorf("the account's directory holds %d files after the refusals, want 1", files)
		}
		// A move inside the account does not change its size.
		sent := mustCreateFolder(t, s, small.ID, 0, "Kept")
		if _, _, _, err := s.MoveMessages(ctx, inbox.ID, []uint32{first.UID}, sent.ID); err != nil {
			t.Errorf("move within a full account: %v", err)
		}
		// Public folders have no quota.
		public := mustCreateFolder(t, s, 0, 0, "Big")
		mustAppend(t, s, public.ID, half+half, 0)
	})
}

func TestFolderRightsResolution(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		third := mustAccount(t, s, "third@example.com", 0)
		admin, err := s.CreateAccount(ctx, Account{Address: "admin@example.com", Active: true, AdminLevel: AdminServer}, "secret-admin")
		if err != nil {
			t.Fatal(err)
		}
		staff, _ := s.CreateGroup(ctx, "Staff")
		board, _ := s.CreateGroup(ctx, "Board")
		for _, m := range []struct{ g, a int64 }{{staff.ID, f.user.ID}, {board.ID, f.user.ID}, {board.ID, f.peer.ID}} {
			if err := s.AddGroupMember(ctx, m.g, m.a); err != nil {
				t.Fatal(err)
			}
		}
		shared := mustCreateFolder(t, s, 0, 0, "Shared")
		sub := mustCreateFolder(t, s, 0, shared.ID, "Sub")
		for _, e := range []ACLEntry{{"anyone", "l"}, {"$board", "lr"}, {"$Staff", "lrs"}, {"PEER@example.com", "lrsw"}} {
			if err := s.SetFolderACL(ctx, shared.ID, e.Identifier, e.Rights); err != nil {
				t.Fatalf("set %v: %v", e, err)
			}
		}
		rights := func(folderID int64, a Account) string {
			t.Helper()
			r, err := s.FolderRights(ctx, folderID, a)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		for _, c := range []struct {
			name   string
			folder int64
			who    Account
			want   string
		}{
			{"own_entry_wins_over_groups", shared.ID, f.peer, "lrsw"},
			{"first_group_by_id_wins", shared.ID, f.user, "lrs"},
			{"anyone_without_entry_or_group", shared.ID, third, "l"},
			{"subfolder_inherits", sub.ID, f.peer, "lrsw"},
			{"own_folder_has_all_rights", f.inbox.ID, f.user, AllRights},
			{"another_accounts_folder_has_none", f.inbox.ID, f.peer, ""},
			{"public_root_lists", 0, f.user, "l"},
			{"public_root_server_admin_creates", 0, admin, "lk"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := rights(c.folder, c.who); got != c.want {
					t.Errorf("rights %q, want %q", got, c.want)
				}
			})
		}
		// Setting an entry on the subfolder keeps the inherited ones.
		if err := s.SetFolderACL(ctx, sub.ID, "anyone", ""); err != nil {
			t.Fatal(err)
		}
		if got := rights(sub.ID, third); got != "" {
			t.Errorf("after removing anyone on the subfolder: %q, want none", got)
		}
		if got := rights(sub.ID, f.peer); got != "lrsw" {
			t.Errorf("peer on the subfolder: %q, want lrsw", got)
		}
		if got := rights(shared.ID, third); got != "l" {
			t.Errorf("the parent lost its entry: %q", got)
		}
		acl, err := s.FolderACL(ctx, shared.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []ACLEntry{{"$Board", "lr"}, {"$Staff", "lrs"}, {"anyone", "l"}, {"peer@example.com", "lrsw"}}
		if !slices.Equal(acl, want) {
			t.Errorf("ACL %v, want %v", acl, want)
		}
		// The obsolete RFC 2086 letters.
		if err := s.SetFolderACL(ctx, shared.ID, "third@example.com", "lrcd"); err != nil {
			t.Fatal(err)
		}
		if got := rights(shared.ID, third); got != "lrkxte" {
			t.Errorf("c and d became %q, want lrkxte", got)
		}
		wantValidation(t, s.SetFolderACL(ctx, shared.ID, "nobody@example.com", "l"), "identifier")
		wantValidation(t, s.SetFolderACL(ctx, shared.ID, "$NoSuchGroup", "l"), "identifier")
		wantValidation(t, s.SetFolderACL(ctx, shared.ID, "anyone", "lz"), "rights")
		wantValidation(t, s.SetFolderACL(ctx, f.inbox.ID, "anyone", "l"), "folder")
		// Deleting the folder takes its permissions along.
		if err := s.DeleteFolder(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.count(ctx, s.db, "SELECT COUNT(*) FROM imap_acl WHERE folder_id = ?", sub.ID); n != 0 {
			t.Errorf("%d permission rows of a deleted folder left", n)
		}
	})
}

// received reports whether a watch has a signal, without waiting.
func received(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestWatchAndVersionFollowEveryChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		watch, stop := s.WatchFolder(f.inbox.ID)
		defer stop()
		version := func() int64 {
			t.Helper()
			v, err := s.FolderVersion(ctx, f.inbox.ID)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		step := func(name string, change func()) {
			t.Helper()
			before := version()
			change()
			if !received(watch) {
				t.Errorf("%s: the watch did not fire", name)
			}
			if version() == before {
				t.Errorf("%s: the folder version did not change", name)
			}
		}
		step("delivery from the queue", func() {
			m := mustEnqueue(t, s, QueuedRecipient{Address: "user@example.com", AccountID: f.user.ID})
			if err := s.DeliverLocal(ctx, m.ID, m.Recipients[0].ID, storeMessagePath(t, f.user), m.Size); err != nil {
				t.Fatal(err)
			}
		})
		step("AddToFolder", func() { storeMessage(t, s, f.user) })
		var appended IMAPMessage
		step("append", func() { appended = mustAppend(t, s, f.inbox.ID, "Subject: x\r\n\r\nx\r\n", 0) })
		step("flags", func() {
			if _, err := s.SetFlags(ctx, f.inbox.ID, []uint32{appended.UID}, FlagsAdd, FlagDeleted, nil); err != nil {
				t.Fatal(err)
			}
		})
		step("expunge", func() {
			if _, err := s.Expunge(ctx, f.inbox.ID, nil); err != nil {
				t.Fatal(err)
			}
		})
		msgs, _ := s.FolderMessages(ctx, f.inbox.ID)
		step("POP3 deletion (DeleteMessages)", func() {
			if n, err := s.DeleteMessages(ctx, f.user.ID, []int64{msgs[0].ID}); err != nil || n != 1 {
				t.Fatalf("DeleteMessages = %d, %v", n, err)
			}
		})
		archive := mustCreateFolder(t, s, f.user.ID, 0, "Archive")
		step("move out", func() {
			if _, _, _, err := s.MoveMessages(ctx, f.inbox.ID, []uint32{msgs[1].UID}, archive.ID); err != nil {
				t.Fatal(err)
			}
		})
		stop()
		mustAppend(t, s, f.inbox.ID, "Subject: y\r\n\r\ny\r\n", 0)
		if received(watch) {
			t.Error("a stopped watch fired")
		}
	})
}

// storeMessagePath is a new message path of the account.
func storeMessagePath(t *testing.T, a Account) string {
	t.Helper()
	rel, err := AccountMessagePath(a.Address, strings.Repeat("ab", 16))
	if err != nil {
		t.Fatal(err)
	}
	return rel
}
