package app

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/admin"
	"github.com/mailwright/mailwright/rpc"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/password"
)

// TestConstantsMatchFyneAppToml keeps ID and Version in step with the
// metadata `fyne package` reads.
func TestConstantsMatchFyneAppToml(t *testing.T) {
	toml, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"ID": ID, "Version": Version, "Name": "Mailwright Administrator"} {
		m := regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*"([^"]*)"`).FindSubmatch(toml)
		if m == nil || string(m[1]) != want {
			t.Errorf("FyneApp.toml %s = %q, want %q", key, m, want)
		}
	}
}

func TestWindowSizeIsRemembered(t *testing.T) {
	a := test.NewTempApp(t)
	if got := savedSize(a.Preferences()); got != defaultSize {
		t.Fatalf("first start size = %v, want %v", got, defaultSize)
	}
	saveSize(a.Preferences(), fyne.NewSize(0, 0))
	if got := savedSize(a.Preferences()); got != defaultSize {
		t.Fatalf("after saving an empty size, size = %v, want %v", got, defaultSize)
	}

	want := fyne.NewSize(1200, 777)
	saveSize(a.Preferences(), want)
	m := newMainWindow(a)
	defer m.window.Close()
	if got := m.window.Canvas().Size(); got != want {
		t.Fatalf("window opened at %v, want the saved %v", got, want)
	}
}

func TestTreeMirrorsHMailServerAdministrator(t *testing.T) {
	nav := newNavigation()
	if got := strings.Join(nav.childIDs(""), " "); got != "welcome status domains settings utilities" {
		t.Errorf("top level = %s", got)
	}
	for parent, want := range map[string]string{
		"status":                  "Server Logging Delivery queue",
		"settings":                "Protocols Advanced",
		"settings/protocols":      "SMTP POP3 IMAP",
		"settings/protocols/smtp": "Delivery of e-mail Routes",
		"settings/advanced":       "Auto-ban IP ranges Mirror Server messages SSL certificates TCP/IP ports Groups",
		"utilities":               "MX query",
	} {
		var titles []string
		for _, id := range nav.childIDs(parent) {
			title, _ := nav.title(id)
			titles = append(titles, title)
		}
		if got := strings.Join(titles, " "); got != want {
			t.Errorf("%s holds %s, want %s", parent, got, want)
		}
	}
	if !nav.isBranch("domains") {
		t.Error("Domains is not a branch: the domain pages cannot hang below it")
	}
}

func TestEveryNodeSaysNotConnectedBeforeAConnection(t *testing.T) {
	a := test.NewTempApp(t)
	m := newMainWindow(a)
	defer m.window.Close()

	split, ok := m.window.Content().(*container.Split)
	if !ok {
		t.Fatalf("main window content is %T, want the navigation split", m.window.Content())
	}
	if _, ok := split.Leading.(*widget.Tree); !ok {
		t.Fatalf("left of the split is %T, want the navigation tree", split.Leading)
	}
	if !hasLabel(m.page, "Welcome to Mailwright Administrator") {
		t.Error("the Welcome page is not shown at start")
	}
	for _, n := range fixedNodes[1:] {
		m.tree.Select(n.id)
		if !hasLabel(m.page, n.title) || !hasLabelContaining(m.page, "Not connected") {
			t.Errorf("selecting %s does not show its title and that nothing is connected", n.id)
		}
	}
}

func TestConnectingReturnsToTheLastNode(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefLastNode, "settings/protocols/imap/publicfolders")
	m := newMainWindow(a)
	defer m.window.Close()

	server := startAdminServer(t)
	m.connected(server)
	if m.current != "settings/protocols/imap/publicfolders" {
		t.Fatalf("after connecting the tree shows %q, want the last node", m.current)
	}
	if !hasLabel(m.page, "Public folders") || !hasLabel(m.page, "0 public folders") ||
		!hasLabel(m.page, "Permissions") || hasLabelContaining(m.page, "This page is not built yet") {
		t.Error("the Public folders page does not show the server's public folders")
	}
	m.tree.Select("utilities")
	if got := a.Preferences().String(prefLastNode); got != "utilities" {
		t.Errorf("the remembered node is %q, want utilities", got)
	}
	m.tree.Select("welcome")
	if !hasLabelContaining(m.page, "Connected to the Mailwright server at "+server.Server+" as Administrator") {
		t.Error("the Welcome page does not say what is connected")
	}

	m.disconnect()
	if !hasLabelContaining(m.page, "Not connected to a Mailwright server") {
		t.Error("after disconnecting the Welcome page still shows a connection")
	}
}

