package imap

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/store"
)

// The mailbox commands of the authenticated state: names, LIST and LSUB,
// CREATE, DELETE, RENAME, SUBSCRIBE, STATUS, APPEND, NAMESPACE, QUOTA and
// ACL over public folders.

// folderFixture gives user@example.com a small folder tree besides INBOX.
func folderFixture(ts *testServer) {
	id := ts.users["user@example.com"].ID
	for _, levels := range [][]string{{"Sent"}, {"Drafts"}, {"Archive"}, {"Work", "Projects", "Alpha"}} {
		ts.createFolder(id, levels...)
	}
}

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*", "a.b.c", true},
		{"%", "a", true},
		{"%", "a.b", false},
		{"a.%", "a.b", true},
		{"a.%", "a.b.c", false},
		{"a*", "a.b.c", true},
		{"a%c", "abc", true},
		{"a%c", "a.c", false},
		{"*c", "a.b.c", true},
		{"INBOX", "INBOX", true},
		{"INBOX", "INBOXES", false},
		{"", "", true},
		{"", "a", false},
		{"%.%", "a.b", true},
		{"%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%x", strings.Repeat("a", 200), false},
		{strings.Repeat("*a", 100) + "b", strings.Repeat("a", 300), false},
	} {
		if got := matchPattern(tc.pattern, tc.name, "."); got != tc.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
	if !matchPattern("a/%", "a/b.c", "/") || matchPattern("a/%", "a/b/c", "/") {
		t.Error("the delimiter / is not honoured")
	}
}

func TestList(t *testing.T) {
	ts := startServer(t)
	folderFixture(ts)
	c := ts.login("user@example.com")
	for _, tc := range []struct {
		name, command string
		want          []string
	}{
		{"everything", `LIST "" *`, []string{
			`* LIST (\HasNoChildren) "." "INBOX"`,
			`* LIST (\HasNoChildren) "." "Archive"`,
			`* LIST (\HasNoChildren \Drafts) "." "Drafts"`,
			`* LIST (\HasNoChildren \Junk) "." "Junk"`,
			`* LIST (\HasNoChildren \Sent) "." "Sent"`,
			`* LIST (\HasNoChildren \Trash) "." "Trash"`,
			`* LIST (\HasChildren) "." "Work"`,
			`* LIST (\HasChildren) "." "Work.Projects"`,
			`* LIST (\HasNoChildren) "." "Work.Projects.Alpha"`,
			`* LIST (\Noselect \HasNoChildren) "." "#Public"`,
		}},
		{"top_level", `LIST "" %`, []string{
			`* LIST (\HasNoChildren) "." "INBOX"`,
			`* LIST (\HasNoChildren) "." "Archive"`,
			`* LIST (\HasNoChildren \Drafts) "." "Drafts"`,
			`* LIST (\HasNoChildren \Junk) "." "Junk"`,
			`* LIST (\HasNoChildren \Sent) "." "Sent"`,
			`* LIST (\HasNoChildren \Trash) "." "Trash"`,
			`* LIST (\HasChildren) "." "Work"`,
			`* LIST (\Noselect \HasNoChildren) "." "#Public"`,
		}},
		{"one_level_down", `LIST "" Work.%`, []string{`* LIST (\HasChildren) "." "Work.Projects"`}},
		{"reference_name", `LIST Work. %`, []string{`* LIST (\HasChildren) "." "Work.Projects"`}},
		{"inbox_any_case", `LIST "" inbox`, []string{`* LIST (\HasNoChildren) "." "INBOX"`}},
		{"wildcard_inside", `LIST "" *Pro*`, []string{
			`* LIST (\HasChildren) "." "Work.Projects"`,
			`* LIST (\HasNoChildren) "." "Work.Projects.Alpha"`,
		}},
		{"no_match", `LIST "" Nothing*`, nil},
		{"empty_pattern_gives_the_delimiter", `LIST "" ""`, []string{`* LIST (\Noselect) "." ""`}},
		{"empty_pattern_gives_the_reference_root", `LIST Work.Projects ""`, []string{`* LIST (\Noselect) "." "Work."`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.forTest(t)
			c.expect("a", tc.command, append(tc.want, "a OK LIST completed")...)
		})
	}
}

