package app

import (
	"context"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/admin"
	"github.com/mailwright/mailwright/icons"
)

// Preference keys for the remembered window size and tree node.
const (
	prefWidth    = "window.width"
	prefHeight   = "window.height"
	prefLastNode = "nav.last"
)

// defaultSize is the main window's size on first start.
var defaultSize = fyne.NewSize(1024, 700)

// mainWindow is the Administrator's window: the navigation tree on the
// left, the selected node's page on the right.
type mainWindow struct {
	app     fyne.App
	window  fyne.Window
	nav     *navigation
	tree    *widget.Tree
	page    *fyne.Container
	shown   fyne.CanvasObject // the page on display, to Stop it when replaced
	current widget.TreeNodeID
	connect *admin.ConnectDialog
	// knownServersFile is passed to the connect dialog; empty means rpc's
	// default.
	knownServersFile string
	// server is the mailwrightd the Administrator started, if any.
	server *bundledServer
	// noConfirm is set while the tree's selection changes without the
	// user choosing a node (connecting, disconnecting, or putting the
	// selection back after the user kept unsaved changes).
	noConfirm bool
}

// newMainWindow builds the main window at the size it had when the
// Administrator last stopped. It is not connected: call showConnect.
func newMainWindow(a fyne.App) *mainWindow {
	m := &mainWindow{app: a, window: a.NewWindow("Mailwright Administrator"), nav: newNavigation()}
	m.window.SetIcon(icons.AppIcon)
	m.window.SetMaster()

	m.page = container.NewStack()
	m.tree = newNavTree(m.nav, m.show)
	split := container.NewHSplit(m.tree, m.page)
	split.Offset = 0.24
	m.window.SetContent(split)
	m.window.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("File",
		fyne.NewMenuItem("Connect…", m.showConnect),
		fyne.NewMenuItem("Disconnect", m.disconnect),
	)))
	m.window.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { m.showConnect() })
	m.tree.Select("welcome")

	m.window.Resize(savedSize(a.Preferences()))
	a.Lifecycle().SetOnStopped(func() {
		saveSize(a.Preferences(), m.window.Canvas().Size())
		m.stopServer()
	})
	admin.OnDomainsChanged = func() { m.refresh("domains") }
	return m
}

// show displays the page of node id. When the page shown holds unsaved
// changes it asks first, and on No stays where it is.
func (m *mainWindow) show(id widget.TreeNodeID) {
	if m.noConfirm {
		if id != m.current || m.shown == nil {
			m.replacePage(id)
		}
		return
	}
	if u, ok := m.shown.(admin.UnsavedChanges); ok && u.HasUnsavedChanges() {
		if id == m.current {
			return // the page shown already, with its edits
		}
		dialog.NewConfirm("Unsaved changes", "Discard unsaved changes?", func(discard bool) {
			if discard {
				m.replacePage(id)
				return
			}
			m.selectQuietly(m.current)
		}, m.window).Show()
		return
	}
	m.replacePage(id)
}

// selectQuietly selects tree node id without asking about unsaved changes.
func (m *mainWindow) selectQuietly(id widget.TreeNodeID) {
	m.noConfirm = true
	defer func() { m.noConfirm = false }()
	m.tree.Select(id)
}

// replacePage stops the page shown and shows the page of node id.
func (m *mainWindow) replacePage(id widget.TreeNodeID) {
	if stopper, ok := m.shown.(admin.Stopper); ok {
		stopper.Stop()
	}
	m.current = id
	m.shown = m.pageFor(id)
	m.page.Objects = []fyne.CanvasObject{m.shown}
	m.page.Refresh()
	if m.nav.session != nil {
		m.app.Preferences().SetString(prefLastNode, id)
	}
}

// pageFor builds the page of node id for the current session.
func (m *mainWindow) pageFor(id widget.TreeNodeID) fyne.CanvasObject {
	title, _ := m.nav.title(id)
	s := m.nav.session
	if id == "welcome" {
		return admin.Welcome(Version, s)
	}
	if s == nil {
		return admin.NotConnected(title)
	}
	if page, ok := admin.PageFor(id); ok {
		return page(s, m.window, id)
	}
	if id == "status" {
		if page, ok := admin.PageFor("status/server"); ok {
			return page(s, m.window, "status/server")
		}
	}
	if strings.HasPrefix(id, "settings/") {
		return admin.NotBuilt(title)
	}
	return admin.Overview(title, m.childTitles(id))
}

