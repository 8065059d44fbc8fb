package admin

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// waitFor waits for a signal on c.
func waitFor(t *testing.T, what string, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting until %s", what)
	}
}

func TestStatusPageShowsTheServerAndRefreshes(t *testing.T) {
	srv := startShellServer(t)
	s := srv.login(t)
	test.NewTempApp(t)
	shown := make(chan struct{}, 10)
	var p *StatusPage
	onUI(func() {
		p = newStatusPage(s, nil, func() { shown <- struct{}{} })
		w := test.NewTempWindow(t, p)
		p.window = w
		w.Resize(fyne.NewSize(900, 700))
	})
	defer p.Stop()

	waitFor(t, "the status is shown", shown)
	var problem, database, queue string
	onUI(func() { problem, database, queue = p.problem.Text, p.database.Text, p.queue.Text })
	if problem != "" {
		t.Fatalf("the page says %q", problem)
	}
	if !strings.Contains(database, "sqlite") || queue != "0 messages" {
		t.Errorf("database %q, queue %q; want sqlite and 0 messages", database, queue)
	}

	srv.enqueue(t, "a@example.com", "Subject: x\r\n\r\nbody\r\n", "b@example.org")
	onUI(func() { test.Tap(buttonIn(p.content, "Refresh")) })
	waitFor(t, "the status is shown again", shown)
	onUI(func() { queue = p.queue.Text })
	if queue != "1 messages" {
		t.Errorf("after Refresh the queue shows %q, want 1 messages", queue)
	}
}

func TestLogPageShowsLiveLinesAndPausesFiltersAndCopies(t *testing.T) {
	srv := startShellServer(t)
	s := srv.login(t)
	a := test.NewTempApp(t)
	var p *LogPage
	onUI(func() {
		p = NewLogPage(s, nil)
		w := test.NewTempWindow(t, p)
		p.window = w
		w.Resize(fyne.NewSize(900, 700))
	})
	defer p.Stop()

	// The stream may not be subscribed yet: log until a line arrives.
	n := 0
	eventually(t, "a live log line arrives", func() bool {
		n++
		srv.Log.Info("watch this line arrive", "n", n)
		return linesContain(p.Lines(), "watch this line arrive")
	})

	onUI(func() { p.pause.SetChecked(true) })
	srv.Log.Info("logged while paused")
	eventually(t, "the paused page receives the new line", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.pending > 0 && linesContain(p.lines, "logged while paused")
	})
	if linesContain(p.Lines(), "logged while paused") {
		t.Error("a line logged while paused is shown")
	}
	onUI(func() { p.pause.SetChecked(false) })
	if !linesContain(p.Lines(), "logged while paused") {
		t.Error("the line logged while paused is not shown after resuming")
	}

	onUI(func() { p.filter.SetText("PAUSED") })
	lines := p.Lines()
	if len(lines) == 0 {
		t.Fatal("the filter hides the matching line")
	}
	for _, l := range lines {
		if !strings.Contains(strings.ToLower(l), "paused") {
			t.Errorf("the filter shows %q", l)
		}
	}

	onUI(func() { test.Tap(buttonIn(p.content, "Copy")) })
	if got := a.Clipboard().Content(); got != strings.Join(lines, "\n") {
		t.Errorf("the clipboard holds %q, want the %d shown lines", got, len(lines))
	}
}

func linesContain(lines []string, text string) bool {
	for _, l := range lines {
		if strings.Contains(l, text) {
			return true
		}
	}
	return false
}