func TestLsub(t *testing.T) {
	ts := startServer(t)
	folderFixture(ts)
	c := ts.login("user@example.com")
	c.expect("a", "UNSUBSCRIBE Work", "a OK UNSUBSCRIBE completed")
	c.expect("b", "UNSUBSCRIBE Work.Projects", "b OK UNSUBSCRIBE completed")
	c.expect("c", "UNSUBSCRIBE Archive", "c OK UNSUBSCRIBE completed")
	c.expect("d", `LSUB "" *`,
		`* LSUB () "." "INBOX"`,
		`* LSUB () "." "Drafts"`,
		`* LSUB () "." "Junk"`,
		`* LSUB () "." "Sent"`,
		`* LSUB () "." "Trash"`,
		`* LSUB () "." "Work.Projects.Alpha"`,
		"d OK LSUB completed")
	// RFC 3501 6.3.9: "%" shows the unsubscribed parent of a subscribed
	// folder, \Noselect.
	c.expect("e", `LSUB "" %`,
		`* LSUB () "." "INBOX"`,
		`* LSUB () "." "Drafts"`,
		`* LSUB () "." "Junk"`,
		`* LSUB () "." "Sent"`,
		`* LSUB () "." "Trash"`,
		`* LSUB (\Noselect) "." "Work"`,
		"e OK LSUB completed")
	c.expect("f", `LSUB "" Work.%`, `* LSUB (\Noselect) "." "Work.Projects"`, "f OK LSUB completed")
	c.expect("g", "SUBSCRIBE Archive", "g OK SUBSCRIBE completed")
	c.expect("h", `LSUB "" Arch*`, `* LSUB () "." "Archive"`, "h OK LSUB completed")
	c.expect("i", "SUBSCRIBE Nothing", "i NO [NONEXISTENT] Mailbox does not exist")
}

func TestCreate(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	for _, tc := range []struct{ command, want string }{
		{"CREATE Work", "a OK CREATE completed"},
		{"CREATE Work", "a NO [ALREADYEXISTS] Mailbox already exists"},
		{"CREATE INBOX", "a NO [ALREADYEXISTS] INBOX always exists"},
		{"CREATE inbox", "a NO [ALREADYEXISTS] INBOX always exists"},
		{"CREATE A.B.C", "a OK CREATE completed"},
		{"CREATE Trailing.", "a OK CREATE completed"},
		{"CREATE Trailing", "a NO [ALREADYEXISTS] Mailbox already exists"},
		{"CREATE x..y", "a NO [CANNOT] Invalid mailbox name"},
		{"CREATE .x", "a NO [CANNOT] Invalid mailbox name"},
		{"CREATE inbox.Sub", "a OK CREATE completed"},
		{"CREATE &AMk-t&AOk-", "a OK CREATE completed"}, // Été
		{"CREATE &Jjo", "a BAD Invalid mailbox name encoding"},
		{"CREATE #Public", "a NO [ALREADYEXISTS] Mailbox already exists"},
	} {
		c.expect("a", tc.command, tc.want)
	}
	c.expect("b", `LIST "" *`,
		`* LIST (\HasChildren) "." "INBOX"`,
		`* LIST (\HasNoChildren) "." "INBOX.Sub"`,
		`* LIST (\HasChildren) "." "A"`,
		`* LIST (\HasChildren) "." "A.B"`,
		`* LIST (\HasNoChildren) "." "A.B.C"`,
		`* LIST (\HasNoChildren \Drafts) "." "Drafts"`,
		`* LIST (\HasNoChildren \Junk) "." "Junk"`,
		`* LIST (\HasNoChildren \Sent) "." "Sent"`,
		`* LIST (\HasNoChildren) "." "Trailing"`,
		`* LIST (\HasNoChildren \Trash) "." "Trash"`,
		`* LIST (\HasNoChildren) "." "Work"`,
		`* LIST (\HasNoChildren) "." "&AMk-t&AOk-"`,
		`* LIST (\Noselect \HasNoChildren) "." "#Public"`,
		"b OK LIST completed")
	if f := ts.folder(ts.users["user@example.com"].ID, "Été"); f.Name != "Été" {
		t.Fatalf("the folder is stored as %q", f.Name)
	}
}

