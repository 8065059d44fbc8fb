package admin

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestIPRangesPageCreatesListsAndDeletesARange(t *testing.T) {
	srv := startPagesServer(t)
	p := newIPRangesPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	before := len(pagerRows(p.pager))

	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	e.name.SetText("Office")
	e.priority.SetText("2000")
	e.lower.SetText("192.0.2.1")
	e.upper.SetText("192.0.2.254")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("priority") == "" {
		t.Fatalf("a priority of 2000 gave no error beside the priority; message %q", e.form.Message.Text)
	}
	requireShown(t, w, e.form.FieldError("priority"))

	e.priority.SetText("20")
	test.Tap(e.form.SaveButton)
	if e.form.Changed() || e.ipRange == nil {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("priority"))
	}
	if got := e.priority.Text; got != "20" {
		t.Fatalf("the saved range shows priority %q", got)
	}

	test.Tap(findButton(t, w, "Back to the IP ranges"))
	if len(pagerRows(p.pager)) != before+1 {
		t.Fatalf("%d ranges listed after adding one to %d", len(pagerRows(p.pager)), before)
	}
	requireShown(t, w, "Office  192.0.2.1 - 192.0.2.254")
	p.search.SetText("OFFICE")
	if p.pager.Len() != 1 {
		t.Fatalf("searching for office lists %d ranges", p.pager.Len())
	}
	requireShown(t, w, "1 IP range")
	p.search.SetText("192.0.2.254")
	if rows := pagerRows(p.pager); len(rows) != 1 || rows[0].GetName() != "Office" {
		t.Fatalf("searching for an address lists %v", rows)
	}
	p.search.SetText("")
	for i := 1; i < len(pagerRows(p.pager)); i++ {
		if pagerRows(p.pager)[i-1].GetPriority() < pagerRows(p.pager)[i].GetPriority() {
			t.Fatalf("the ranges are not sorted by priority: %v", pagerRows(p.pager))
		}
	}

	for i, r := range pagerRows(p.pager) {
		if r.GetName() == "Office" {
			p.list.Select(i)
		}
	}
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	if len(pagerRows(p.pager)) != before {
		t.Fatalf("%d ranges listed after deleting the one added; want %d", len(pagerRows(p.pager)), before)
	}
	for _, r := range pagerRows(p.pager) {
		if strings.EqualFold(r.GetName(), "Office") {
			t.Fatal("the deleted range is still listed")
		}
	}
}

// pagerRows reads every row of a pager's list.
func pagerRows[T any](p *pager[T]) []T {
	var rows []T
	for i := range p.Len() {
		if r, ok := p.Row(i); ok {
			rows = append(rows, r)
		}
	}
	return rows
}
