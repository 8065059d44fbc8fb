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
	before := len(p.ranges)

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
	if len(p.ranges) != before+1 {
		t.Fatalf("%d ranges listed after adding one to %d", len(p.ranges), before)
	}
	requireShown(t, w, "Office  192.0.2.1 - 192.0.2.254")
	for i := 1; i < len(p.ranges); i++ {
		if p.ranges[i-1].GetPriority() < p.ranges[i].GetPriority() {
			t.Fatalf("the ranges are not sorted by priority: %v", p.ranges)
		}
	}

	for i, r := range p.ranges {
		if r.GetName() == "Office" {
			p.list.Select(i)
		}
	}
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	if len(p.ranges) != before {
		t.Fatalf("%d ranges listed after deleting the one added; want %d", len(p.ranges), before)
	}
	for _, r := range p.ranges {
		if strings.EqualFold(r.GetName(), "Office") {
			t.Fatal("the deleted range is still listed")
		}
	}
}