func TestDelete(t *testing.T) {
	ts := startServer(t)
	folderFixture(ts)
	c := ts.login("user@example.com")
	for _, tc := range []struct{ command, want string }{
		{"DELETE INBOX", "a NO [CANNOT] INBOX cannot be deleted"},
		{"DELETE inbox", "a NO [CANNOT] INBOX cannot be deleted"},
		{"DELETE Work", "a NO [CANNOT] Mailbox has children"},
		{"DELETE Nothing", "a NO [NONEXISTENT] Mailbox does not exist"},
		{"DELETE Work.Projects.Alpha", "a OK DELETE completed"},
		{"DELETE Work.Projects.Alpha", "a NO [NONEXISTENT] Mailbox does not exist"},
		{"DELETE #Public", "a NO [NONEXISTENT] Mailbox does not exist"},
	} {
		c.expect("a", tc.command, tc.want)
	}
	c.expect("b", `LIST "" Work*`,
		`* LIST (\HasChildren) "." "Work"`,
		`* LIST (\HasNoChildren) "." "Work.Projects"`,
		"b OK LIST completed")

	t.Run("the_selected_mailbox_ends_the_session", func(t *testing.T) {
		c := c.forTest(t)
		c.expectLast("c", "SELECT Archive", "c OK [READ-WRITE] SELECT completed")
		c.expect("d", "DELETE Archive", "d OK DELETE completed")
		if got := c.line(); got != "* BYE The selected mailbox was deleted" {
			t.Fatalf("after deleting the selected mailbox: %q", got)
		}
		if !c.closed() {
			t.Fatal("the connection stayed open")
		}
	})
}

func TestRename(t *testing.T) {
	ts := startServer(t)
	folderFixture(ts)
	ts.deliver("user@example.com", "Subject: one\r\n\r\nbody\r\n")
	ts.deliver("user@example.com", "Subject: two\r\n\r\nbody\r\n")
	c := ts.login("user@example.com")
	for _, tc := range []struct{ command, want string }{
		{"RENAME Work Job", "a OK RENAME completed"},
		{"RENAME Job Job.Projects.Inner", "a NO [CANNOT] A mailbox cannot be moved into itself"},
		{"RENAME Job Sent", "a NO [ALREADYEXISTS] Mailbox already exists"},
		{"RENAME Job INBOX", "a NO [ALREADYEXISTS] INBOX always exists"},
		{"RENAME Nothing Else", "a NO [NONEXISTENT] Mailbox does not exist"},
		{"RENAME Archive Old.Archive", "a OK RENAME completed"},
		{"RENAME INBOX Old.Inbox", "a OK RENAME completed"},
	} {
		c.expect("a", tc.command, tc.want)
	}
	c.expect("b", `LIST "" *`,
		`* LIST (\HasNoChildren) "." "INBOX"`,
		`* LIST (\HasNoChildren \Drafts) "." "Drafts"`,
		`* LIST (\HasChildren) "." "Job"`,
		`* LIST (\HasChildren) "." "Job.Projects"`,
		`* LIST (\HasNoChildren) "." "Job.Projects.Alpha"`,
		`* LIST (\HasNoChildren \Junk) "." "Junk"`,
		`* LIST (\HasChildren) "." "Old"`,
		`* LIST (\HasNoChildren) "." "Old.Archive"`,
		`* LIST (\HasNoChildren) "." "Old.Inbox"`,
		`* LIST (\HasNoChildren \Sent) "." "Sent"`,
		`* LIST (\HasNoChildren \Trash) "." "Trash"`,
		`* LIST (\Noselect \HasNoChildren) "." "#Public"`,
		"b OK LIST completed")
	c.expect("c", "STATUS INBOX (MESSAGES)", `* STATUS "INBOX" (MESSAGES 0)`, "c OK STATUS completed")
	c.expect("d", "STATUS Old.Inbox (MESSAGES)", `* STATUS "Old.Inbox" (MESSAGES 2)`, "d OK STATUS completed")
}

