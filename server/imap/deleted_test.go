package imap

import (
	"slices"
	"testing"
)

// A folder deleted by another session while this one has it selected:
// RFC 3501 has no state for that, so the next command's response carries
// "* BYE The selected mailbox was deleted" and the connection closes, rather
// than the session serving a mailbox that no longer exists.
func TestSelectedFolderDeletedByAnotherSession(t *testing.T) {
	ts := startServer(t)
	user := ts.users["user@example.com"]
	ts.createFolder(user.ID, "Work")
	a := ts.login("user@example.com")
	a.expectLast("S1", "SELECT Work", "S1 OK [READ-WRITE] SELECT completed")
	b := ts.login("user@example.com")
	b.expect("D1", "DELETE Work", "D1 OK DELETE completed")

	got := a.cmd("N1", "NOOP")
	if !slices.Contains(got, "* "+replySelectedDeleted) {
		t.Fatalf("NOOP after the selected folder was deleted: %q", got)
	}
	if !a.closed() {
		t.Error("the connection stayed open")
	}
}
