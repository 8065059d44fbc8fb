package admin

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["status/server"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject { return NewStatusPage(s, w) }
	Pages["status/logging"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject { return NewLogPage(s, w) }
}

// StatusRefreshInterval is how often the Status page asks the server again.
const StatusRefreshInterval = 5 * time.Second

// StatusPage shows the server's state (hMailServer's Status → Server and
// Status counters) and refreshes itself every StatusRefreshInterval until
// Stop.
type StatusPage struct {
	widget.BaseWidget
	session *Session
	window  fyne.Window

	state, started, database, queue *widget.Label
	counters, sessions, warnings    *widget.Label
	lastUpdate, problem             *widget.Label
	startBtn, stopBtn               *widget.Button
	content                         fyne.CanvasObject

	stop     context.CancelFunc
	refreshc chan struct{}
	// shown, when set, is called after each status has been shown; tests
	// wait on it.
	shown func()
}

// NewStatusPage builds the page and starts refreshing it.
func NewStatusPage(s *Session, w fyne.Window) *StatusPage {
	return newStatusPage(s, w, nil)
}

func newStatusPage(s *Session, w fyne.Window, shown func()) *StatusPage {
	p := &StatusPage{session: s, window: w, refreshc: make(chan struct{}, 1), shown: shown}
	p.ExtendBaseWidget(p)
	value := func() *widget.Label {
		l := widget.NewLabel("…")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	p.state, p.started, p.database, p.queue = value(), value(), value(), value()
	p.counters, p.sessions, p.warnings = value(), value(), value()
	p.lastUpdate = widget.NewLabel("")
	p.lastUpdate.Importance = widget.LowImportance
	p.problem = widget.NewLabel("")
	p.problem.Importance = widget.DangerImportance
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Hide()

	p.startBtn = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), func() { p.startStop(true) })
	p.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), p.confirmStop)
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), p.Refresh)

	form := widget.NewForm(
		widget.NewFormItem("Server", p.state),
		widget.NewFormItem("Started", p.started),
		widget.NewFormItem("Database", p.database),
		widget.NewFormItem("Delivery queue", p.queue),
		widget.NewFormItem("Open sessions", p.sessions),
		widget.NewFormItem("Counters", p.counters),
		widget.NewFormItem("Warnings", p.warnings),
	)
	p.content = container.NewBorder(
		container.NewVBox(pageHeading("Status"),
			widget.NewLabel("The server "+s.Server+", as "+s.UserName()+"."),
			container.NewHBox(p.startBtn, p.stopBtn, refresh, p.lastUpdate), widget.NewSeparator()),
		nil, nil, nil,
		container.NewVScroll(container.NewVBox(p.problem, form)))

	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go p.loop(ctx)
	return p
}

// CreateRenderer shows the page's content.
func (p *StatusPage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

// Refresh asks the server for the status now.
func (p *StatusPage) Refresh() {
	select {
	case p.refreshc <- struct{}{}:
	default:
	}
	p.BaseWidget.Refresh()
}

// Stop ends the refreshing.
func (p *StatusPage) Stop() { p.stop() }

// loop fetches the status at once, then every StatusRefreshInterval and on
// Refresh, until ctx ends.
func (p *StatusPage) loop(ctx context.Context) {
	ticker := time.NewTicker(StatusRefreshInterval)
	defer ticker.Stop()
	for {
		p.fetch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-p.refreshc:
		}
	}
}

func (p *StatusPage) fetch(ctx context.Context) {
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := p.session.Client.Status.GetStatus(callCtx, connect.NewRequest(&adminv1.GetStatusRequest{}))
	if ctx.Err() != nil {
		return
	}
	runOnUI(func() {
		if err != nil {
			showProblem(p.problem, "Cannot read the status: "+serverMessage(err))
		} else {
			showProblem(p.problem, "")
			p.show(resp.Msg)
		}
		if p.shown != nil {
			p.shown()
		}
	})
}

