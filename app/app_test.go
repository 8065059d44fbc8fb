package app

import (
	"os"
	"regexp"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
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
	w := newMainWindow(a)
	defer w.Close()
	if got := w.Canvas().Size(); got != want {
		t.Fatalf("window opened at %v, want the saved %v", got, want)
	}
}

func TestTreeShowsEveryNodesPage(t *testing.T) {
	a := test.NewTempApp(t)
	w := newMainWindow(a)
	defer w.Close()

	split, ok := w.Content().(*container.Split)
	if !ok {
		t.Fatalf("main window content is %T, want the navigation split", w.Content())
	}
	tree, ok := split.Leading.(*widget.Tree)
	if !ok {
		t.Fatalf("left of the split is %T, want the navigation tree", split.Leading)
	}
	page := split.Trailing
	if !hasLabel(page, "Welcome to Mailwright Administrator") {
		t.Error("the Welcome page is not shown at start")
	}
	for _, n := range nodes[1:] {
		tree.Select(n.id)
		if !hasLabel(page, n.title) || hasLabel(page, "Welcome to Mailwright Administrator") {
			t.Errorf("selecting %s does not show its page", n.id)
		}
	}
	tree.Select("welcome")
	if !hasLabel(page, "Welcome to Mailwright Administrator") {
		t.Error("selecting welcome does not show the Welcome page")
	}
}

func hasLabel(o fyne.CanvasObject, text string) bool {
	for _, o := range test.LaidOutObjects(o) {
		if l, ok := o.(*widget.Label); ok && l.Text == text {
			return true
		}
	}
	return false
}