func TestStatus(t *testing.T) {
	ts := startServer(t)
	ts.deliver("user@example.com", "Subject: one\r\n\r\nbody\r\n")
	ts.deliver("user@example.com", "Subject: two\r\n\r\nbody\r\n")
	validity := strconv.FormatUint(uint64(ts.inbox("user@example.com").UIDValidity), 10)
	c := ts.login("user@example.com")
	c.expect("a", "STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
		`* STATUS "INBOX" (MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY `+validity+` UNSEEN 2)`,
		"a OK STATUS completed")
	c.expect("b", "STATUS Nothing (MESSAGES)", "b NO [NONEXISTENT] Mailbox does not exist")
	c.expectLast("c", "SELECT INBOX", "c OK [READ-WRITE] SELECT completed")
	c.expect("d", "STATUS inbox (UNSEEN MESSAGES)", `* STATUS "INBOX" (UNSEEN 2 MESSAGES 2)`, "d OK STATUS completed")
}

func TestAppend(t *testing.T) {
	ts := startServer(t)
	folderFixture(ts)
	c := ts.login("user@example.com")
	archive := ts.folder(ts.users["user@example.com"].ID, "Archive")
	msg := "Subject: appended\r\n\r\nhello\r\n"
	v := strconv.FormatUint(uint64(archive.UIDValidity), 10)
	c.expect("a", `APPEND Archive (\Seen $Work) "25-Nov-2026 10:00:00 +0000" {`+strconv.Itoa(len(msg))+"+}\r\n"+msg,
		"a OK [APPENDUID "+v+" 1] APPEND completed")
	c.expect("b", "APPEND Archive {"+strconv.Itoa(len(msg))+"+}\r\n"+msg, "b OK [APPENDUID "+v+" 2] APPEND completed")
	c.expect("c", "APPEND Nothing {"+strconv.Itoa(len(msg))+"+}\r\n"+msg, "c NO [TRYCREATE] Mailbox does not exist")
	c.expect("d", `APPEND Archive (\Bogus) {`+strconv.Itoa(len(msg))+"+}\r\n"+msg, `d BAD Unknown system flag \Bogus`)

	msgs, err := ts.st.IMAPMessages(context.Background(), archive.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages in Archive, want 2", len(msgs))
	}
	if m := msgs[0]; m.Flags&store.FlagSeen == 0 || len(m.Keywords) != 1 || m.Keywords[0] != "$Work" ||
		m.InternalDate.UTC().Format("2006-01-02 15:04") != "2026-11-25 10:00" {
		t.Fatalf("first appended message: %+v", m)
	}
	data, err := ts.st.ReadMessage(msgs[0].Path)
	if err != nil || string(data) != msg {
		t.Fatalf("the stored message is %q (%v)", data, err)
	}

	t.Run("into_the_selected_mailbox_shows_exists", func(t *testing.T) {
		c := c.forTest(t)
		c.expectLast("e", "SELECT Archive", "e OK [READ-WRITE] SELECT completed")
		c.expect("f", "APPEND Archive {"+strconv.Itoa(len(msg))+"+}\r\n"+msg,
			"* 3 EXISTS", "* 3 RECENT", "f OK [APPENDUID "+v+" 3] APPEND completed")
	})
}

func TestNamespace(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	c.expect("a", "NAMESPACE", `* NAMESPACE (("" ".")) NIL (("#Public." "."))`, "a OK NAMESPACE completed")
	ts.set("IMAPHierarchyDelimiter", "/")
	ts.set("IMAPPublicFolderName", "Shared")
	c = ts.login("user@example.com")
	c.expect("a", "NAMESPACE", `* NAMESPACE (("" "/")) NIL (("Shared/" "/"))`, "a OK NAMESPACE completed")
}

func TestHierarchyDelimiterSetting(t *testing.T) {
	ts := startServer(t)
	ts.set("IMAPHierarchyDelimiter", "/")
	c := ts.login("user@example.com")
	c.expect("a", "CREATE X/Y", "a OK CREATE completed")
	c.expect("b", "CREATE a.b", "b OK CREATE completed")
	c.expect("c", `LIST "" *`,
		`* LIST (\HasNoChildren) "/" "INBOX"`,
		`* LIST (\HasNoChildren \Drafts) "/" "Drafts"`,
		`* LIST (\HasNoChildren \Junk) "/" "Junk"`,
		`* LIST (\HasNoChildren \Sent) "/" "Sent"`,
		`* LIST (\HasNoChildren \Trash) "/" "Trash"`,
		`* LIST (\HasChildren) "/" "X"`,
		`* LIST (\HasNoChildren) "/" "X/Y"`,
		`* LIST (\HasNoChildren) "/" "a.b"`,
		`* LIST (\Noselect \HasNoChildren) "/" "#Public"`,
		"c OK LIST completed")
	if f := ts.folder(ts.users["user@example.com"].ID, "a.b"); f.ParentID != 0 {
		t.Fatalf("a.b is not one top-level folder: %+v", f)
	}
}

