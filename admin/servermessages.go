package admin

import (
	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["settings/advanced/servermessages"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject {
		return newServerMessagesPage(s, w)
	}
}

// serverMessagesPage is Advanced → Server messages: the texts the server
// sends (bounces, virus notices), one selected and edited at a time.
type serverMessagesPage struct {
	widget.BaseWidget
	session *Session
	window  fyne.Window
	content fyne.CanvasObject

	messages []*adminv1.ServerMessage
	selected int // index in messages, -1 for none
	list     *widget.List
	status   *widget.Label
	name     *widget.Label
	text     *widget.Entry
	form     *Form
	// reselecting is set while the list's selection is put back after the
	// user kept unsaved changes.
	reselecting bool
}

func newServerMessagesPage(s *Session, w fyne.Window) *serverMessagesPage {
	p := &serverMessagesPage{session: s, window: w, selected: -1}
	p.ExtendBaseWidget(p)
	p.form = NewForm(p.save, p.load)
	p.text = p.form.MultiLine("text", "Text")
	p.text.SetMinRowsVisible(12)
	p.text.Disable()
	p.name = widget.NewLabelWithStyle("Select a message", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.list = widget.NewList(
		func() int { return len(p.messages) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.messages[i].GetName()) })
	p.list.OnSelected = p.choose
	editor := container.NewBorder(p.name, p.form.Buttons(), nil, nil, container.NewVScroll(p.form.Rows("text")))
	split := container.NewHSplit(p.list, editor)
	split.Offset = 0.35
	p.content = container.NewBorder(container.NewVBox(pageHeading("Server messages"), p.status, widget.NewSeparator()),
		nil, nil, nil, split)
	p.reload()
	return p
}

// reload reads the messages from the server.
func (p *serverMessagesPage) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Settings.ListServerMessages(ctx, connect.NewRequest(&adminv1.ListServerMessagesRequest{}))
	if err != nil {
		p.status.SetText("Could not read the server messages: " + errorText(err))
		return
	}
	p.messages = resp.Msg.GetMessages()
	p.status.SetText(countText(len(p.messages), "message", "messages"))
	p.list.Refresh()
}

// choose is a message selected in the list; unsaved changes to the one
// shown are kept unless the user agrees to lose them.
func (p *serverMessagesPage) choose(i widget.ListItemID) {
	if p.reselecting || i == p.selected {
		return
	}
	previous := p.selected
	confirmLeave(p.window, p.form.Changed(), func() {
		p.selected = i
		p.text.Enable()
		p.name.SetText(p.messages[i].GetName())
		p.load()
		p.reselecting = true
		p.list.Select(i)
		p.reselecting = false
	})
	if p.selected != i && previous >= 0 {
		// Not (yet) agreed: keep the list showing the message edited.
		p.reselecting = true
		p.list.Select(previous)
		p.reselecting = false
	}
}

// load shows the selected message's saved text.
func (p *serverMessagesPage) load() {
	text := ""
	if p.selected >= 0 {
		text = p.messages[p.selected].GetText()
	}
	p.form.Load(func() { p.text.SetText(text) })
}

func (p *serverMessagesPage) save() error {
	if p.selected < 0 {
		return nil
	}
	m := p.messages[p.selected]
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Settings.SetServerMessage(ctx, connect.NewRequest(&adminv1.ServerMessage{
		Id: m.GetId(), Name: m.GetName(), Text: p.text.Text}))
	if err != nil {
		return err
	}
	p.messages[p.selected] = resp.Msg
	p.load()
	return nil
}

// HasUnsavedChanges implements UnsavedChanges.
func (p *serverMessagesPage) HasUnsavedChanges() bool { return p.form.Changed() }

func (p *serverMessagesPage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}
