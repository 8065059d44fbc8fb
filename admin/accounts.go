package admin

import (
	"context"
	"strings"
	"time"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// accountPageSize is how many accounts one ListAccounts call fetches, and
// maxCachedAccountPages how many such pages the list keeps: a domain of
// 100,000 accounts is never read whole.
const (
	accountPageSize       = listPageSize
	maxCachedAccountPages = maxCachedListPages
)

// accountsPage is a domain's Accounts node: the accounts, paged through
// the RPC, with a search box, Add, Edit and Delete.
type accountsPage struct {
	session  *Session
	window   fyne.Window
	domainID int64
	stack    *pageStack
	listView fyne.CanvasObject

	pager    *pager[*adminv1.Account]
	list     *widget.List
	search   *widget.Entry
	status   *widget.Label
	selected int
	edit     *widget.Button
	remove   *widget.Button
	editor   *accountEditor // the editor shown, if any
}

func newAccountsPage(s *Session, w fyne.Window, domainID int64) *accountsPage {
	p := &accountsPage{session: s, window: w, domainID: domainID, selected: -1}
	p.pager = newPager(func(ctx context.Context, filter string, limit, offset int) ([]*adminv1.Account, int, error) {
		resp, err := s.Client.Accounts.ListAccounts(ctx, connect.NewRequest(&adminv1.ListAccountsRequest{
			DomainId: domainID, Filter: filter, Limit: int32(limit), Offset: int32(offset)}))
		if err != nil {
			return nil, 0, err
		}
		return resp.Msg.GetAccounts(), int(resp.Msg.GetTotal()), nil
	}, func() { p.refresh() })
	p.list = widget.NewList(
		p.pager.Len,
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			label := o.(*widget.Label)
			a, ok := p.pager.Row(i)
			if !ok {
				label.SetText("Loading...")
				return
			}
			label.SetText(accountRowText(a))
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.edit.Enable(); p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.unselect() }
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search addresses")
	p.search.OnChanged = func(text string) { p.reload() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", func() { p.openEditor(nil) })
	p.edit = widget.NewButton("Edit...", func() {
		if a, ok := p.selectedAccount(); ok {
			p.openEditor(a)
		}
	})
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.unselect()

	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("Accounts"), p.search, p.status),
		container.NewHBox(layout.NewSpacer(), add, p.edit, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

// backgroundFetch runs a fetch of a paged list (accounts, aliases, IP
// ranges) off the UI goroutine and then, on the UI goroutine, shows what
// arrived; meanwhile the rows of the page on its way show "Loading...".
// Nil fetches at once, when the list shows a row of a page not yet fetched
// (tests).
var backgroundFetch = func(fetch, show func()) {
	go func() {
		fetch()
		fyne.Do(show)
	}()
}

// selectedAccount is the account selected in the list, if its page is at
// hand.
func (p *accountsPage) selectedAccount() (*adminv1.Account, bool) {
	if p.selected < 0 {
		return nil, false
	}
	return p.pager.Row(p.selected)
}

func (p *accountsPage) unselect() {
	p.selected = -1
	p.edit.Disable()
	p.remove.Disable()
}

// reload drops the cached pages and reads the list again for the search
// box's text.
func (p *accountsPage) reload() {
	p.list.UnselectAll()
	p.unselect()
	p.pager.Reset(strings.TrimSpace(p.search.Text))
	p.refresh()
}

// refresh shows the rows fetched so far and the count.
func (p *accountsPage) refresh() {
	if err := p.pager.Err(); err != nil {
		p.status.SetText("Could not read the accounts: " + errorText(err))
	} else {
		p.status.SetText(countText(p.pager.Len(), "account", "accounts"))
	}
	p.list.Refresh()
}

func accountRowText(a *adminv1.Account) string {
	text := a.GetAddress()
	if name := strings.TrimSpace(a.GetFirstName() + " " + a.GetLastName()); name != "" {
		text += " (" + name + ")"
	}
	if !a.GetActive() {
		text += " - inactive"
	}
	return text
}

func (p *accountsPage) openEditor(a *adminv1.Account) {
	p.editor = newAccountEditor(p.session, p.window, p.domainID, a)
	back := widget.NewButton("Back to the accounts", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *accountsPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *accountsPage) confirmDelete() {
	a, ok := p.selectedAccount()
	if !ok {
		return
	}
	confirmRemoval(p.window, "the account "+a.GetAddress()+" and all its messages", func() { p.deleteAccount(a) })
}

// deleteAccount deletes the account and its messages behind a progress
// dialog.
func (p *accountsPage) deleteAccount(a *adminv1.Account) {
	runLong(p.window, "Deleting the account "+a.GetAddress()+"…", func(ctx context.Context) error {
		_, err := p.session.Client.Accounts.DeleteAccount(ctx, connect.NewRequest(&adminv1.DeleteAccountRequest{Id: a.GetId()}))
		return err
	}, func(err error) {
		showLongResult(p.window, err)
		p.reload()
	})
}

// adminLevels are the choices of Account → Administration level, in the
// order of the AdminLevel values.
var adminLevels = []string{"User", "Domain", "Server"}

// expiryLayout is how the auto-reply's expiry date is typed.
const expiryLayout = "2006-01-02"

// accountEditor edits one account in the tabs of hMailServer's account
// page: General, Auto-reply and Forwarding.
type accountEditor struct {
	session  *Session
	window   fyne.Window
	domainID int64
	account  *adminv1.Account // nil until a new account is saved

	form                                *Form
	address, password, maxSize          *widget.Entry
	firstName, lastName                 *widget.Entry
	active                              *widget.Check
	adminLevel                          *widget.Select
	vacationEnabled, vacationExpires    *widget.Check
	vacationSubject, vacationMessage    *widget.Entry
	vacationExpiresAt                   *widget.Entry
	forwardEnabled, forwardKeepOriginal *widget.Check
	forwardAddress                      *widget.Entry
	tabs                                *container.AppTabs
	emptyButton, unlockButton           *widget.Button
	view                                fyne.CanvasObject
}

func newAccountEditor(s *Session, w fyne.Window, domainID int64, a *adminv1.Account) *accountEditor {
	e := &accountEditor{session: s, window: w, domainID: domainID, account: a}
	f := NewForm(e.save, e.load)
	e.form = f
	e.address = f.Entry("address", "Address")
	e.password = f.Password("password", "Password")
	e.active = f.Check("active", "Enabled")
	e.adminLevel = f.Select("admin_level", "Administration level", adminLevels)
	e.maxSize = f.Entry("max_size_mb", "Maximum size (MB)")
	e.firstName = f.Entry("first_name", "First name")
	e.lastName = f.Entry("last_name", "Last name")
	e.vacationEnabled = f.Check("vacation_enabled", "Enabled")
	e.vacationSubject = f.Entry("vacation_subject", "Subject")
	e.vacationMessage = f.MultiLine("vacation_message", "Text")
	e.vacationExpires = f.Check("vacation_expires", "Automatically expire")
	e.vacationExpiresAt = f.Entry("vacation_expires_at", "Expires on (YYYY-MM-DD)")
	e.forwardEnabled = f.Check("forward_enabled", "Enabled")
	e.forwardAddress = f.Entry("forward_address", "Address")
	e.forwardKeepOriginal = f.Check("forward_keep_original", "Keep original message")

	general := container.NewTabItem("General", f.Rows("address", "password", "active", "admin_level", "max_size_mb", "first_name", "last_name"))
	autoReply := container.NewTabItem("Auto-reply", f.Rows("vacation_enabled", "vacation_subject", "vacation_message", "vacation_expires", "vacation_expires_at"))
	forwarding := container.NewTabItem("Forwarding", f.Rows("forward_enabled", "forward_address", "forward_keep_original"))
	e.tabs = container.NewAppTabs(general, autoReply, forwarding)
	f.Reveal = func(field string) {
		switch {
		case strings.HasPrefix(field, "vacation_"):
			e.tabs.Select(autoReply)
		case strings.HasPrefix(field, "forward_"):
			e.tabs.Select(forwarding)
		default:
			e.tabs.Select(general)
		}
	}
	title := "New account"
	if a != nil {
		title = a.GetAddress()
	}
	e.emptyButton = widget.NewButton("Empty account…", e.confirmEmpty)
	e.unlockButton = widget.NewButton("Unlock", e.unlock)
	top := container.NewVBox(editorTitle(title), container.NewHBox(e.emptyButton, e.unlockButton))
	e.view = container.NewBorder(top, f.Buttons(), nil, nil, e.tabs)
	e.load()
	return e
}

// load shows the account's saved values (a new account's defaults).
func (e *accountEditor) load() {
	a := e.account
	if a == nil {
		a = &adminv1.Account{Active: true}
	}
	if e.account == nil {
		e.emptyButton.Disable()
		e.unlockButton.Disable()
	} else {
		e.emptyButton.Enable()
		e.unlockButton.Enable()
	}
	e.form.Load(func() {
		e.address.SetText(a.GetAddress())
		e.password.SetText("")
		if e.account == nil {
			e.password.SetPlaceHolder("")
		} else {
			e.password.SetPlaceHolder("unchanged")
		}
		e.active.SetChecked(a.GetActive())
		e.adminLevel.SetSelectedIndex(int(a.GetAdminLevel()))
		e.maxSize.SetText(numberText(a.GetMaxSizeMb()))
		e.firstName.SetText(a.GetFirstName())
		e.lastName.SetText(a.GetLastName())
		e.vacationEnabled.SetChecked(a.GetVacationEnabled())
		e.vacationSubject.SetText(a.GetVacationSubject())
		e.vacationMessage.SetText(a.GetVacationMessage())
		e.vacationExpires.SetChecked(a.GetVacationExpires())
		expires := ""
		if at := a.GetVacationExpiresAt(); at > 0 {
			expires = time.Unix(at, 0).Format(expiryLayout)
		}
		e.vacationExpiresAt.SetText(expires)
		e.forwardEnabled.SetChecked(a.GetForwardEnabled())
		e.forwardAddress.SetText(a.GetForwardAddress())
		e.forwardKeepOriginal.SetChecked(a.GetForwardKeepOriginal())
	})
}

// values reads the account from the fields.
func (e *accountEditor) values() (*adminv1.Account, error) {
	a := &adminv1.Account{}
	if e.account != nil {
		a.Id = e.account.GetId()
	}
	a.DomainId = e.domainID
	a.Address = strings.TrimSpace(e.address.Text)
	a.Active = e.active.Checked
	a.AdminLevel = adminv1.AdminLevel(max(e.adminLevel.SelectedIndex(), 0))
	a.FirstName = strings.TrimSpace(e.firstName.Text)
	a.LastName = strings.TrimSpace(e.lastName.Text)
	a.VacationEnabled = e.vacationEnabled.Checked
	a.VacationSubject = e.vacationSubject.Text
	a.VacationMessage = e.vacationMessage.Text
	a.VacationExpires = e.vacationExpires.Checked
	a.ForwardEnabled = e.forwardEnabled.Checked
	a.ForwardAddress = strings.TrimSpace(e.forwardAddress.Text)
	a.ForwardKeepOriginal = e.forwardKeepOriginal.Checked
	if e.account != nil {
		a.SignatureEnabled = e.account.GetSignatureEnabled()
		a.SignaturePlain = e.account.GetSignaturePlain()
		a.SignatureHtml = e.account.GetSignatureHtml()
	}
	var err error
	if a.MaxSizeMb, err = wholeNumber(e.maxSize, "max_size_mb"); err != nil {
		return nil, err
	}
	if text := strings.TrimSpace(e.vacationExpiresAt.Text); text != "" {
		at, err := time.ParseInLocation(expiryLayout, text, time.Local)
		if err != nil {
			return nil, &inputError{field: "vacation_expires_at", message: "write the date as YYYY-MM-DD, e.g. 2030-12-31"}
		}
		a.VacationExpiresAt = at.Unix()
	}
	return a, nil
}

// save creates the account, or updates it and, when a new password was
// typed, sets the password.
func (e *accountEditor) save() error {
	a, err := e.values()
	if err != nil {
		return err
	}
	ctx, cancel := pageCallContext()
	defer cancel()
	var resp *connect.Response[adminv1.Account]
	if e.account == nil {
		resp, err = e.session.Client.Accounts.CreateAccount(ctx, connect.NewRequest(&adminv1.CreateAccountRequest{Account: a, Password: e.password.Text}))
	} else {
		resp, err = e.session.Client.Accounts.UpdateAccount(ctx, connect.NewRequest(a))
		if err == nil && e.password.Text != "" {
			_, err = e.session.Client.Accounts.SetAccountPassword(ctx, connect.NewRequest(&adminv1.SetAccountPasswordRequest{Id: a.GetId(), Password: e.password.Text}))
		}
	}
	if err != nil {
		return err
	}
	e.account = resp.Msg
	e.load()
	return nil
}

// confirmEmpty asks before emptying the account.
func (e *accountEditor) confirmEmpty() {
	if e.account == nil {
		return
	}
	a := e.account
	dialog.ShowConfirm("Empty account",
		"Delete every message of "+a.GetAddress()+"? Its folders stay. This cannot be undone.",
		func(ok bool) {
			if ok {
				e.empty(a)
			}
		}, e.window)
}

// empty deletes every message of the account behind a progress dialog.
func (e *accountEditor) empty(a *adminv1.Account) {
	var deleted int32
	runLong(e.window, "Emptying the account "+a.GetAddress()+"…", func(ctx context.Context) error {
		resp, err := e.session.Client.Accounts.EmptyAccount(ctx, connect.NewRequest(&adminv1.EmptyAccountRequest{Id: a.GetId()}))
		if err == nil {
			deleted = resp.Msg.GetDeletedMessages()
		}
		return err
	}, func(err error) {
		if showLongResult(e.window, err) && e.window != nil {
			dialog.ShowInformation("Empty account",
				"Deleted "+countText(int(deleted), "message", "messages")+" of "+a.GetAddress()+".", e.window)
		}
	})
}

// unlock clears the account's POP3 lock.
func (e *accountEditor) unlock() {
	if e.account == nil {
		return
	}
	a := e.account
	e.unlockButton.Disable()
	go func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		_, err := e.session.Client.Accounts.UnlockAccount(ctx, connect.NewRequest(&adminv1.UnlockAccountRequest{Id: a.GetId()}))
		runOnUI(func() {
			e.unlockButton.Enable()
			if err != nil {
				showPageError(e.window, err)
				return
			}
			if e.window != nil {
				dialog.ShowInformation("Unlock", "The account "+a.GetAddress()+" is unlocked.", e.window)
			}
		})
	}()
}