func TestQuota(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	// Without a maximum size there is no quota root (RFC 9208 has no empty
	// resource list).
	c.expect("a", "GETQUOTAROOT INBOX", `* QUOTAROOT "INBOX"`, "a OK GETQUOTAROOT completed")
	c.expect("a2", `GETQUOTA ""`, "a2 NO [NONEXISTENT] No such quota root")

	a := ts.users["user@example.com"]
	a.MaxSizeMB = 1
	if err := ts.st.UpdateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ts.deliver("user@example.com", "Subject: x\r\n\r\n"+strings.Repeat("x", 2000)+"\r\n")
	c.expect("b", "GETQUOTAROOT INBOX", `* QUOTAROOT "INBOX" ""`, `* QUOTA "" (STORAGE 2 1024)`, "b OK GETQUOTAROOT completed")
	c.expect("c", `GETQUOTA ""`, `* QUOTA "" (STORAGE 2 1024)`, "c OK GETQUOTA completed")
	c.expect("d", `GETQUOTA "other"`, "d NO [NONEXISTENT] No such quota root")
	c.expect("e", `SETQUOTA "" (STORAGE 100000)`, "e NO [NOPERM] Quota limits are set by the administrator")
	c.expect("f", "GETQUOTAROOT Nothing", "f NO [NONEXISTENT] Mailbox does not exist")

	big := strings.Repeat("y", 1100*1024)
	c.expect("g", "APPEND INBOX {"+strconv.Itoa(len(big))+"+}\r\n"+big, "g NO [OVERQUOTA] Quota exceeded")
}

// publicFixture makes public folders: Shared (anyone: lr) with Team
// (user@example.com: all rights, nobody else any), and Hidden (no
// permissions at all).
func publicFixture(t *testing.T, ts *testServer) (shared, team, hidden store.Folder) {
	ctx := context.Background()
	shared = ts.createFolder(0, "Shared")
	team = ts.createFolder(0, "Shared", "Team")
	hidden = ts.createFolder(0, "Hidden")
	if err := ts.st.SetFolderACL(ctx, shared.ID, "anyone", "lr"); err != nil {
		t.Fatal(err)
	}
	// Team inherits Shared's entries until it has its own: it takes them
	// with its first entry, and anyone's is removed again.
	if err := ts.st.SetFolderACL(ctx, team.ID, "user@example.com", store.AllRights); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.SetFolderACL(ctx, team.ID, "anyone", ""); err != nil {
		t.Fatal(err)
	}
	return shared, team, hidden
}

