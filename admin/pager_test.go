package admin

import (
	"context"
	"fmt"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/mailwright/mailwright/store"
)

func TestAliasesPagePagesThroughManyAliasesAndSearches(t *testing.T) {
	const n = 1000
	srv := startPagesServer(t)
	d := srv.createDomain(t, "many.example")
	ctx := context.Background()
	for i := range n {
		if _, err := srv.Store.CreateAlias(ctx, store.Alias{
			Address: fmt.Sprintf("alias%04d@many.example", i), Target: "someone@example.net", Active: true}); err != nil {
			t.Fatal(err)
		}
	}

	p := newAliasesPage(srv.Session, nil, d.ID)
	w := newPagesWindow(t, p.stack)
	p.window = w
	if got := p.pager.Len(); got != n {
		t.Fatalf("the list has %d rows, want %d", got, n)
	}
	requireShown(t, w, fmt.Sprintf("%d aliases", n))
	requireShown(t, w, "alias0000@many.example → someone@example.net")
	if calls := p.pager.calls.Load(); calls != 1 {
		t.Fatalf("opening the page made %d ListAliases calls, want 1", calls)
	}

	p.list.ScrollToBottom()
	w.Content().Refresh()
	requireShown(t, w, fmt.Sprintf("alias%04d@many.example → someone@example.net", n-1))
	if calls := p.pager.calls.Load(); calls < 2 || calls > 3 {
		t.Fatalf("scrolling to the end made %d ListAliases calls in all, want 2 or 3", calls)
	}
	for _, text := range shownTexts(w) {
		if text == "Loading..." {
			t.Fatal("a row shown is still loading")
		}
	}

	before := p.pager.calls.Load()
	test.Type(p.search, "ALIAS099")
	if got := p.pager.Len(); got != 10 {
		t.Fatalf("the search alias099 lists %d aliases, want 10", got)
	}
	if calls := p.pager.calls.Load() - before; calls != int64(len("ALIAS099")) {
		t.Errorf("typing the search made %d ListAliases calls, want one a keystroke", calls)
	}
	requireShown(t, w, "10 aliases")
	requireShown(t, w, "alias0990@many.example → someone@example.net")
	if rows := pagerRows(p.pager); len(rows) != 10 || rows[9].GetAddress() != "alias0999@many.example" {
		t.Fatalf("the filtered list has %d rows", len(rows))
	}
	p.search.SetText("")
	if got := p.pager.Len(); got != n {
		t.Fatalf("clearing the search lists %d aliases", got)
	}
}

func TestQueuePagePagesThroughTheQueue(t *testing.T) {
	const n = 250
	srv := startShellServer(t)
	s := srv.login(t)
	var last store.QueuedMessage
	for i := range n {
		last = srv.enqueue(t, "sender@example.com", fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i), fmt.Sprintf("rcpt%03d@example.org", i))
	}
	f := newQueueFixture(t, s)
	var count string
	var fetched int
	onUI(func() { count, fetched = f.page.count.Text, len(f.page.Messages()) })
	if count != fmt.Sprintf("%d messages", n) || fetched != listPageSize {
		t.Fatalf("the page shows %q with %d messages fetched, want %d messages and one page of %d", count, fetched, n, listPageSize)
	}
	if calls := f.page.pager.calls.Load(); calls != 1 {
		t.Fatalf("opening the page made %d ListQueue calls, want 1", calls)
	}

	var cell string
	onUI(func() { cell = f.page.cell(n-1, 3) }) // as the table does when scrolled to the end
	waitFor(t, "the last page is listed", f.loaded)
	onUI(func() { cell = f.page.cell(n-1, 3) })
	if cell != fmt.Sprintf("rcpt%03d@example.org", n-1) {
		t.Fatalf("the last row's recipients are %q", cell)
	}
	if calls := f.page.pager.calls.Load(); calls != 2 {
		t.Fatalf("reading the last row made %d ListQueue calls in all, want 2", calls)
	}
	var selected bool
	onUI(func() { selected = f.page.Select(last.ID) })
	if !selected || f.page.current().GetId() != last.ID {
		t.Fatal("cannot select the last message")
	}
	if got := len(f.ids()); got != n {
		t.Fatalf("%d messages fetched after both pages, want %d", got, n)
	}
}
