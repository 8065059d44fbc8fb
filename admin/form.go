package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/rpc"
)

// callTimeout bounds one RPC call made from a page.
const callTimeout = 30 * time.Second

// pageCallContext is the context of one RPC call made from a page.
func pageCallContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

// UnsavedChanges is implemented by pages that may hold edits not yet
// saved. The shell asks it before it navigates away, so unsaved changes
// are not lost silently.
type UnsavedChanges interface {
	HasUnsavedChanges() bool
}

// Form is an edit form over one server object. Its fields are named as the
// RPC names them (the FieldError's field, e.g. "name" or "max_size_mb"), so
// a validation error from the server is shown in red under the field it
// names. Changes are kept until Save or Discard is tapped; Changed says
// whether there are any.
type Form struct {
	// SaveButton and DiscardButton are enabled while the form has changes.
	SaveButton, DiscardButton *widget.Button
	// Message shows errors that name no field of the form.
	Message *widget.Label
	// Reveal, when set, is called with the field an error names before it
	// is shown, e.g. to select the tab holding the field.
	Reveal func(field string)
	// OnChanged is called when Changed turns true or false.
	OnChanged func(changed bool)

	fields  map[string]*formField
	grids   []*fyne.Container // made by Rows, laid out again when errors come and go
	save    func() error
	discard func()
	changed bool
	loading bool
}

// formField is one labelled input and the red label under it.
type formField struct {
	label *widget.Label
	input fyne.CanvasObject
	error *widget.Label
}

// NewForm returns an empty form. save sends the form's values to the
// server and returns its error; discard puts the last saved values back.
func NewForm(save func() error, discard func()) *Form {
	f := &Form{fields: map[string]*formField{}, save: save, discard: discard}
	f.SaveButton = widget.NewButton("Save", f.Save)
	f.SaveButton.Importance = widget.HighImportance
	f.DiscardButton = widget.NewButton("Discard", f.Discard)
	f.Message = widget.NewLabel("")
	f.Message.Importance = widget.DangerImportance
	f.Message.Wrapping = fyne.TextWrapWord
	f.Message.Hide()
	f.setChanged(false)
	return f
}

// add registers an input under the RPC field name.
func (f *Form) add(name, label string, input fyne.CanvasObject) {
	errorLabel := widget.NewLabel("")
	errorLabel.Importance = widget.DangerImportance
	errorLabel.Wrapping = fyne.TextWrapWord
	errorLabel.Hide()
	f.fields[name] = &formField{label: widget.NewLabel(label), input: input, error: errorLabel}
}

// Entry adds a one-line text field. Enter in it saves the form.
func (f *Form) Entry(name, label string) *widget.Entry {
	e := widget.NewEntry()
	e.OnChanged = func(string) { f.MarkChanged() }
	e.OnSubmitted = f.submit
	f.add(name, label, e)
	return e
}

// Password adds a password field. Enter in it saves the form.
func (f *Form) Password(name, label string) *widget.Entry {
	e := widget.NewPasswordEntry()
	e.OnChanged = func(string) { f.MarkChanged() }
	e.OnSubmitted = f.submit
	f.add(name, label, e)
	return e
}

// submit is Enter in a one-line field: it saves a changed form.
func (f *Form) submit(string) {
	if f.changed {
		f.Save()
	}
}

// MultiLine adds a text area.
func (f *Form) MultiLine(name, label string) *widget.Entry {
	e := widget.NewMultiLineEntry()
	e.SetMinRowsVisible(4)
	e.Wrapping = fyne.TextWrapWord
	e.OnChanged = func(string) { f.MarkChanged() }
	f.add(name, label, e)
	return e
}

// Check adds a check box; its label is the field's text.
func (f *Form) Check(name, label string) *widget.Check {
	c := widget.NewCheck(label, func(bool) { f.MarkChanged() })
	f.add(name, "", c)
	return c
}

// Select adds a choice among options.
func (f *Form) Select(name, label string, options []string) *widget.Select {
	s := widget.NewSelect(options, func(string) { f.MarkChanged() })
	f.add(name, label, s)
	return s
}

// Rows lays the named fields out as label, input and (when there is one)
// the red error under the input.
func (f *Form) Rows(names ...string) fyne.CanvasObject {
	grid := container.New(layout.NewFormLayout())
	for _, name := range names {
		field, ok := f.fields[name]
		if !ok {
			panic("admin: the form has no field " + name)
		}
		grid.Add(field.label)
		grid.Add(container.NewVBox(field.input, field.error))
	}
	f.grids = append(f.grids, grid)
	return grid
}

// Buttons returns the Save and Discard buttons and the form's message.
func (f *Form) Buttons() fyne.CanvasObject {
	return container.NewVBox(f.Message, container.NewHBox(layout.NewSpacer(), f.DiscardButton, f.SaveButton))
}

// Load sets the fields' values without marking the form changed, and
// clears the errors shown.
func (f *Form) Load(set func()) {
	f.loading = true
	set()
	f.loading = false
	f.clearErrors()
	f.setChanged(false)
}

// Changed reports whether the form holds edits not yet saved.
func (f *Form) Changed() bool { return f.changed }

// MarkChanged records an edit; edits made inside Load do not count.
func (f *Form) MarkChanged() {
	if !f.loading {
		f.setChanged(true)
	}
}

