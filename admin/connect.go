package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/rpc"
)

// LocalServer is the address of the administration endpoint of a server on
// this computer (the AdminAddress setting's default).
const LocalServer = "127.0.0.1:" + rpc.DefaultPort

// Preference keys of the connect dialog.
const (
	prefServers     = "connect.servers"     // JSON list of SavedServer
	prefAutoConnect = "connect.autoconnect" // bool
	prefLastServer  = "connect.last"        // address of the last server connected to
)

// connectTimeout bounds one attempt to reach and log in to a server.
const connectTimeout = 30 * time.Second

// SavedServer is one entry of the connect dialog's server list, as
// hMailServer Administrator keeps them.
type SavedServer struct {
	Name    string `json:"name"`
	Address string `json:"address"` // host:port of the administration endpoint
	User    string `json:"user"`    // empty: the administrator
	// Password is kept only when the user asks for it, so that
	// "Automatically connect on start-up" can log in without asking.
	Password string `json:"password,omitempty"`
}

// Title is how the server is shown in the list.
func (s SavedServer) Title() string {
	if s.Name == "" || s.Name == s.Address {
		return s.Address
	}
	return s.Name + " (" + s.Address + ")"
}

// LoadServers returns the saved server list; the first time, it holds only
// this computer's server.
func LoadServers(p fyne.Preferences) []SavedServer {
	var servers []SavedServer
	if text := p.String(prefServers); text != "" {
		if err := json.Unmarshal([]byte(text), &servers); err != nil {
			servers = nil
		}
	}
	if len(servers) == 0 {
		servers = []SavedServer{{Name: "localhost", Address: LocalServer}}
	}
	return servers
}

// SaveServers stores the server list.
func SaveServers(p fyne.Preferences, servers []SavedServer) {
	data, err := json.Marshal(servers)
	if err != nil {
		return
	}
	p.SetString(prefServers, string(data))
}

// ConnectOptions are what the connect dialog needs from the shell.
type ConnectOptions struct {
	// KnownServersFile records the servers' certificate fingerprints; empty
	// means rpc's default in the user's configuration directory.
	KnownServersFile string
	// OnConnected receives the logged-in session, on the UI goroutine,
	// after the dialog closed.
	OnConnected func(*Session)
	// OnLocalServerDown, when set, is called on the UI goroutine when
	// nothing answers at a server on this computer, after the dialog shows
	// why. retry connects again to the same server with the same
	// credentials. The shell uses it to offer starting the bundled server.
	OnLocalServerDown func(address string, retry func())
}

// ConnectDialog is the dialog that picks a server and logs in to it.
type ConnectDialog struct {
	window fyne.Window
	prefs  fyne.Preferences
	opts   ConnectOptions

	servers  []SavedServer
	selected int

	list         *widget.List
	user         *keyEntry
	password     *keyEntry
	savePassword *widget.Check
	autoConnect  *widget.Check
	message      *widget.Label
	connectBtn   *widget.Button
	acceptBtn    *widget.Button // accept a changed certificate; hidden unless one was met
	changed      *rpc.CertificateChangedError
	dialog       *dialog.CustomDialog
	busy         bool
	// attempted, when set, is called after each connection attempt has
	// been shown, with its error; tests wait on it.
	attempted func(error)
}