func TestPublicFolders(t *testing.T) {
	ts := startServer(t)
	_, _, hidden := publicFixture(t, ts)
	user := ts.login("user@example.com")
	other := ts.login("other@example.com")

	t.Run("list_shows_what_right_l_allows", func(t *testing.T) {
		user := user.forTest(t)
		other := other.forTest(t)
		user.expect("a", `LIST "" #Public*`,
			`* LIST (\Noselect \HasChildren) "." "#Public"`,
			`* LIST (\HasChildren) "." "#Public.Shared"`,
			`* LIST (\HasNoChildren) "." "#Public.Shared.Team"`,
			"a OK LIST completed")
		other.expect("a", `LIST "" #Public.*`,
			`* LIST (\HasNoChildren) "." "#Public.Shared"`,
			"a OK LIST completed")
		other.expect("b", `LIST #Public. %`,
			`* LIST (\HasNoChildren) "." "#Public.Shared"`,
			"b OK LIST completed")
	})
	t.Run("a_folder_without_right_l_does_not_exist", func(t *testing.T) {
		user := user.forTest(t)
		other := other.forTest(t)
		user.expect("a", "STATUS #Public.Hidden (MESSAGES)", "a NO [NONEXISTENT] Mailbox does not exist")
		other.expect("b", "MYRIGHTS #Public.Shared.Team", "b NO [NONEXISTENT] Mailbox does not exist")
	})
	t.Run("myrights", func(t *testing.T) {
		user := user.forTest(t)
		user.expect("a", "MYRIGHTS #Public.Shared", `* MYRIGHTS "#Public.Shared" lr`, "a OK MYRIGHTS completed")
		user.expect("b", "MYRIGHTS #Public.Shared.Team", `* MYRIGHTS "#Public.Shared.Team" `+store.AllRights, "b OK MYRIGHTS completed")
		user.expect("c", "MYRIGHTS INBOX", `* MYRIGHTS "INBOX" `+store.AllRights, "c OK MYRIGHTS completed")
	})
	t.Run("rights_are_enforced", func(t *testing.T) {
		user := user.forTest(t)
		msg := "Subject: x\r\n\r\ny\r\n"
		user.expect("a", "APPEND #Public.Shared {"+strconv.Itoa(len(msg))+"+}\r\n"+msg, "a NO [NOPERM] Permission denied")
		user.expect("b", "CREATE #Public.Shared.New", "b NO [NOPERM] Permission denied")
		user.expect("c", "DELETE #Public.Shared", "c NO [NOPERM] Permission denied")
		user.expect("d", "GETACL #Public.Shared", "d NO [NOPERM] Permission denied")
		user.expect("e", "STATUS #Public.Shared (MESSAGES)", `* STATUS "#Public.Shared" (MESSAGES 0)`, "e OK STATUS completed")
	})
	t.Run("acl_commands", func(t *testing.T) {
		user := user.forTest(t)
		other := other.forTest(t)
		user.expect("a", "GETACL #Public.Shared.Team", `* ACL "#Public.Shared.Team" user@example.com lrswipkxtea`, "a OK GETACL completed")
		user.expect("b", "SETACL #Public.Shared.Team other@example.com lr", "b OK SETACL completed")
		user.expect("c", "SETACL #Public.Shared.Team other@example.com +wc", "c OK SETACL completed")
		user.expect("d", "SETACL #Public.Shared.Team other@example.com -r", "d OK SETACL completed")
		user.expect("e", "GETACL #Public.Shared.Team",
			`* ACL "#Public.Shared.Team" other@example.com lwkx user@example.com lrswipkxtea`, "e OK GETACL completed")
		other.expect("f", "MYRIGHTS #Public.Shared.Team", `* MYRIGHTS "#Public.Shared.Team" lwkx`, "f OK MYRIGHTS completed")
		user.expect("g", "SETACL #Public.Shared.Team other@example.com lz", "g BAD Invalid rights")
		user.expect("h", "DELETEACL #Public.Shared.Team other@example.com", "h OK DELETEACL completed")
		other.expect("i", "MYRIGHTS #Public.Shared.Team", "i NO [NONEXISTENT] Mailbox does not exist")
		user.expect("j", "SETACL INBOX other@example.com lr", "j NO [CANNOT] Permissions can only be set on public folders")
		user.expect("k", "LISTRIGHTS #Public.Shared.Team anyone",
			`* LISTRIGHTS "#Public.Shared.Team" anyone "" l r s w i p k x t e a`, "k OK LISTRIGHTS completed")
		user.expect("l", "LISTRIGHTS INBOX anyone", `* LISTRIGHTS "INBOX" anyone lrswipkxtea`, "l OK LISTRIGHTS completed")
		user.expect("m", "GETACL INBOX", `* ACL "INBOX" user@example.com lrswipkxtea`, "m OK GETACL completed")
	})
	t.Run("create_inherits_the_parents_permissions", func(t *testing.T) {
		user := user.forTest(t)
		user.expect("a", "CREATE #Public.Shared.Team.New", "a OK CREATE completed")
		user.expect("b", "MYRIGHTS #Public.Shared.Team.New", `* MYRIGHTS "#Public.Shared.Team.New" `+store.AllRights, "b OK MYRIGHTS completed")
		user.expect("c", "RENAME #Public.Shared.Team.New #Public.Shared.Team.Renamed", "c OK RENAME completed")
		user.expect("d", "RENAME #Public.Shared.Team.Renamed Mine", "d NO [CANNOT] Mailboxes cannot be moved between personal and public folders")
		user.expect("e", "DELETE #Public.Shared.Team.Renamed", "e OK DELETE completed")
	})
	t.Run("right_l_alone_shows_but_does_not_open", func(t *testing.T) {
		user := user.forTest(t)
		if err := ts.st.SetFolderACL(context.Background(), hidden.ID, "anyone", "l"); err != nil {
			t.Fatal(err)
		}
		user.expect("a", `LIST "" #Public.H*`, `* LIST (\HasNoChildren) "." "#Public.Hidden"`, "a OK LIST completed")
		user.expect("b", "STATUS #Public.Hidden (MESSAGES)", "b NO [NOPERM] Permission denied")
		user.expect("c", "LIST &Jjo %", "c BAD Invalid mailbox name encoding")
	})
	t.Run("public_folders_off_with_acl", func(t *testing.T) {
		ts := ts.forTest(t)
		ts.set("IMAPACLEnabled", "0")
		c := ts.login("user@example.com")
		c.expect("a", `LIST "" *`,
			`* LIST (\HasNoChildren) "." "INBOX"`,
			`* LIST (\HasNoChildren \Drafts) "." "Drafts"`,
			`* LIST (\HasNoChildren \Junk) "." "Junk"`,
			`* LIST (\HasNoChildren \Sent) "." "Sent"`,
			`* LIST (\HasNoChildren \Trash) "." "Trash"`,
			"a OK LIST completed")
		c.expect("b", "STATUS #Public.Shared (MESSAGES)", "b NO [NONEXISTENT] Mailbox does not exist")
	})
}

