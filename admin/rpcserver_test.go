package admin

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/rpc"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
	"github.com/mailwright/mailwright/store/password"
)

// shellAdminPassword is the administrator password of every server
// startShellServer starts.
const shellAdminPassword = "shell-secret-1"

// shellServer is a real administration server on 127.0.0.1:0 over a fresh
// SQLite store, for the connect dialog, status and queue tests.
type shellServer struct {
	Store       *store.Store
	Addr        string
	Fingerprint string
	Log         *slog.Logger // writes to the server's live log
	// KnownServers is a known-servers file the test's clients may use; it
	// starts empty.
	KnownServers string
}

func startShellServer(t *testing.T) *shellServer {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, store.Options{
		Type: "sqlite",
		DSN: "file:" + filepath.Join(dir, "mw.db") +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate",
		DataDir:     filepath.Join(dir, "data"),
		Connections: 8,
	})
	if err != nil {
		cancel()
		t.Fatalf("opening the store: %v", err)
	}
	hash, err := password.Hash(shellAdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	hub := rpc.NewLogHub(1000)
	log := slog.New(hub)
	srv := rpc.NewServer(rpc.Options{Store: st, AdministratorPassword: func() string { return hash }, Log: log, LogHub: hub})
	cert, fingerprint, err := rpc.LoadOrCreateCertificate(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	addr, done, err := srv.ListenAndServe(ctx, "127.0.0.1:0", cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the server ended with: %v", err)
		}
		st.Close()
	})
	return &shellServer{Store: st, Addr: addr.String(), Fingerprint: fingerprint, Log: log,
		KnownServers: filepath.Join(dir, "known_servers")}
}

// login returns a session logged in as the administrator.
func (s *shellServer) login(t *testing.T) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, s.Addr, rpc.DialOptions{KnownServersFile: s.KnownServers, TrustOnFirstUse: true})
	if err != nil {
		t.Fatalf("dialling the server: %v", err)
	}
	t.Cleanup(c.Close)
	if err := c.Login(ctx, "", shellAdminPassword); err != nil {
		t.Fatalf("logging in: %v", err)
	}
	return &Session{Client: c, Server: s.Addr}
}

// enqueue queues a message with the given bytes for the recipients.
func (s *shellServer) enqueue(t *testing.T, from, message string, to ...string) store.QueuedMessage {
	t.Helper()
	rel, err := messagefile.QueuePath(messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	size, err := s.Store.Files().Write(rel, strings.NewReader(message))
	if err != nil {
		t.Fatal(err)
	}
	var rcpts []store.QueuedRecipient
	for _, a := range to {
		rcpts = append(rcpts, store.QueuedRecipient{Address: a, OriginalAddress: a})
	}
	m, err := s.Store.Enqueue(context.Background(), store.QueuedMessage{
		Path: rel, Size: size, From: from, Recipients: rcpts, NextTryAt: 4_000_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// uiMu stands for the UI goroutine the test driver does not have: the
// pages' runOnUI and the tests' onUI hold it, so a page's RPC goroutine and
// the test never touch widgets at the same time.
var uiMu sync.Mutex

func init() {
	runOnUI = onUI
}

// onUI runs f as if on the UI goroutine.
func onUI(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

// eventually fails the test unless cond becomes true within 15 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var ok bool
		onUI(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// topDialog returns the topmost overlay of w (an open dialog), or nil.
func topDialog(w fyne.Window) fyne.CanvasObject {
	return w.Canvas().Overlays().Top()
}

// buttonIn returns the button with the given text in o, or nil.
func buttonIn(o fyne.CanvasObject, text string) *widget.Button {
	if o == nil {
		return nil
	}
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	return nil
}

// hasText reports whether a label in o contains every one of parts.
func hasText(o fyne.CanvasObject, parts ...string) bool {
	if o == nil {
		return false
	}
	for _, obj := range test.LaidOutObjects(o) {
		l, ok := obj.(*widget.Label)
		if !ok {
			continue
		}
		found := true
		for _, p := range parts {
			found = found && strings.Contains(l.Text, p)
		}
		if found {
			return true
		}
	}
	return false
}

// answerDialog waits for a dialog whose labels contain every one of parts
// and taps its button.
func answerDialog(t *testing.T, w fyne.Window, button string, parts ...string) {
	t.Helper()
	var b *widget.Button
	eventually(t, "a dialog saying "+strings.Join(parts, " … ")+" offers "+button, func() bool {
		top := topDialog(w)
		if !hasText(top, parts...) {
			return false
		}
		b = buttonIn(top, button)
		return b != nil
	})
	onUI(func() { test.Tap(b) })
}