// show fills the page from st.
func (p *StatusPage) show(st *adminv1.Status) {
	if st.GetRunning() {
		p.state.SetText("Running — Mailwright " + st.GetVersion())
		p.startBtn.Disable()
		p.stopBtn.Enable()
	} else {
		p.state.SetText("Stopped (listeners and delivery are down) — Mailwright " + st.GetVersion())
		p.startBtn.Enable()
		p.stopBtn.Disable()
	}
	if st.GetStartedAt() > 0 {
		started := time.Unix(st.GetStartedAt(), 0)
		p.started.SetText(fmt.Sprintf("%s (up %s)", started.Format("2006-01-02 15:04:05"),
			time.Since(started).Truncate(time.Second)))
	} else {
		p.started.SetText("—")
	}
	p.database.SetText(strings.TrimSpace(st.GetDatabaseType() + " " + st.GetDatabaseLocation()))
	p.queue.SetText(fmt.Sprintf("%d messages", st.GetQueueLength()))
	p.sessions.SetText(formatCounts(st.GetSessions()))
	p.counters.SetText(formatCounts(st.GetCounters()))
	if len(st.GetWarnings()) == 0 {
		p.warnings.SetText("None")
	} else {
		p.warnings.SetText(strings.Join(st.GetWarnings(), "\n"))
	}
	p.lastUpdate.SetText("Updated " + time.Now().Format("15:04:05"))
}

// formatCounts lists counts by name, one a line.
func formatCounts(m map[string]int64) string {
	if len(m) == 0 {
		return "—"
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	for i, name := range names {
		lines[i] = fmt.Sprintf("%s: %d", name, m[name])
	}
	return strings.Join(lines, "\n")
}

func (p *StatusPage) confirmStop() {
	dialog.ShowConfirm("Stop the server",
		"Stop the mail server's listeners and delivery? The administration connection stays up.",
		func(ok bool) {
			if ok {
				p.startStop(false)
			}
		}, p.window)
}

// startStop starts or stops the mail server inside the running process,
// behind a progress dialog: stopping waits for the sessions and deliveries
// under way to end.
func (p *StatusPage) startStop(start bool) {
	p.startBtn.Disable()
	p.stopBtn.Disable()
	title := "Stopping the mail server…"
	if start {
		title = "Starting the mail server…"
	}
	var resp *connect.Response[adminv1.Status]
	runLong(p.window, title, func(ctx context.Context) error {
		var err error
		if start {
			resp, err = p.session.Client.Status.StartServer(ctx, connect.NewRequest(&adminv1.StartServerRequest{}))
		} else {
			resp, err = p.session.Client.Status.StopServer(ctx, connect.NewRequest(&adminv1.StopServerRequest{}))
		}
		return err
	}, func(err error) {
		if !showLongResult(p.window, err) {
			p.Refresh()
			return
		}
		p.show(resp.Msg)
	})
}

// showProblem shows text in a page's problem label, which takes no room
// while empty.
func showProblem(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// pageHeading is the bold title at the top of a page.
func pageHeading(title string) *widget.Label {
	l := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameHeadingText
	return l
}

// maxLogLines is how many lines the live log keeps.
const maxLogLines = 5000

// LogPage is the live log view (hMailServer's Status → Logging): it follows
// the server's log as it is written, and can pause, filter and copy.
type LogPage struct {
	widget.BaseWidget
	session *Session
	window  fyne.Window

	mu      sync.Mutex
	lines   []string // every line received, oldest first
	shown   []string // the lines passing the filter, as the list shows them
	paused  bool
	frozen  []string // the lines received before the pause
	pending int      // lines received while paused

	filter  *widget.Entry
	pause   *widget.Check
	list    *widget.List
	state   *widget.Label
	content fyne.CanvasObject
	stop    context.CancelFunc
}

// NewLogPage builds the page and starts following the log.
func NewLogPage(s *Session, w fyne.Window) *LogPage {
	p := &LogPage{session: s, window: w}
	p.ExtendBaseWidget(p)
	p.list = widget.NewList(
		func() int {
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.shown)
		},
		func() fyne.CanvasObject {
			return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			p.mu.Lock()
			text := ""
			if i < len(p.shown) {
				text = p.shown[i]
			}
			p.mu.Unlock()
			o.(*widget.Label).SetText(text)
		})
	p.filter = widget.NewEntry()
	p.filter.SetPlaceHolder("Filter: show lines containing…")
	p.filter.OnChanged = func(string) { p.refilter() }
	p.pause = widget.NewCheck("Pause", func(on bool) { p.setPaused(on) })
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), p.copyShown)
	clearBtn := widget.NewButtonWithIcon("Clear", theme.DeleteIcon(), p.clear)
	p.state = widget.NewLabel("Connecting to the log…")
	p.state.Importance = widget.LowImportance

	tools := container.NewBorder(nil, nil, nil, container.NewHBox(p.pause, copyBtn, clearBtn), p.filter)
	p.content = container.NewBorder(
		container.NewVBox(pageHeading("Logging"), tools),
		p.state, nil, nil, p.list)

	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go p.follow(ctx)
	return p
}

