package admin

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/mailwright/mailwright/rpc"
	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// connectFixture is a connect dialog in a test window whose only saved
// server is addr.
type connectFixture struct {
	window  fyne.Window
	dialog  *ConnectDialog
	mu      sync.Mutex
	session *Session
	down    string     // the address OnLocalServerDown was called with
	done    chan error // receives the outcome of every connection attempt
}

func newConnectFixture(t *testing.T, addr, knownServers string) *connectFixture {
	t.Helper()
	a := test.NewTempApp(t)
	SaveServers(a.Preferences(), []SavedServer{{Name: "test server", Address: addr}})
	f := &connectFixture{window: test.NewTempWindow(t, NotConnected("Welcome"))}
	f.window.Resize(fyne.NewSize(900, 700))
	f.dialog = NewConnectDialog(f.window, a.Preferences(), ConnectOptions{
		KnownServersFile: knownServers,
		OnConnected: func(s *Session) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.session = s
		},
		OnLocalServerDown: func(address string, _ func()) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.down = address
		},
	})
	f.done = make(chan error, 10)
	f.dialog.attempted = func(err error) { f.done <- err }
	onUI(f.dialog.Show)
	return f
}

func (f *connectFixture) connected() *Session {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.session
}

// typePasswordAndPressEnter logs in the way a user does.
func (f *connectFixture) typePasswordAndPressEnter(password string) {
	onUI(func() {
		f.dialog.password.SetText("")
		test.Type(f.dialog.password, password)
		f.dialog.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
}

// attempt waits for the outcome of a connection attempt.
func (f *connectFixture) attempt(t *testing.T) error {
	t.Helper()
	select {
	case err := <-f.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the connection attempt did not end")
		return nil
	}
}

// message is what the dialog says, read after an attempt ended.
func (f *connectFixture) message() string {
	var text string
	onUI(func() { text = f.dialog.message.Text })
	return text
}

func TestConnectAsksToTrustTheFingerprintOnFirstUse(t *testing.T) {
	srv := startShellServer(t)
	f := newConnectFixture(t, srv.Addr, srv.KnownServers)

	f.typePasswordAndPressEnter(shellAdminPassword)
	answerDialog(t, f.window, "Trust", srv.Fingerprint)
	if err := f.attempt(t); err != nil {
		t.Fatalf("connecting: %v", err)
	}
	s := f.connected()
	if s.Server != srv.Addr || s.UserName() != "Administrator" {
		t.Errorf("session is %s as %s, want %s as Administrator", s.Server, s.UserName(), srv.Addr)
	}
	if _, err := s.Client.Queue.ListQueue(context.Background(), connect.NewRequest(&adminv1.ListQueueRequest{})); err != nil {
		t.Errorf("the session cannot call the server: %v", err)
	}
	known, err := os.ReadFile(srv.KnownServers)
	if err != nil || !strings.Contains(string(known), srv.Addr+" "+srv.Fingerprint) {
		t.Errorf("known servers file = %q (%v), want it to record %s", known, err, srv.Fingerprint)
	}
}

func TestConnectNotTrustingTheFingerprintDoesNotConnect(t *testing.T) {
	srv := startShellServer(t)
	f := newConnectFixture(t, srv.Addr, srv.KnownServers)

	f.typePasswordAndPressEnter(shellAdminPassword)
	answerDialog(t, f.window, "Do not trust", srv.Fingerprint)
	f.attempt(t)
	if !strings.Contains(f.message(), "not trusted") {
		t.Errorf("the dialog says %q, want that the certificate was not trusted", f.message())
	}
	if f.connected() != nil {
		t.Error("connected to a server whose certificate the user did not trust")
	}
}

func TestConnectWithAWrongPasswordShowsTheServersMessage(t *testing.T) {
	srv := startShellServer(t)
	srv.login(t) // records the certificate

	// What the server answers a wrong password, asked directly.
	c, err := rpc.Dial(context.Background(), srv.Addr, rpc.DialOptions{KnownServersFile: srv.KnownServers})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	loginErr := c.Login(context.Background(), "", "not-the-password")
	if loginErr == nil {
		t.Fatal("the server accepted a wrong password")
	}

	f := newConnectFixture(t, srv.Addr, srv.KnownServers)
	f.typePasswordAndPressEnter("not-the-password")
	want := "The server refused the login: " + serverMessage(loginErr)
	f.attempt(t)
	if f.message() != want {
		t.Errorf("the dialog says %q, want %q", f.message(), want)
	}
	if f.connected() != nil {
		t.Error("connected with a wrong password")
	}
}

func TestConnectToAServerThatIsDownSaysSo(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	f := newConnectFixture(t, addr, t.TempDir()+"/known_servers")
	f.typePasswordAndPressEnter("whatever")
	f.attempt(t)
	if !strings.Contains(f.message(), "No Mailwright server answers at "+addr) {
		t.Errorf("the dialog says %q, want that nothing answers", f.message())
	}
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down != addr {
		t.Errorf("OnLocalServerDown was called with %q, want %q so the shell can offer the bundled server", down, addr)
	}
}

func TestConnectToAChangedCertificateAcceptsOnlyAfterConfirmation(t *testing.T) {
	srv := startShellServer(t)
	const oldFingerprint = "SHA256:0000000000000000000000000000000000000000000"
	if err := os.WriteFile(srv.KnownServers, []byte(srv.Addr+" "+oldFingerprint+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newConnectFixture(t, srv.Addr, srv.KnownServers)
	f.typePasswordAndPressEnter(shellAdminPassword)
	f.attempt(t)
	if m := f.message(); !strings.Contains(m, "has changed") || !strings.Contains(m, oldFingerprint) || !strings.Contains(m, srv.Fingerprint) {
		t.Errorf("the dialog says %q, want both fingerprints", m)
	}
	if f.connected() != nil {
		t.Fatal("connected despite the changed certificate")
	}

	onUI(func() { test.Tap(f.dialog.acceptBtn) })
	answerDialog(t, f.window, "Accept the new certificate", oldFingerprint, srv.Fingerprint)
	if err := f.attempt(t); err != nil || f.connected() == nil {
		t.Fatalf("connecting after accepting the certificate: %v", err)
	}
	known, _ := os.ReadFile(srv.KnownServers)
	if !strings.Contains(string(known), srv.Fingerprint) {
		t.Errorf("known servers file = %q, want the new fingerprint", known)
	}
}

func TestServerListStartsWithLocalhostAndIsSaved(t *testing.T) {
	a := test.NewTempApp(t)
	servers := LoadServers(a.Preferences())
	if len(servers) != 1 || servers[0].Address != LocalServer {
		t.Fatalf("first start list = %+v, want only %s", servers, LocalServer)
	}
	servers = append(servers, SavedServer{Name: "office", Address: "mail.example.com:8425", User: "admin@example.com"})
	SaveServers(a.Preferences(), servers)
	if got := LoadServers(a.Preferences()); len(got) != 2 || got[1].Title() != "office (mail.example.com:8425)" {
		t.Errorf("saved list reads back as %+v", got)
	}
	if !IsLocalAddress("localhost:8425") || !IsLocalAddress(LocalServer) || IsLocalAddress("mail.example.com:8425") {
		t.Error("IsLocalAddress does not tell this computer from others")
	}
}

func TestEscapeClosesTheConnectDialog(t *testing.T) {
	f := newConnectFixture(t, LocalServer, t.TempDir()+"/known_servers")
	if topDialog(f.window) == nil {
		t.Fatal("the dialog is not shown")
	}
	f.dialog.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if topDialog(f.window) != nil {
		t.Error("Escape did not close the dialog")
	}
}
