package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["settings/advanced/ipranges"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject {
		return newIPRangesPage(s, w).stack
	}
}

// expiresLayout is how an IP range's expiry date is typed and shown.
const expiresLayout = "2006-01-02 15:04"

// ipRangesPage is Advanced → IP ranges: the ranges by priority, highest
// first, paged through the RPC, with a search box, Add, Edit and Delete
// (manual: IP ranges).
type ipRangesPage struct {
	session  *Session
	window   fyne.Window
	stack    *pageStack
	listView fyne.CanvasObject

	pager    *pager[*adminv1.IPRange]
	selected int
	list     *widget.List
	search   *widget.Entry
	status   *widget.Label
	edit     *widget.Button
	remove   *widget.Button
	editor   *ipRangeEditor
}

func newIPRangesPage(s *Session, w fyne.Window) *ipRangesPage {
	p := &ipRangesPage{session: s, window: w, selected: -1}
	p.pager = newPager(func(ctx context.Context, filter string, limit, offset int) ([]*adminv1.IPRange, int, error) {
		resp, err := s.Client.IPRanges.ListIPRanges(ctx, connect.NewRequest(&adminv1.ListIPRangesRequest{
			Filter: filter, Limit: int32(limit), Offset: int32(offset)}))
		if err != nil {
			return nil, 0, err
		}
		return resp.Msg.GetRanges(), int(resp.Msg.GetTotal()), nil
	}, func() { p.refresh() })
	p.list = widget.NewList(
		p.pager.Len,
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			label := o.(*widget.Label)
			r, ok := p.pager.Row(i)
			if !ok {
				label.SetText("Loading...")
				return
			}
			label.SetText(fmt.Sprintf("%d  %s  %s - %s", r.GetPriority(), r.GetName(), r.GetLowerIp(), r.GetUpperIp()))
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.edit.Enable(); p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.unselect() }
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search names and addresses")
	p.search.OnChanged = func(string) { p.reload() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", func() { p.openEditor(nil) })
	p.edit = widget.NewButton("Edit...", func() {
		if r, ok := p.selectedRange(); ok {
			p.openEditor(r)
		}
	})
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.unselect()
	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("IP ranges"), p.search, p.status),
		container.NewHBox(layout.NewSpacer(), add, p.edit, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

// selectedRange is the range selected in the list, if its page is at hand.
func (p *ipRangesPage) selectedRange() (*adminv1.IPRange, bool) {
	if p.selected < 0 {
		return nil, false
	}
	return p.pager.Row(p.selected)
}

func (p *ipRangesPage) unselect() {
	p.selected = -1
	p.edit.Disable()
	p.remove.Disable()
}

// reload drops the cached pages and reads the list again for the search
// box's text.
func (p *ipRangesPage) reload() {
	p.list.UnselectAll()
	p.unselect()
	p.pager.Reset(strings.TrimSpace(p.search.Text))
	p.refresh()
}

// refresh shows the rows fetched so far and the count.
func (p *ipRangesPage) refresh() {
	if err := p.pager.Err(); err != nil {
		p.status.SetText("Could not read the IP ranges: " + errorText(err))
	} else {
		p.status.SetText(countText(p.pager.Len(), "IP range", "IP ranges"))
	}
	p.list.Refresh()
}

func (p *ipRangesPage) openEditor(r *adminv1.IPRange) {
	p.editor = newIPRangeEditor(p.session, r)
	back := widget.NewButton("Back to the IP ranges", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *ipRangesPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *ipRangesPage) confirmDelete() {
	r, ok := p.selectedRange()
	if !ok {
		return
	}
	confirmRemoval(p.window, "the IP range "+r.GetName(), func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		if _, err := p.session.Client.IPRanges.DeleteIPRange(ctx, connect.NewRequest(&adminv1.DeleteIPRangeRequest{Id: r.GetId()})); err != nil {
			showPageError(p.window, err)
			return
		}
		p.reload()
	})
}

// ipRangeEditor edits one IP range.
type ipRangeEditor struct {
	session *Session
	ipRange *adminv1.IPRange // nil until a new range is saved

	form                               *Form
	name, priority, lower, upper       *widget.Entry
	expiresAt                          *widget.Entry
	expires                            *widget.Check
	allowSMTP, allowPOP3, allowIMAP    *widget.Check
	allowL2L, allowL2E, allowE2L       *widget.Check
	allowE2E                           *widget.Check
	authL2L, authL2E, authE2L, authE2E *widget.Check
	antiSpam, antiVirus                *widget.Check
	view                               fyne.CanvasObject
}

func newIPRangeEditor(s *Session, r *adminv1.IPRange) *ipRangeEditor {
	e := &ipRangeEditor{session: s, ipRange: r}
	f := NewForm(e.save, e.load)
	e.form = f
	e.name = f.Entry("name", "Name")
	e.priority = f.Entry("priority", "Priority")
	e.lower = f.Entry("lower_ip", "Lower IP")
	e.upper = f.Entry("upper_ip", "Upper IP")
	e.expires = f.Check("expires", "Expires")
	e.expiresAt = f.Entry("expires_at", "Expires at ("+expiresLayout+")")
	e.allowSMTP = f.Check("allow_smtp", "SMTP")
	e.allowPOP3 = f.Check("allow_pop3", "POP3")
	e.allowIMAP = f.Check("allow_imap", "IMAP")
	e.allowL2L = f.Check("allow.local_to_local", "Local to local e-mail addresses")
	e.allowL2E = f.Check("allow.local_to_external", "Local to external e-mail addresses")
	e.allowE2L = f.Check("allow.external_to_local", "External to local e-mail addresses")
	e.allowE2E = f.Check("allow.external_to_external", "External to external e-mail addresses")
	e.authL2L = f.Check("require_auth.local_to_local", "Local to local e-mail addresses")
	e.authL2E = f.Check("require_auth.local_to_external", "Local to external e-mail addresses")
	e.authE2L = f.Check("require_auth.external_to_local", "External to local e-mail addresses")
	e.authE2E = f.Check("require_auth.external_to_external", "External to external e-mail addresses")
	e.antiSpam = f.Check("anti_spam", "Anti-spam")
	e.antiVirus = f.Check("anti_virus", "Anti-virus")
	title := "New IP range"
	if r != nil {
		title = r.GetName()
	}
	body := container.NewVBox(
		f.Rows("name", "priority", "lower_ip", "upper_ip", "expires", "expires_at"),
		widget.NewLabelWithStyle("Allow connections", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		f.Rows("allow_smtp", "allow_pop3", "allow_imap"),
		widget.NewLabelWithStyle("Allow deliveries from", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		f.Rows("allow.local_to_local", "allow.local_to_external", "allow.external_to_local", "allow.external_to_external"),
		widget.NewLabelWithStyle("Require SMTP authentication", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		f.Rows("require_auth.local_to_local", "require_auth.local_to_external", "require_auth.external_to_local", "require_auth.external_to_external"),
		widget.NewLabelWithStyle("Other", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		f.Rows("anti_spam", "anti_virus"),
	)
	e.view = container.NewBorder(editorTitle(title), f.Buttons(), nil, nil, container.NewVScroll(body))
	e.load()
	return e
}

func (e *ipRangeEditor) load() {
	r := e.ipRange
	if r == nil {
		r = &adminv1.IPRange{Priority: 10, AllowSmtp: true, AllowPop3: true, AllowImap: true,
			Allow:       &adminv1.Deliveries{LocalToLocal: true, LocalToExternal: true, ExternalToLocal: true},
			RequireAuth: &adminv1.Deliveries{LocalToExternal: true},
			AntiSpam:    true, AntiVirus: true}
	}
	e.form.Load(func() {
		e.name.SetText(r.GetName())
		e.priority.SetText(numberText(r.GetPriority()))
		e.lower.SetText(r.GetLowerIp())
		e.upper.SetText(r.GetUpperIp())
		e.expires.SetChecked(r.GetExpires())
		if r.GetExpiresAt() > 0 {
			e.expiresAt.SetText(time.Unix(r.GetExpiresAt(), 0).Format(expiresLayout))
		} else {
			e.expiresAt.SetText("")
		}
		e.allowSMTP.SetChecked(r.GetAllowSmtp())
		e.allowPOP3.SetChecked(r.GetAllowPop3())
		e.allowIMAP.SetChecked(r.GetAllowImap())
		e.allowL2L.SetChecked(r.GetAllow().GetLocalToLocal())
		e.allowL2E.SetChecked(r.GetAllow().GetLocalToExternal())
		e.allowE2L.SetChecked(r.GetAllow().GetExternalToLocal())
		e.allowE2E.SetChecked(r.GetAllow().GetExternalToExternal())
		e.authL2L.SetChecked(r.GetRequireAuth().GetLocalToLocal())
		e.authL2E.SetChecked(r.GetRequireAuth().GetLocalToExternal())
		e.authE2L.SetChecked(r.GetRequireAuth().GetExternalToLocal())
		e.authE2E.SetChecked(r.GetRequireAuth().GetExternalToExternal())
		e.antiSpam.SetChecked(r.GetAntiSpam())
		e.antiVirus.SetChecked(r.GetAntiVirus())
	})
}

func (e *ipRangeEditor) save() error {
	priority, err := wholeNumber(e.priority, "priority")
	if err != nil {
		return err
	}
	var expiresAt int64
	if text := strings.TrimSpace(e.expiresAt.Text); text != "" {
		t, err := time.ParseInLocation(expiresLayout, text, time.Local)
		if err != nil {
			return &inputError{field: "expires_at", message: fmt.Sprintf("%q is not a date and time like 2026-12-31 23:59", text)}
		}
		expiresAt = t.Unix()
	} else if e.expires.Checked {
		return &inputError{field: "expires_at", message: "a range that expires needs the date it expires"}
	}
	r := &adminv1.IPRange{
		Name: strings.TrimSpace(e.name.Text), Priority: priority,
		LowerIp: strings.TrimSpace(e.lower.Text), UpperIp: strings.TrimSpace(e.upper.Text),
		Expires: e.expires.Checked, ExpiresAt: expiresAt,
		AllowSmtp: e.allowSMTP.Checked, AllowPop3: e.allowPOP3.Checked, AllowImap: e.allowIMAP.Checked,
		Allow: &adminv1.Deliveries{LocalToLocal: e.allowL2L.Checked, LocalToExternal: e.allowL2E.Checked,
			ExternalToLocal: e.allowE2L.Checked, ExternalToExternal: e.allowE2E.Checked},
		RequireAuth: &adminv1.Deliveries{LocalToLocal: e.authL2L.Checked, LocalToExternal: e.authL2E.Checked,
			ExternalToLocal: e.authE2L.Checked, ExternalToExternal: e.authE2E.Checked},
		AntiSpam: e.antiSpam.Checked, AntiVirus: e.antiVirus.Checked,
	}
	ctx, cancel := pageCallContext()
	defer cancel()
	var resp *connect.Response[adminv1.IPRange]
	if e.ipRange == nil {
		resp, err = e.session.Client.IPRanges.CreateIPRange(ctx, connect.NewRequest(r))
	} else {
		r.Id = e.ipRange.GetId()
		resp, err = e.session.Client.IPRanges.UpdateIPRange(ctx, connect.NewRequest(r))
	}
	if err != nil {
		return err
	}
	e.ipRange = resp.Msg
	e.load()
	return nil
}
