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

func TestWelcomeSaysItCannotConnect(t *testing.T) {
	texts := labels(t, Welcome("9.8.7"))
	requireLabel(t, texts, "Welcome to Mailwright Administrator")
	requireLabel(t, texts, "Version 9.8.7")
	requireLabel(t, texts, "administration RPC is not built yet", "cannot connect to a Mailwright server")
}

func TestNotConnectedNamesThePageAndTheReason(t *testing.T) {
	texts := labels(t, NotConnected("Domains"))
	requireLabel(t, texts, "Domains")
	requireLabel(t, texts, "Not connected to a server.", "administration RPC is not built yet")
}
