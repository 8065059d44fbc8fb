package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/mailwright/mailwright/server/config"
)

// serverStartTimeout is how long the launcher waits for a started
// mailwrightd to answer.
const serverStartTimeout = 30 * time.Second

// bundledServer is a mailwrightd the Administrator started as its child.
type bundledServer struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process ended
	log  *bytes.Buffer // its standard error, for the message when it fails
}

// findServerExecutable looks for mailwrightd next to the Administrator's
// executable, then on PATH.
func findServerExecutable() (string, bool) {
	name := "mailwrightd"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		path := filepath.Join(filepath.Dir(self), name)
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return path, true
		}
	}
	path, err := exec.LookPath(name)
	return path, err == nil
}

// defaultLocations are the configuration file and base directory offered
// for a new server: the system's when the user may write there, else
// below the user's configuration directory.
func defaultLocations() (configPath, base string) {
	configPath = config.DefaultPath()
	base = filepath.Dir(configPath)
	if runtime.GOOS != "windows" {
		base = "/var/lib/mailwright"
	}
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		return configPath, base
	}
	if _, err := os.Stat(configPath); err == nil {
		return configPath, base
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return configPath, base
	}
	return filepath.Join(dir, "mailwright", "mailwright.ini"), filepath.Join(dir, "mailwright")
}

// offerBundledServer is called when nothing answers at a local address: it
// offers to start the bundled mailwrightd, setting it up first when its
// configuration file is missing, and connects once it answers.
func (m *mainWindow) offerBundledServer(address string, retry func()) {
	path, ok := findServerExecutable()
	if !ok {
		return
	}
	configPath, base := defaultLocations()
	configEntry := widget.NewEntry()
	configEntry.SetText(configPath)
	text := widget.NewLabel("No Mailwright server runs on this computer. Start the bundled server " + path + "?")
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewForm("Start the Mailwright server", "Start", "Cancel", []*widget.FormItem{
		widget.NewFormItem("", text),
		widget.NewFormItem("Configuration file", configEntry),
	}, func(ok bool) {
		if !ok {
			return
		}
		if _, err := os.Stat(configEntry.Text); errors.Is(err, fs.ErrNotExist) {
			m.askSetup(path, configEntry.Text, base, address, retry)
			return
		}
		m.startServer(path, configEntry.Text, address, retry)
	}, m.window)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// askSetup asks for the data directory and the administrator password of
// a new server, runs "mailwrightd setup" and starts it.
func (m *mainWindow) askSetup(path, configPath, base, address string, retry func()) {
	baseEntry := widget.NewEntry()
	baseEntry.SetText(base)
	password := widget.NewPasswordEntry()
	repeat := widget.NewPasswordEntry()
	password.Validator = func(s string) error {
		if len(s) < 8 {
			return errors.New("at least 8 characters")
		}
		return nil
	}
	repeat.Validator = func(s string) error {
		if s != password.Text {
			return errors.New("the passwords differ")
		}
		return nil
	}
	text := widget.NewLabel(configPath + " does not exist yet. Mailwright creates it, its data directory and " +
		"its database; the administrator password is what you log in with.")
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewForm("Set up the Mailwright server", "Set up and start", "Cancel", []*widget.FormItem{
		widget.NewFormItem("", text),
		widget.NewFormItem("Data directory", baseEntry),
		widget.NewFormItem("Administrator password", password),
		widget.NewFormItem("Repeat the password", repeat),
	}, func(ok bool) {
		if !ok {
			return
		}
		pw := password.Text
		go func() {
			cmd := exec.Command(path, "setup", "--config", configPath, "--base", baseEntry.Text, "--admin-password-stdin")
			cmd.Stdin = strings.NewReader(pw + "\n")
			out, err := cmd.CombinedOutput()
			fyne.Do(func() {
				if err != nil {
					dialog.ShowError(fmt.Errorf("mailwrightd setup failed: %v\n%s", err, strings.TrimSpace(string(out))), m.window)
					return
				}
				if m.connect != nil {
					m.connect.SetCredentials("", pw)
				}
				m.startServer(path, configPath, address, retry)
			})
		}()
	}, m.window)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// startServer starts "mailwrightd run" as a child process, waits until
// address answers and calls retry.
func (m *mainWindow) startServer(path, configPath, address string, retry func()) {
	cmd := exec.Command(path, "run", "--config", configPath)
	var log bytes.Buffer
	cmd.Stdout = &log
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		dialog.ShowError(fmt.Errorf("cannot start %s: %w", path, err), m.window)
		return
	}
	srv := &bundledServer{cmd: cmd, done: make(chan struct{}), log: &log}
	m.server = srv
	go func() {
		_ = cmd.Wait()
		close(srv.done)
	}()
	progress := dialog.NewCustomWithoutButtons("Starting the Mailwright server",
		widget.NewProgressBarInfinite(), m.window)
	progress.Show()
	go func() {
		err := waitForServer(address, srv.done, serverStartTimeout)
		fyne.Do(func() {
			progress.Hide()
			if err != nil {
				dialog.ShowError(fmt.Errorf("%w\n%s", err, lastLines(log.String(), 15)), m.window)
				return
			}
			retry()
		})
	}()
}

// waitForServer waits until something accepts connections at address,
// the process ends (done closes) or timeout passes.
func waitForServer(address string, done <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", address, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-done:
			return errors.New("mailwrightd ended before it answered")
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("mailwrightd did not answer at %s within %s", address, timeout)
}

// stopServer ends the child server, if the Administrator started one.
func (m *mainWindow) stopServer() {
	srv := m.server
	if srv == nil || srv.cmd.Process == nil {
		return
	}
	if runtime.GOOS == "windows" {
		_ = srv.cmd.Process.Kill()
	} else {
		_ = srv.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-srv.done:
	case <-time.After(10 * time.Second):
		_ = srv.cmd.Process.Kill()
	}
}

// lastLines returns the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
