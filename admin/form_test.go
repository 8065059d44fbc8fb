package admin

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// newPagesWindow shows page in a test window of a usable size.
func newPagesWindow(t *testing.T, page fyne.CanvasObject) fyne.Window {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, page)
	w.Resize(fyne.NewSize(900, 700))
	return w
}

// shownTexts returns the text of every visible label and button laid out
// in the window, its dialogs included.
func shownTexts(w fyne.Window) []string {
	var texts []string
	objects := test.LaidOutObjects(w.Content())
	for _, overlay := range w.Canvas().Overlays().List() {
		objects = append(objects, test.LaidOutObjects(overlay)...)
	}
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		switch o := o.(type) {
		case *widget.Label:
			texts = append(texts, o.Text)
		case *widget.Button:
			texts = append(texts, o.Text)
		}
	}
	return texts
}

// requireShown fails unless a visible label or button of the window
// contains text.
func requireShown(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	texts := shownTexts(w)
	for _, s := range texts {
		if strings.Contains(s, text) {
			return
		}
	}
	t.Fatalf("nothing shown contains %q; shown: %q", text, texts)
}

// findButton returns the window's visible button with the given text.
func findButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(w.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("the window shows no %q button; shown: %q", text, shownTexts(w))
	return nil
}

// tapDialogButton taps the button of the window's top dialog with the
// given text (such as a confirmation's "Yes").
func tapDialogButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is shown to tap %q in", text)
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("the dialog has no %q button", text)
}

func TestForm(t *testing.T) {
	newForm := func(saveErr error) (*Form, *widget.Entry, *int) {
		saves := 0
		var f *Form
		var name *widget.Entry
		saved := "first"
		f = NewForm(func() error {
			saves++
			if saveErr == nil {
				saved = name.Text
			}
			return saveErr
		}, func() { name.SetText(saved) })
		name = f.Entry("name", "Name")
		f.Load(func() { name.SetText(saved) })
		return f, name, &saves
	}

	t.Run("loading_values_is_not_a_change", func(t *testing.T) {
		test.NewTempApp(t)
		f, _, _ := newForm(nil)
		if f.Changed() || !f.SaveButton.Disabled() || !f.DiscardButton.Disabled() {
			t.Fatal("a freshly loaded form counts as changed")
		}
	})

	t.Run("typing_marks_it_changed_and_save_clears_the_mark", func(t *testing.T) {
		test.NewTempApp(t)
		f, name, saves := newForm(nil)
		var seen []bool
		f.OnChanged = func(changed bool) { seen = append(seen, changed) }
		test.Type(name, "x")
		if !f.Changed() || f.SaveButton.Disabled() {
			t.Fatal("typing did not mark the form changed")
		}
		test.Tap(f.SaveButton)
		if *saves != 1 || f.Changed() {
			t.Fatalf("after Save: %d saves, changed %v", *saves, f.Changed())
		}
		if len(seen) != 2 || !seen[0] || seen[1] {
			t.Fatalf("OnChanged saw %v, want [true false]", seen)
		}
	})

	t.Run("enter_in_a_field_saves", func(t *testing.T) {
		test.NewTempApp(t)
		f, name, saves := newForm(nil)
		name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if *saves != 0 {
			t.Fatal("Enter saved an unchanged form")
		}
		test.Type(name, "x")
		name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if *saves != 1 || f.Changed() {
			t.Fatalf("after Enter: %d saves, changed %v", *saves, f.Changed())
		}
	})

	t.Run("discard_puts_the_saved_value_back", func(t *testing.T) {
		test.NewTempApp(t)
		f, name, saves := newForm(nil)
		test.Type(name, "typed")
		test.Tap(f.DiscardButton)
		if name.Text != "first" || f.Changed() || *saves != 0 {
			t.Fatalf("after Discard: text %q, changed %v, %d saves", name.Text, f.Changed(), *saves)
		}
	})

	t.Run("an_error_naming_a_field_is_shown_under_it_and_keeps_the_changes", func(t *testing.T) {
		test.NewTempApp(t)
		f, name, _ := newForm(&inputError{field: "name", message: "too short"})
		revealed := ""
		f.Reveal = func(field string) { revealed = field }
		test.Type(name, "x")
		test.Tap(f.SaveButton)
		if got := f.FieldError("name"); got != "too short" {
			t.Fatalf("the error under name is %q", got)
		}
		if revealed != "name" || !f.Changed() || f.Message.Visible() {
			t.Fatalf("revealed %q, changed %v, message shown %v", revealed, f.Changed(), f.Message.Visible())
		}
		test.Tap(f.DiscardButton)
		if f.FieldError("name") != "" {
			t.Fatal("Discard left the error shown")
		}
	})

	t.Run("an_error_naming_no_field_is_shown_under_the_form", func(t *testing.T) {
		test.NewTempApp(t)
		f, name, _ := newForm(errors.New("unavailable: the server is shutting down"))
		test.Type(name, "x")
		test.Tap(f.SaveButton)
		if !f.Message.Visible() || f.Message.Text != "the server is shutting down" {
			t.Fatalf("message shown %v: %q", f.Message.Visible(), f.Message.Text)
		}
	})

	t.Run("a_page_stack_reports_its_forms_unsaved_changes", func(t *testing.T) {
		test.NewTempApp(t)
		f, name, _ := newForm(nil)
		stack := newPageStack(widget.NewLabel("list"))
		var page fyne.CanvasObject = stack
		unsaved, ok := page.(UnsavedChanges)
		if !ok {
			t.Fatal("a page stack does not implement UnsavedChanges")
		}
		stack.ShowView(name, f)
		if unsaved.HasUnsavedChanges() {
			t.Fatal("unsaved changes before any edit")
		}
		test.Type(name, "x")
		if !unsaved.HasUnsavedChanges() {
			t.Fatal("no unsaved changes after an edit")
		}
	})
}

func TestWholeNumber(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int32
		ok   bool
	}{{"", 0, true}, {" 42 ", 42, true}, {"-1", 0, false}, {"ten", 0, false}, {"99999999999", 0, false}} {
		e := widget.NewEntry()
		e.SetText(tc.text)
		got, err := wholeNumber(e, "max_accounts")
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("wholeNumber(%q) = %d, %v", tc.text, got, err)
		}
		if field, _ := fieldOf(err); err != nil && field != "max_accounts" {
			t.Errorf("the error of %q names %q", tc.text, field)
		}
	}
}
