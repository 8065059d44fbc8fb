package admin

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/store"
)

func TestAccountsPageCreatesAnAccount(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	p := newAccountsPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	requireShown(t, w, "0 accounts")

	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	test.Type(e.address, "alice@example.com")
	test.Type(e.password, "correct horse")
	test.Type(e.firstName, "Alice")
	e.adminLevel.SetSelectedIndex(1)
	e.tabs.SelectIndex(2) // Forwarding
	e.forwardEnabled.SetChecked(true)
	test.Type(e.forwardAddress, "alice@elsewhere.example")
	test.Tap(e.form.SaveButton)
	if e.form.Message.Visible() || e.account == nil {
		t.Fatalf("saving failed: %q", e.form.Message.Text)
	}
	if p.stack.HasUnsavedChanges() {
		t.Fatal("the saved account still counts as unsaved")
	}

	test.Tap(findButton(t, w, "Back to the accounts"))
	requireShown(t, w, "1 account")
	requireShown(t, w, "alice@example.com (Alice)")

	a, err := srv.Store.AccountByAddress(context.Background(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if a.AdminLevel != store.AdminDomain || !a.Forward.Enabled || a.Forward.Address != "alice@elsewhere.example" || a.FirstName != "Alice" {
		t.Fatalf("the store holds %+v", a)
	}
	if _, err := srv.Store.Authenticate(context.Background(), "alice@example.com", "correct horse", "127.0.0.1"); err != nil {
		t.Fatalf("the typed password does not log in: %v", err)
	}
}

func TestAccountEditorShowsServerErrorsBesideTheirFields(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	p := newAccountsPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)

	for _, tc := range []struct {
		name, address, password, field string
	}{
		{"address_of_another_domain", "bob@other.example", "secret", "address"},
		{"empty_password", "bob@example.com", "", "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.openEditor(nil)
			e := p.editor
			test.Type(e.address, tc.address)
			if tc.password != "" {
				test.Type(e.password, tc.password)
			}
			test.Tap(e.form.SaveButton)
			if e.form.FieldError(tc.field) == "" {
				t.Fatalf("no error under %s; message %q", tc.field, e.form.Message.Text)
			}
			requireShown(t, w, e.form.FieldError(tc.field))
		})
	}
}

func TestAccountEditorEditsAndDeletes(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	srv.insertAccounts(t, d, 3)
	p := newAccountsPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	p.window = w

	p.list.Select(1)
	test.Tap(p.edit)
	e := p.editor
	if e.address.Text != "user00001@example.com" {
		t.Fatalf("the editor shows %q", e.address.Text)
	}
	test.Type(e.lastName, "Jones")
	e.tabs.SelectIndex(1) // Auto-reply
	e.vacationEnabled.SetChecked(true)
	e.vacationExpires.SetChecked(true)
	test.Type(e.vacationExpiresAt, "soon")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("vacation_expires_at") == "" {
		t.Fatal("a bad expiry date gave no error under it")
	}
	e.vacationExpiresAt.SetText("2031-01-02")
	test.Tap(e.form.SaveButton)
	if e.form.Changed() || e.account.GetLastName() != "Jones" || !e.account.GetVacationExpires() {
		t.Fatalf("after Save: changed %v, %v", e.form.Changed(), e.account)
	}

	p.showList()
	p.list.Select(1)
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	eventually(t, "the account is deleted", func() bool { return p.pager.Len() == 2 })
	if _, err := srv.Store.AccountByAddress(context.Background(), "user00001@example.com"); err == nil {
		t.Fatal("the account is still in the store")
	}
}