// NewConnectDialog builds the connect dialog over window w; Show shows it.
func NewConnectDialog(w fyne.Window, prefs fyne.Preferences, opts ConnectOptions) *ConnectDialog {
	d := &ConnectDialog{window: w, prefs: prefs, opts: opts, servers: LoadServers(prefs)}
	last := prefs.String(prefLastServer)
	for i, s := range d.servers {
		if s.Address == last {
			d.selected = i
		}
	}

	d.list = widget.NewList(
		func() int { return len(d.servers) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.ComputerIcon()), widget.NewLabel("server"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*fyne.Container).Objects[1].(*widget.Label).SetText(d.servers[i].Title())
		})
	d.list.OnSelected = func(i widget.ListItemID) { d.selectServer(i) }

	d.user = newKeyEntry(d.connect, d.Hide)
	d.user.SetPlaceHolder("Administrator")
	d.password = newKeyEntry(d.connect, d.Hide)
	d.password.Password = true
	d.savePassword = widget.NewCheck("Save password", nil)
	d.autoConnect = widget.NewCheck("Automatically connect on start-up", func(on bool) {
		prefs.SetBool(prefAutoConnect, on)
	})
	d.autoConnect.SetChecked(prefs.Bool(prefAutoConnect))

	d.message = widget.NewLabel("")
	d.message.Wrapping = fyne.TextWrapWord
	d.message.Importance = widget.DangerImportance
	d.acceptBtn = widget.NewButtonWithIcon("Accept the new certificate…", theme.WarningIcon(), d.confirmChangedCertificate)
	d.acceptBtn.Hide()

	d.connectBtn = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), d.connect)
	d.connectBtn.Importance = widget.HighImportance
	closeBtn := widget.NewButtonWithIcon("Close", theme.CancelIcon(), d.Hide)

	add := widget.NewButtonWithIcon("Add…", theme.ContentAddIcon(), func() { d.editServer(-1) })
	edit := widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() { d.editServer(d.selected) })
	remove := widget.NewButtonWithIcon("Remove", theme.ContentRemoveIcon(), d.removeServer)

	form := widget.NewForm(
		widget.NewFormItem("User name", d.user),
		widget.NewFormItem("Password", d.password),
	)
	listBox := container.NewBorder(nil, container.NewHBox(add, edit, remove), nil, nil, d.list)
	listArea := container.NewGridWrap(fyne.NewSize(460, 170), listBox)
	content := container.NewVBox(
		widget.NewLabelWithStyle("Servers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		listArea,
		form,
		container.NewHBox(d.savePassword, d.autoConnect),
		d.message,
		d.acceptBtn,
	)
	buttons := container.NewHBox(layout.NewSpacer(), closeBtn, d.connectBtn)
	d.dialog = dialog.NewCustomWithoutButtons("Connect to a Mailwright server",
		container.NewBorder(nil, buttons, nil, nil, content), w)
	d.list.Select(d.selected)
	d.selectServer(d.selected)
	return d
}

// Show shows the dialog with the password field focused.
func (d *ConnectDialog) Show() {
	d.dialog.Show()
	d.window.Canvas().Focus(d.password)
}

// Hide closes the dialog without connecting.
func (d *ConnectDialog) Hide() { d.dialog.Hide() }

// AutoConnect connects at once to the last server when the user asked for
// that and its password is saved, and reports whether it started to.
func (d *ConnectDialog) AutoConnect() bool {
	if !d.prefs.Bool(prefAutoConnect) || d.servers[d.selected].Password == "" {
		return false
	}
	d.connect()
	return true
}

// ConnectWith connects at once to the selected server with these
// credentials (the quick start passes the administrator password this way).
func (d *ConnectDialog) ConnectWith(user, password string) {
	d.SetCredentials(user, password)
	d.connect()
}

// SetCredentials fills in the user name and password, as after setting up
// a new server.
func (d *ConnectDialog) SetCredentials(user, password string) {
	d.user.SetText(user)
	d.password.SetText(password)
}

// Password returns the password typed in the dialog.
func (d *ConnectDialog) Password() string { return d.password.Text }

// selectServer shows server i's user name and saved password.
func (d *ConnectDialog) selectServer(i int) {
	if i < 0 || i >= len(d.servers) {
		return
	}
	d.selected = i
	s := d.servers[i]
	d.user.SetText(s.User)
	d.password.SetText(s.Password)
	d.savePassword.SetChecked(s.Password != "")
	d.showMessage("")
}