func (f *Form) setChanged(changed bool) {
	was := f.changed
	f.changed = changed
	if changed {
		f.SaveButton.Enable()
		f.DiscardButton.Enable()
	} else {
		f.SaveButton.Disable()
		f.DiscardButton.Disable()
	}
	if was != changed && f.OnChanged != nil {
		f.OnChanged(changed)
	}
}

// Save sends the form to the server. On success the form is unchanged; on
// failure the error is shown beside the field it names, or under the form.
func (f *Form) Save() {
	f.clearErrors()
	if err := f.save(); err != nil {
		f.ShowError(err)
		return
	}
	f.setChanged(false)
}

// Discard puts the last saved values back.
func (f *Form) Discard() {
	f.clearErrors()
	if f.discard != nil {
		f.discard()
	}
	f.setChanged(false)
}

// ShowError shows err beside the field it names (a server validation error
// or an inputError), or under the form when it names none of its fields.
func (f *Form) ShowError(err error) {
	name, message := fieldOf(err)
	if field, ok := f.fields[name]; ok {
		if f.Reveal != nil {
			f.Reveal(name)
		}
		field.error.SetText(message)
		field.error.Show()
		f.relayout()
		return
	}
	f.Message.SetText(errorText(err))
	f.Message.Show()
}

// relayout makes room for the error labels shown and closes the room of
// the hidden ones.
func (f *Form) relayout() {
	for _, grid := range f.grids {
		grid.Refresh()
	}
}

// FieldError returns the error shown under the named field ("" if none).
func (f *Form) FieldError(name string) string {
	if field, ok := f.fields[name]; ok && field.error.Visible() {
		return field.error.Text
	}
	return ""
}

func (f *Form) clearErrors() {
	shown := false
	for _, field := range f.fields {
		shown = shown || field.error.Visible()
		field.error.SetText("")
		field.error.Hide()
	}
	if shown {
		f.relayout()
	}
	f.Message.SetText("")
	f.Message.Hide()
}

// inputError is an error in what was typed, found before asking the
// server; like a server's FieldError it names the field.
type inputError struct {
	field, message string
}

func (e *inputError) Error() string { return e.field + ": " + e.message }

// fieldOf returns the field an error names and its message.
func fieldOf(err error) (field, message string) {
	var input *inputError
	if errors.As(err, &input) {
		return input.field, input.message
	}
	if fe, ok := rpc.FieldErrorOf(err); ok {
		return fe.GetField(), fe.GetMessage()
	}
	return "", ""
}

// errorText is an error as a sentence for the user: the server's message
// without the RPC's code prefix.
func errorText(err error) string {
	if _, message := fieldOf(err); message != "" {
		return message
	}
	text := err.Error()
	if i := strings.Index(text, ": "); i > 0 && !strings.Contains(text[:i], " ") {
		text = text[i+2:] // connect's "invalid_argument: ..."
	}
	return text
}

// wholeNumber reads a whole number of at least 0 from an entry; empty is 0.
func wholeNumber(e *widget.Entry, field string) (int32, error) {
	text := strings.TrimSpace(e.Text)
	if text == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil || n < 0 {
		return 0, &inputError{field: field, message: fmt.Sprintf("%q is not a whole number of 0 or more", text)}
	}
	return int32(n), nil
}

// numberText shows a number in an entry.
func numberText[T ~int32 | ~int64 | ~int](n T) string { return strconv.FormatInt(int64(n), 10) }

// pageStack is a page that shows one view at a time (a list, or the editor
// of one of its rows) and knows whether the editor shown has unsaved
// changes.
type pageStack struct {
	widget.BaseWidget
	content *fyne.Container
	forms   []*Form
}

func newPageStack(first fyne.CanvasObject, forms ...*Form) *pageStack {
	p := &pageStack{content: container.NewStack(first), forms: forms}
	p.ExtendBaseWidget(p)
	return p
}

// ShowView replaces the view; forms are the forms the new view edits.
func (p *pageStack) ShowView(view fyne.CanvasObject, forms ...*Form) {
	p.forms = forms
	p.content.Objects = []fyne.CanvasObject{view}
	p.content.Refresh()
}

// HasUnsavedChanges implements UnsavedChanges.
func (p *pageStack) HasUnsavedChanges() bool {
	for _, f := range p.forms {
		if f.Changed() {
			return true
		}
	}
	return false
}

func (p *pageStack) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

// confirmLeave runs leave at once when there are no unsaved changes, and
// otherwise after the user agrees to lose them.
func confirmLeave(w fyne.Window, changed bool, leave func()) {
	if !changed || w == nil {
		leave()
		return
	}
	dialog.ShowConfirm("Unsaved changes", "Discard the changes you have not saved?", func(ok bool) {
		if ok {
			leave()
		}
	}, w)
}

// confirmRemoval asks before a destructive action.
func confirmRemoval(w fyne.Window, what string, remove func()) {
	dialog.ShowConfirm("Delete", "Delete "+what+"? This cannot be undone.", func(ok bool) {
		if ok {
			remove()
		}
	}, w)
}

// showPageError shows an error that belongs to no form field.
func showPageError(w fyne.Window, err error) {
	if w != nil {
		dialog.ShowError(errors.New(errorText(err)), w)
	}
}

// editorTitle is a page's title.
func editorTitle(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}