// CreateRenderer shows the page's content.
func (p *LogPage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

// Stop ends following the log.
func (p *LogPage) Stop() { p.stop() }

// Lines returns the lines the view shows now.
func (p *LogPage) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.shown...)
}

// follow reads the FollowLog stream until ctx ends, reconnecting after a
// broken stream.
func (p *LogPage) follow(ctx context.Context) {
	backlog := int32(200)
	for ctx.Err() == nil {
		stream, err := p.session.Client.Status.FollowLog(ctx, connect.NewRequest(&adminv1.FollowLogRequest{Backlog: backlog}))
		if err == nil {
			runOnUI(func() { p.setState("Following the server's log.") })
			for stream.Receive() {
				p.add(stream.Msg())
			}
			err = stream.Err()
			stream.Close()
		}
		if ctx.Err() != nil {
			return
		}
		backlog = 0 // the lines before the break are shown already
		msg := "The log stream ended"
		if err != nil {
			msg = "The log stream broke: " + serverMessage(err)
		}
		runOnUI(func() { p.setState(msg + "; reconnecting in 5 seconds.") })
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// add appends a received line and shows it unless paused.
func (p *LogPage) add(line *adminv1.LogLine) {
	text := line.GetText()
	if text == "" {
		text = time.Unix(0, line.GetTimeUnixNano()).Format("2006-01-02 15:04:05.000") + " " +
			line.GetLevel() + " " + line.GetMessage()
	}
	p.mu.Lock()
	p.lines = append(p.lines, text)
	if len(p.lines) > maxLogLines {
		p.lines = append([]string(nil), p.lines[len(p.lines)-maxLogLines:]...)
	}
	paused := p.paused
	if paused {
		p.pending++
	}
	p.mu.Unlock()
	runOnUI(func() {
		if paused {
			p.setState(fmt.Sprintf("Paused: %d new lines not shown.", p.pendingCount()))
			return
		}
		p.refilter()
		p.list.ScrollToBottom()
	})
}

func (p *LogPage) pendingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending
}

// refilter recomputes the shown lines from the filter.
func (p *LogPage) refilter() {
	needle := strings.ToLower(p.filter.Text)
	p.mu.Lock()
	source := p.lines
	if p.paused {
		source = p.frozen
	}
	p.shown = nil
	for _, l := range source {
		if needle == "" || strings.Contains(strings.ToLower(l), needle) {
			p.shown = append(p.shown, l)
		}
	}
	p.mu.Unlock()
	p.list.Refresh()
}

func (p *LogPage) setPaused(on bool) {
	p.mu.Lock()
	p.paused = on
	p.pending = 0
	p.frozen = append([]string(nil), p.lines...)
	p.mu.Unlock()
	if on {
		p.setState("Paused: new lines are kept and shown when you resume.")
		return
	}
	p.setState("Following the server's log.")
	p.refilter()
	p.list.ScrollToBottom()
}

// copyShown puts the shown lines on the clipboard.
func (p *LogPage) copyShown() {
	lines := p.Lines()
	fyne.CurrentApp().Clipboard().SetContent(strings.Join(lines, "\n"))
	p.setState(fmt.Sprintf("Copied %d lines.", len(lines)))
}

func (p *LogPage) clear() {
	p.mu.Lock()
	p.lines, p.shown, p.frozen, p.pending = nil, nil, nil, 0
	p.mu.Unlock()
	p.list.Refresh()
}

func (p *LogPage) setState(text string) { p.state.SetText(text) }
