package app

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestWaitForServerReturnsOnceTheAddressAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := waitForServer(l.Addr().String(), make(chan struct{}), 5*time.Second); err != nil {
		t.Errorf("waiting for a listening address: %v", err)
	}
}

func TestWaitForServerGivesUpWhenTheProcessEnds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	done := make(chan struct{})
	close(done)
	err = waitForServer(addr, done, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "ended before it answered") {
		t.Errorf("waiting for a server whose process ended gives %v", err)
	}
}

func TestNewServerLocationsAreWritableForAUser(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("the system's locations are offered to administrators")
	}
	configPath, base := defaultLocations()
	dir, _ := os.UserConfigDir()
	if !strings.HasPrefix(configPath, dir) || !strings.HasPrefix(base, dir) {
		t.Errorf("a user is offered %s and %s, want places below %s", configPath, base, dir)
	}
}

func TestServerExecutableIsFoundOnPath(t *testing.T) {
	dir := t.TempDir()
	name := "mailwrightd"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	path, ok := findServerExecutable()
	if !ok || filepath.Dir(path) != dir {
		t.Errorf("found %q, %v; want the one in %s", path, ok, dir)
	}
}

func TestLastLinesKeepsTheEnd(t *testing.T) {
	if got := lastLines("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("lastLines = %q", got)
	}
}

// fakeDaemon is a shell script standing in for mailwrightd: "setup" records
// its arguments and standard input and writes the configuration file,
// "run" listens on the port in $FAKE_PORT.
const fakeDaemon = `#!/bin/sh
case "$1" in
setup)
	echo "$@" > "$FAKE_LOG"
	cat >> "$FAKE_LOG"
	mkdir -p "$(dirname "$3")" && touch "$3"
	;;
run)
	echo "$@" >> "$FAKE_LOG"
	exec python3 -c 'import os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["FAKE_PORT"]))); s.listen(5); time.sleep(60)'
	;;
esac
`

func TestBundledServerIsSetUpWithTheTypedPasswordAndStarted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake mailwrightd is a shell script")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is needed for the fake mailwrightd")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mailwrightd"), []byte(fakeDaemon), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(address)
	t.Setenv("FAKE_PORT", port)
	logFile := filepath.Join(dir, "calls")
	t.Setenv("FAKE_LOG", logFile)
	configPath := filepath.Join(dir, "etc", "mailwright.ini")

	a := test.NewTempApp(t)
	m := newMainWindow(a)
	m.window.Resize(fyne.NewSize(900, 700))
	defer m.window.Close()
	defer m.stopServer()
	m.newConnectDialog()
	retried := make(chan struct{}, 1)
	m.offerBundledServer(address, func() { retried <- struct{}{} })

	form := m.window.Canvas().Overlays().Top()
	entries := entriesIn(form)
	if len(entries) != 1 {
		t.Fatalf("the start dialog has %d entries, want the configuration file", len(entries))
	}
	entries[0].SetText(configPath)
	test.Tap(buttonIn(t, form, "Start"))

	form = m.window.Canvas().Overlays().Top()
	entries = entriesIn(form)
	if len(entries) != 3 {
		t.Fatalf("the setup dialog has %d entries, want data directory and the password twice", len(entries))
	}
	entries[0].SetText(filepath.Join(dir, "base"))
	entries[1].SetText("typed-password-1")
	entries[2].SetText("typed-password-1")
	test.Tap(buttonIn(t, form, "Set up and start"))

	select {
	case <-retried:
	case <-time.After(30 * time.Second):
		calls, _ := os.ReadFile(logFile)
		top := m.window.Canvas().Overlays().Top()
		var texts []string
		for _, o := range test.LaidOutObjects(top) {
			if l, ok := o.(*widget.Label); ok {
				texts = append(texts, l.Text)
			}
		}
		t.Fatalf("the Administrator did not connect again after starting the server; calls %q; dialog %q", calls, texts)
	}
	calls, _ := os.ReadFile(logFile)
	want := "setup --config " + configPath + " --base " + filepath.Join(dir, "base") + " --admin-password-stdin\ntyped-password-1\nrun --config " + configPath + "\n"
	if string(calls) != want {
		t.Errorf("mailwrightd was called as\n%s\nwant\n%s", calls, want)
	}
	if m.connect.Password() != "typed-password-1" {
		t.Error("the connect dialog does not log in with the password typed for the new server")
	}
}

func entriesIn(o fyne.CanvasObject) []*widget.Entry {
	var entries []*widget.Entry
	for _, obj := range test.LaidOutObjects(o) {
		if e, ok := obj.(*widget.Entry); ok {
			entries = append(entries, e)
		}
	}
	return entries
}

func buttonIn(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text {
			if b.Disabled() {
				t.Fatalf("the button %q is disabled", text)
			}
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}