// TestAccountsPagePagesThroughManyAccounts opens the Accounts page of a
// domain of 100,000 accounts: the list knows the count from the first
// page, scrolling to the end fetches only the pages shown, and the search
// box narrows the list through the server's filter.
func TestAccountsPagePagesThroughManyAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 100,000 accounts")
	}
	const n = 100_000
	srv := startPagesServer(t)
	d := srv.createDomain(t, "big.example")
	start := time.Now()
	srv.insertAccounts(t, d, n)
	t.Logf("inserted %d accounts in %v", n, time.Since(start))

	start = time.Now()
	p := newAccountsPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	t.Logf("the page opened in %v", time.Since(start))
	if got := p.pager.Len(); got != n {
		t.Fatalf("the list has %d rows, want %d", got, n)
	}
	requireShown(t, w, fmt.Sprintf("%d accounts", n))
	requireShown(t, w, "user00000@big.example")
	if calls := p.pager.calls.Load(); calls != 1 {
		t.Fatalf("opening the page made %d ListAccounts calls, want 1", calls)
	}

	start = time.Now()
	p.list.ScrollToBottom()
	w.Content().Refresh()
	t.Logf("scrolled to the end in %v", time.Since(start))
	requireShown(t, w, fmt.Sprintf("user%05d@big.example", n-1))
	// The last rows are on the last page; with the window's few dozen
	// rows they may start on the page before it.
	if calls := p.pager.calls.Load(); calls < 2 || calls > 3 {
		t.Fatalf("scrolling to the end made %d ListAccounts calls in all, want 2 or 3", calls)
	}
	for _, text := range shownTexts(w) {
		if text == "Loading..." {
			t.Fatal("a row shown is still loading")
		}
	}
	p.pager.mu.Lock()
	cached := len(p.pager.pages)
	p.pager.mu.Unlock()
	if cached > 3 {
		t.Fatalf("%d pages are cached after one scroll", cached)
	}

	p.list.ScrollToTop()
	for i := 0; i < n; i += n / 50 {
		p.list.ScrollTo(i) // jumping around keeps only maxCachedAccountPages pages
	}
	p.pager.mu.Lock()
	cached = len(p.pager.pages)
	p.pager.mu.Unlock()
	if cached > maxCachedAccountPages {
		t.Fatalf("%d pages are cached, more than %d", cached, maxCachedAccountPages)
	}

	test.Type(p.search, "user0999")
	if got := p.pager.Len(); got != 10 {
		t.Fatalf("the search user0999 lists %d accounts, want 10", got)
	}
	requireShown(t, w, "10 accounts")
	requireShown(t, w, "user09990@big.example")
	var rows []string
	for _, o := range test.LaidOutObjects(p.list) {
		if l, ok := o.(*widget.Label); ok && l.Visible() && l.Text != "" {
			rows = append(rows, l.Text)
		}
	}
	if len(rows) != 10 {
		t.Fatalf("the filtered list shows %q", rows)
	}
	p.search.SetText("")
	if got := p.pager.Len(); got != n {
		t.Fatalf("clearing the search lists %d accounts", got)
	}
}

// TestAccountsPageShowsRowsWhenTheirPageArrives runs the fetches the way
// the app does, after the list asked for them, and checks the rows wait
// for their page and show it when it arrives.
func TestAccountsPageShowsRowsWhenTheirPageArrives(t *testing.T) {
	srv := startPagesServer(t)
	d := srv.createDomain(t, "example.com")
	srv.insertAccounts(t, d, 1000)
	var queued []func()
	backgroundFetch = func(fetch, show func()) {
		queued = append(queued, func() { fetch(); show() })
	}
	arrive := func() int {
		arrived := queued
		queued = nil
		for _, f := range arrived {
			f()
		}
		return len(arrived)
	}

	p := newAccountsPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	if got := arrive(); got != 1 {
		t.Fatalf("opening the page asked for %d pages, want 1", got)
	}
	requireShown(t, w, "1000 accounts")
	requireShown(t, w, "user00000@example.com")
	// The list grew from 0 to 1000 rows. A real window lays out again
	// what changed its minimum size on its next frame; the test window
	// does so when resized.
	w.Resize(w.Canvas().Size().AddWidthHeight(0, 1))

	// Record what each row shows when the list sets it up.
	rows := map[int]string{}
	setUp := p.list.UpdateItem
	p.list.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		setUp(i, o)
		rows[i] = o.(*widget.Label).Text
	}
	p.list.ScrollToBottom()
	if rows[999] != "Loading..." {
		t.Fatalf("the last row shows %q before its page arrived", rows[999])
	}
	if got := arrive(); got < 1 || got > 2 {
		t.Fatalf("scrolling to the end asked for %d pages", got)
	}
	if rows[999] != "user00999@example.com" {
		t.Fatalf("the last row shows %q after its page arrived", rows[999])
	}
	for i, text := range rows {
		if text == "Loading..." && i > 900 {
			t.Fatalf("row %d still waits for its page", i)
		}
	}

	test.Type(p.search, "x")
	test.Type(p.search, "y")
	queued[0]() // the answer for "x" comes late: it is dropped
	if got := p.pager.Len(); got != 1000 {
		t.Fatalf("a stale answer changed the count to %d", got)
	}
	arrive()
	requireShown(t, w, "0 accounts")
}