// editServer opens the form for server i, or for a new server when i < 0.
func (d *ConnectDialog) editServer(i int) {
	var s SavedServer
	if i >= 0 && i < len(d.servers) {
		s = d.servers[i]
	}
	name := widget.NewEntry()
	name.SetText(s.Name)
	address := widget.NewEntry()
	address.SetText(s.Address)
	address.SetPlaceHolder("host:" + rpc.DefaultPort)
	address.Validator = func(text string) error {
		if text == "" {
			return errors.New("the server's address is required")
		}
		return nil
	}
	user := widget.NewEntry()
	user.SetText(s.User)
	user.SetPlaceHolder("Administrator")
	title := "Add a server"
	if i >= 0 {
		title = "Edit " + s.Title()
	}
	form := dialog.NewForm(title, "Save", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Name", name),
		widget.NewFormItem("Address", address),
		widget.NewFormItem("User name", user),
	}, func(ok bool) {
		if !ok {
			return
		}
		s.Name, s.Address, s.User = name.Text, normalizeAddress(address.Text), user.Text
		if s.Name == "" {
			s.Name = s.Address
		}
		if i >= 0 && i < len(d.servers) {
			d.servers[i] = s
		} else {
			d.servers = append(d.servers, s)
			i = len(d.servers) - 1
		}
		SaveServers(d.prefs, d.servers)
		d.list.Refresh()
		d.list.Select(i)
	}, d.window)
	form.Resize(fyne.NewSize(420, 0))
	form.Show()
}

// removeServer removes the selected server after asking.
func (d *ConnectDialog) removeServer() {
	if len(d.servers) == 0 {
		return
	}
	s := d.servers[d.selected]
	dialog.ShowConfirm("Remove server", "Remove "+s.Title()+" from the list?", func(ok bool) {
		if !ok {
			return
		}
		d.servers = append(d.servers[:d.selected], d.servers[d.selected+1:]...)
		SaveServers(d.prefs, d.servers)
		d.servers = LoadServers(d.prefs) // never leaves the list empty
		d.selected = 0
		d.list.Refresh()
		d.list.Select(0)
	}, d.window)
}

// connect dials the selected server and logs in, asking about its
// certificate if it is new.
func (d *ConnectDialog) connect() { d.connectWith(false) }

func (d *ConnectDialog) connectWith(acceptChanged bool) {
	if d.busy || len(d.servers) == 0 {
		return
	}
	index, s := d.selected, d.servers[d.selected]
	user, password := d.user.Text, d.password.Text
	d.busy = true
	d.connectBtn.Disable()
	d.acceptBtn.Hide()
	d.changed = nil
	d.showInfo("Connecting to " + s.Address + "…")
	opts := rpc.DialOptions{
		KnownServersFile: d.opts.KnownServersFile,
		AcceptNew:        d.askToTrust(s.Address),
		AcceptChanged:    acceptChanged,
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		c, err := rpc.Dial(ctx, s.Address, opts)
		if err == nil {
			if err = c.Login(ctx, user, password); err != nil {
				c.Close()
			}
		}
		runOnUI(func() {
			d.finish(index, s, user, password, c, err)
			if d.attempted != nil {
				d.attempted(err)
			}
		})
	}()
}

