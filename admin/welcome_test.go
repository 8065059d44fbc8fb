package admin

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// labels renders page in a test window and returns the text of every label
// in the laid-out object tree.
func labels(t *testing.T, page fyne.CanvasObject) []string {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, page)
	w.Resize(fyne.NewSize(800, 600))
	if img := w.Canvas().Capture(); img == nil || img.Bounds().Empty() {
		t.Fatal("the page did not render")
	}
	var texts []string
	for _, o := range test.LaidOutObjects(w.Content()) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	}
	return texts
}

// requireLabel fails unless some label contains every one of parts.
func requireLabel(t *testing.T, texts []string, parts ...string) {
	t.Helper()
	for _, text := range texts {
		found := true
		for _, p := range parts {
			found = found && strings.Contains(text, p)
		}
		if found {
			return
		}
	}
	t.Errorf("no label contains %q; labels: %q", parts, texts)
}

func TestWelcomeSaysWhatIsConnected(t *testing.T) {
	texts := labels(t, Welcome("9.8.7", nil))
	requireLabel(t, texts, "Welcome to Mailwright Administrator")
	requireLabel(t, texts, "Version 9.8.7")
	requireLabel(t, texts, "Not connected to a Mailwright server", "Connect…")

	texts = labels(t, Welcome("9.8.7", &Session{Server: "127.0.0.1:8425", User: "admin@example.com"}))
	requireLabel(t, texts, "Connected to the Mailwright server at 127.0.0.1:8425 as admin@example.com")
}

func TestNotConnectedNamesThePageAndTheReason(t *testing.T) {
	texts := labels(t, NotConnected("Domains"))
	requireLabel(t, texts, "Domains")
	requireLabel(t, texts, "Not connected to a Mailwright server.")
}

func TestSettingsPlaceholderSaysItIsNotBuilt(t *testing.T) {
	texts := labels(t, NotBuilt("Auto-ban"))
	requireLabel(t, texts, "Auto-ban")
	requireLabel(t, texts, "This page is not built yet")
}