func (m *mainWindow) childTitles(id widget.TreeNodeID) []string {
	var titles []string
	for _, c := range m.nav.childIDs(id) {
		t, _ := m.nav.title(c)
		titles = append(titles, t)
	}
	return titles
}

// refresh reloads the children of tree node id.
func (m *mainWindow) refresh(id string) {
	m.nav.reload(id)
	m.tree.Refresh()
}

// showConnect shows the connect dialog.
func (m *mainWindow) showConnect() {
	m.newConnectDialog().Show()
}

func (m *mainWindow) newConnectDialog() *admin.ConnectDialog {
	m.connect = admin.NewConnectDialog(m.window, m.app.Preferences(), admin.ConnectOptions{
		KnownServersFile:  m.knownServersFile,
		OnConnected:       m.connected,
		OnLocalServerDown: m.offerBundledServer,
	})
	return m.connect
}

// start shows the connect dialog, and connects at once when the user asked
// for that on start-up (the dialog shows the progress, and why it failed).
// MAILWRIGHT_PASSWORD, when set, logs in at once as the administrator of
// the selected server (localhost first): the quick start uses it.
func (m *mainWindow) start() {
	d := m.newConnectDialog()
	d.Show()
	if password := os.Getenv("MAILWRIGHT_PASSWORD"); password != "" {
		d.ConnectWith(os.Getenv("MAILWRIGHT_USER"), password)
		return
	}
	d.AutoConnect()
}

// connected replaces the session and goes to the last page shown.
func (m *mainWindow) connected(s *admin.Session) {
	m.closeSession()
	s.Refresh = m.refresh
	m.nav.session = s
	m.nav.reload("")
	m.nav.cache = map[string][]admin.Node{}
	m.window.SetTitle("Mailwright Administrator — " + s.Server)
	m.tree.Refresh()
	last := m.app.Preferences().StringWithFallback(prefLastNode, "welcome")
	m.noConfirm = true
	defer func() { m.noConfirm = false }()
	m.current = "" // the new session's page is built even for the same node
	m.selectNode(last)
}

// selectNode opens the tree down to id and selects it; an id that no
// longer exists selects Welcome.
func (m *mainWindow) selectNode(id string) {
	parts := strings.Split(id, "/")
	for i := 1; i < len(parts); i++ {
		parent := strings.Join(parts[:i], "/")
		m.tree.OpenBranch(parent)
		found := false
		for _, c := range m.nav.childIDs(parent) {
			if c == strings.Join(parts[:i+1], "/") {
				found = true
			}
		}
		if !found {
			id = "welcome"
			break
		}
	}
	m.tree.UnselectAll()
	m.tree.Select(id)
	m.tree.ScrollTo(id)
}

// disconnect logs out and shows the tree empty.
func (m *mainWindow) disconnect() {
	m.closeSession()
	m.nav.session = nil
	m.nav.cache = map[string][]admin.Node{}
	m.window.SetTitle("Mailwright Administrator")
	m.tree.Refresh()
	m.tree.UnselectAll()
	m.current = ""
	m.selectQuietly("welcome")
}

// closeSession stops the shown page and logs the session out.
func (m *mainWindow) closeSession() {
	if stopper, ok := m.shown.(admin.Stopper); ok {
		stopper.Stop()
	}
	s := m.nav.session
	if s == nil || s.Client == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Client.Logout(ctx)
		s.Client.Close()
	}()
}

// savedSize returns the window size stored in p, or defaultSize if none is.
func savedSize(p fyne.Preferences) fyne.Size {
	width := float32(p.FloatWithFallback(prefWidth, 0))
	height := float32(p.FloatWithFallback(prefHeight, 0))
	if width <= 0 || height <= 0 {
		return defaultSize
	}
	return fyne.NewSize(width, height)
}

// saveSize stores size in p, unless it is empty (a window never shown).
func saveSize(p fyne.Preferences, size fyne.Size) {
	if size.Width <= 0 || size.Height <= 0 {
		return
	}
	p.SetFloat(prefWidth, float64(size.Width))
	p.SetFloat(prefHeight, float64(size.Height))
}