func TestConnectingToAMissingNodeShowsWelcome(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefLastNode, "settings/nothing/here")
	m := newMainWindow(a)
	defer m.window.Close()
	m.connected(&admin.Session{Server: "127.0.0.1:8425"})
	if m.current != "welcome" {
		t.Errorf("a vanished last node selects %q, want welcome", m.current)
	}
}

// startAdminServer starts a real administration server on 127.0.0.1:0 over
// a fresh SQLite store for one test, and returns a session logged in as its
// administrator.
func startAdminServer(t *testing.T) *admin.Session {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, store.Options{
		Type:        "sqlite",
		DSN:         "file:" + filepath.Join(dir, "mw.db") + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate",
		DataDir:     filepath.Join(dir, "data"),
		Connections: 4,
	})
	if err != nil {
		cancel()
		t.Fatalf("opening the store: %v", err)
	}
	const secret = "app-secret-1"
	hash, err := password.Hash(secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer(rpc.Options{Store: st, AdministratorPassword: func() string { return hash }})
	cert, _, err := rpc.LoadOrCreateCertificate(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	addr, done, err := srv.ListenAndServe(ctx, "127.0.0.1:0", cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	dialCtx, dialCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer dialCancel()
	client, err := rpc.Dial(dialCtx, addr.String(), rpc.DialOptions{
		KnownServersFile: filepath.Join(dir, "known_servers"), TrustOnFirstUse: true})
	if err != nil {
		t.Fatalf("dialling the server: %v", err)
	}
	if err := client.Login(dialCtx, "", secret); err != nil {
		t.Fatalf("logging in: %v", err)
	}
	return &admin.Session{Client: client, Server: addr.String()}
}

func hasLabel(o fyne.CanvasObject, text string) bool {
	for _, o := range test.LaidOutObjects(o) {
		if l, ok := o.(*widget.Label); ok && l.Text == text {
			return true
		}
	}
	return false
}

func hasLabelContaining(o fyne.CanvasObject, text string) bool {
	for _, o := range test.LaidOutObjects(o) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}

// editedPage is a page holding unsaved changes.
type editedPage struct {
	*widget.Label
	changed bool
}

func (p *editedPage) HasUnsavedChanges() bool { return p.changed }

func TestLeavingAPageWithUnsavedChangesAsks(t *testing.T) {
	const id = "settings/protocols/imap/publicfolders"
	page := &editedPage{Label: widget.NewLabel("Edited page"), changed: true}
	old, had := admin.Pages[id]
	admin.Pages[id] = func(*admin.Session, fyne.Window, string) fyne.CanvasObject { return page }
	t.Cleanup(func() {
		if had {
			admin.Pages[id] = old
		} else {
			delete(admin.Pages, id)
		}
	})

	a := test.NewTempApp(t)
	a.Preferences().SetString(prefLastNode, id)
	m := newMainWindow(a)
	defer m.window.Close()
	m.connected(&admin.Session{Server: "127.0.0.1:8425"})
	if m.current != id || m.shown != fyne.CanvasObject(page) {
		t.Fatalf("the edited page is not shown: %q", m.current)
	}

	m.tree.Select("utilities/mxquery")
	tapDialog(t, m, "Discard unsaved changes?", "No")
	if m.current != id || m.shown != fyne.CanvasObject(page) {
		t.Fatalf("after No the window shows %q", m.current)
	}
	// The tree selects the edited page again: choosing the other node
	// once more asks again (the tree fires only on a change of selection).
	m.tree.Select("utilities/mxquery")
	tapDialog(t, m, "Discard unsaved changes?", "No")

	m.tree.Select("welcome")
	tapDialog(t, m, "Discard unsaved changes?", "Yes")
	if m.current != "welcome" || m.shown == fyne.CanvasObject(page) {
		t.Fatalf("after Yes the window shows %q", m.current)
	}

	page.changed = false
	m.tree.Select(id)
	m.tree.Select("utilities")
	if m.current != "utilities" {
		t.Fatalf("leaving a page without changes went to %q", m.current)
	}
}

// tapDialog checks the window's top dialog says question and taps button.
func tapDialog(t *testing.T, m *mainWindow, question, button string) {
	t.Helper()
	top := m.window.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog asks %q", question)
	}
	if !hasLabelContaining(top, question) {
		t.Fatalf("the dialog does not ask %q", question)
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == button {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("the dialog has no %q button", button)
}
