package admin

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// TestRunLongCancels runs an operation that blocks until its context is
// done: Cancel ends it, done receives context.Canceled and the dialog
// goes away.
func TestRunLongCancels(t *testing.T) {
	w := newPagesWindow(t, widget.NewLabel("page"))
	results := make(chan error, 1)
	onUI(func() {
		runLong(w, "Working hard…", func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}, func(err error) { results <- err })
		if !slices.Contains(shownTexts(w), "Working hard…") {
			t.Fatalf("the progress dialog is not shown: %q", shownTexts(w))
		}
		tapDialogButton(t, w, "Cancel")
	})
	select {
	case err := <-results:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("done received %v, want context.Canceled", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("done was not called after Cancel")
	}
	eventually(t, "the progress dialog is gone", func() bool { return w.Canvas().Overlays().Top() == nil })
}

// TestShowLongResultSaysCancelled shows a cancelled operation as
// "Cancelled.", not as an error.
func TestShowLongResultSaysCancelled(t *testing.T) {
	w := newPagesWindow(t, widget.NewLabel("page"))
	if showLongResult(w, context.Canceled) {
		t.Fatal("a cancelled operation counted as done")
	}
	if !slices.Contains(shownTexts(w), "Cancelled.") {
		t.Fatalf("the window shows %q", shownTexts(w))
	}
}

// TestDomainsPageDeletesBehindAProgressDialog deletes a domain with an
// account: the progress dialog shows while the server works, then the
// domain is gone.
func TestDomainsPageDeletesBehindAProgressDialog(t *testing.T) {
	srv := startPagesServer(t)
	srv.createDomain(t, "keep.example")
	d := srv.createDomain(t, "gone.example")
	srv.insertAccounts(t, d, 2)
	p := newDomainsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	p.list.Select(slices.IndexFunc(p.domains, func(d *adminv1.Domain) bool { return d.GetName() == "gone.example" }))

	test.Tap(p.remove)
	onUI(func() {
		tapDialogButton(t, w, "Yes")
		if !slices.Contains(shownTexts(w), "Deleting the domain gone.example…") {
			t.Fatalf("no progress dialog: %q", shownTexts(w))
		}
	})
	eventually(t, "the domain is deleted", func() bool {
		return len(p.domains) == 1 && p.domains[0].GetName() == "keep.example" && w.Canvas().Overlays().Top() == nil
	})
	if _, err := srv.Store.AccountByAddress(context.Background(), "user00000@gone.example"); err == nil {
		t.Fatal("the domain's account is still in the store")
	}
}

// TestAccountEditorEmptiesTheAccount empties an account holding one
// message in its INBOX.
func TestAccountEditorEmptiesTheAccount(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	srv.insertAccounts(t, d, 1)
	ctx := context.Background()
	a, err := srv.Store.AccountByAddress(ctx, "user00000@example.com")
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := srv.Store.Inbox(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := store.AccountMessagePath(a.Address, messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	n, err := srv.Store.Files().Write(rel, strings.NewReader("Subject: hi\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.AddToFolder(ctx, store.StoredMessage{AccountID: a.ID, FolderID: inbox.ID, Path: rel, Size: n, InternalDate: time.Now().Unix()}); err != nil {
		t.Fatal(err)
	}

	p := newAccountsPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	p.window = w
	eventually(t, "the account is listed", func() bool { return p.pager.Len() == 1 })
	p.list.Select(0)
	test.Tap(p.edit)
	e := p.editor
	if e.emptyButton.Disabled() || e.unlockButton.Disabled() {
		t.Fatal("Empty account… and Unlock are disabled for a saved account")
	}
	test.Tap(e.emptyButton)
	tapDialogButton(t, w, "No")
	if msgs, _ := srv.Store.FolderMessages(ctx, inbox.ID); len(msgs) != 1 {
		t.Fatal("the account was emptied without confirmation")
	}
	test.Tap(e.emptyButton)
	tapDialogButton(t, w, "Yes")
	eventually(t, "the account is emptied", func() bool {
		return slices.Contains(shownTexts(w), "Deleted 1 message of user00000@example.com.")
	})
	msgs, err := srv.Store.FolderMessages(ctx, inbox.ID)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("after Empty account the INBOX holds %d messages (%v)", len(msgs), err)
	}

	onUI(func() {
		tapDialogButton(t, w, "OK")
		test.Tap(e.unlockButton)
	})
	eventually(t, "the account is unlocked", func() bool {
		return slices.Contains(shownTexts(w), "The account user00000@example.com is unlocked.")
	})
}