// askToTrust returns the AcceptNew of a Dial: it shows the fingerprint of a
// server met for the first time and waits for the user's answer.
func (d *ConnectDialog) askToTrust(address string) func(string) bool {
	return func(fingerprint string) bool {
		answer := make(chan bool, 1)
		runOnUI(func() {
			text := widget.NewLabel("This is the first connection to " + address + ". Its certificate's fingerprint is:")
			text.Wrapping = fyne.TextWrapWord
			fp := widget.NewLabelWithStyle(fingerprint, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
			fp.Wrapping = fyne.TextWrapBreak
			check := widget.NewLabel("Compare it with the one the server logged at start-up " +
				"(or \"mailwrightd ctl status\" on the server) before you trust it.")
			check.Wrapping = fyne.TextWrapWord
			c := dialog.NewCustomConfirm("Trust this server?", "Trust", "Do not trust",
				container.NewVBox(text, fp, check), func(ok bool) { answer <- ok }, d.window)
			c.Resize(fyne.NewSize(520, 0))
			c.Show()
		})
		return <-answer
	}
}

// finish shows the outcome of a connection attempt.
func (d *ConnectDialog) finish(index int, s SavedServer, user, password string, c *rpc.Client, err error) {
	d.busy = false
	d.connectBtn.Enable()
	if err != nil {
		d.showError(s, err)
		return
	}
	s.User = user
	s.Password = ""
	if d.savePassword.Checked {
		s.Password = password
	}
	if index < len(d.servers) && d.servers[index].Address == s.Address {
		d.servers[index] = s
		SaveServers(d.prefs, d.servers)
	}
	d.prefs.SetString(prefLastServer, s.Address)
	d.showMessage("")
	d.Hide()
	if d.opts.OnConnected != nil {
		d.opts.OnConnected(&Session{Client: c, Server: c.Addr, User: user})
	}
}

// showError says why the connection failed, in the user's terms.
func (d *ConnectDialog) showError(s SavedServer, err error) {
	var changed *rpc.CertificateChangedError
	switch {
	case errors.As(err, &changed):
		d.changed = changed
		d.showMessage(fmt.Sprintf("The certificate of %s has changed. It was %s and is now %s. "+
			"If nobody replaced it on purpose, someone may be intercepting the connection: do not connect.",
			s.Address, changed.Known, changed.Presented))
		d.acceptBtn.Show()
	case errors.Is(err, rpc.ErrServerDown):
		d.showMessage(fmt.Sprintf("No Mailwright server answers at %s. Check that mailwrightd is running there "+
			"and that its AdminAddress setting is this address.", s.Address))
		if d.opts.OnLocalServerDown != nil && IsLocalAddress(s.Address) {
			d.opts.OnLocalServerDown(s.Address, d.connect)
		}
	case errors.Is(err, rpc.ErrUnknownServer):
		d.showMessage("Not connected: the server's certificate was not trusted.")
	case connect.CodeOf(err) == connect.CodeUnauthenticated || connect.CodeOf(err) == connect.CodePermissionDenied:
		d.showMessage("The server refused the login: " + serverMessage(err))
	case errors.Is(err, context.DeadlineExceeded):
		d.showMessage(fmt.Sprintf("%s did not answer within %s.", s.Address, connectTimeout))
	default:
		d.showMessage("Cannot connect to " + s.Address + ": " + serverMessage(err))
	}
}

// confirmChangedCertificate accepts a changed certificate only after the
// user confirmed it was replaced on purpose, then connects again.
func (d *ConnectDialog) confirmChangedCertificate() {
	if d.changed == nil {
		return
	}
	text := widget.NewLabel(fmt.Sprintf("Accept the new certificate of %s?\n\nRecorded: %s\nPresented: %s\n\n"+
		"Do this only if you know the server's certificate was replaced.",
		d.changed.Addr, d.changed.Known, d.changed.Presented))
	text.Wrapping = fyne.TextWrapBreak
	c := dialog.NewCustomConfirm("The certificate has changed", "Accept the new certificate", "Cancel",
		text, func(ok bool) {
			if ok {
				d.connectWith(true)
			}
		}, d.window)
	c.Resize(fyne.NewSize(560, 0))
	c.Show()
}

func (d *ConnectDialog) showMessage(text string) {
	d.message.Importance = widget.DangerImportance
	d.message.SetText(text)
}

func (d *ConnectDialog) showInfo(text string) {
	d.message.Importance = widget.MediumImportance
	d.message.SetText(text)
}

// serverMessage is the message of an RPC error without the code prefix.
func serverMessage(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) && ce.Message() != "" {
		return ce.Message()
	}
	return err.Error()
}

// IsLocalAddress reports whether address names this computer.
func IsLocalAddress(address string) bool {
	host, _, err := net.SplitHostPort(normalizeAddress(address))
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalizeAddress adds the default port to an address without one.
func normalizeAddress(address string) string {
	if _, _, err := net.SplitHostPort(address); err != nil && address != "" {
		return net.JoinHostPort(address, rpc.DefaultPort)
	}
	return address
}

// keyEntry is an entry where Enter and Escape act for the whole dialog.
type keyEntry struct {
	widget.Entry
	onEnter, onEscape func()
}

func newKeyEntry(onEnter, onEscape func()) *keyEntry {
	e := &keyEntry{onEnter: onEnter, onEscape: onEscape}
	e.ExtendBaseWidget(e)
	e.OnSubmitted = func(string) { onEnter() }
	return e
}

// TypedKey closes the dialog on Escape and passes other keys on.
func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}