func TestPublicFolderGroupRights(t *testing.T) {
	ts := startServer(t)
	shared, _, _ := publicFixture(t, ts)
	ctx := context.Background()
	g, err := ts.st.CreateGroup(ctx, "Staff")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.st.AddGroupMember(ctx, g.ID, ts.users["other@example.com"].ID); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.SetFolderACL(ctx, shared.ID, "$Staff", "lrswi"); err != nil {
		t.Fatal(err)
	}
	// The manual: the account's own permission, else its first group's,
	// else anyone's.
	c := ts.login("other@example.com")
	c.expect("a", "MYRIGHTS #Public.Shared", `* MYRIGHTS "#Public.Shared" lrswi`, "a OK MYRIGHTS completed")
	u := ts.login("user@example.com")
	u.expect("a", "MYRIGHTS #Public.Shared", `* MYRIGHTS "#Public.Shared" lr`, "a OK MYRIGHTS completed")
}

func TestResolveMailboxAndFolderName(t *testing.T) {
	ts := startServer(t)
	folderFixture(ts)
	publicFixture(t, ts)
	ctx := context.Background()
	settings, err := ts.st.AllSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{srv: ts.srv, settings: settings, account: ts.users["user@example.com"]}
	for _, tc := range []struct {
		name, canonical, rights string
	}{
		{"INBOX", "INBOX", store.AllRights},
		{"inbox", "INBOX", store.AllRights},
		{"Work.Projects.Alpha", "Work.Projects.Alpha", store.AllRights},
		{"#Public.Shared", "#Public.Shared", "lr"},
		{"#Public.Shared.Team", "#Public.Shared.Team", store.AllRights},
	} {
		f, rights, err := s.resolveMailbox(ctx, tc.name)
		if err != nil {
			t.Fatalf("resolveMailbox(%q): %v", tc.name, err)
		}
		if rights != tc.rights {
			t.Errorf("rights on %q: %q, want %q", tc.name, rights, tc.rights)
		}
		name, err := s.folderName(ctx, f)
		if err != nil || name != tc.canonical {
			t.Errorf("folderName of %q: %q (%v), want %q", tc.name, name, err, tc.canonical)
		}
	}
	for _, name := range []string{"Nothing", "Work.Nothing", "work", "#Public", "#Public.Hidden", "#Public.Nothing", ""} {
		if _, _, err := s.resolveMailbox(ctx, name); !errors.Is(err, errNoSuchMailbox) {
			t.Errorf("resolveMailbox(%q): %v, want errNoSuchMailbox", name, err)
		}
	}
}
