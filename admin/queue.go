package admin

import (
	"context"
	"fmt"
	"strings"
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
	Pages["status/queue"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject { return NewQueuePage(s, w) }
}

// queueColumns are the delivery queue table's columns, as hMailServer's.
var queueColumns = []struct {
	title string
	width float32
}{
	{"ID", 45}, {"Created", 145}, {"From", 185}, {"To", 190}, {"Next try", 145}, {"Tries", 50}, {"Size", 70}, {"Status", 260},
}

// QueuePage is the delivery queue (hMailServer's Status → Delivery queue):
// the queued messages, paged through ListQueue as the table scrolls, with
// refresh, show message, send now, remove and clear.
type QueuePage struct {
	widget.BaseWidget
	session *Session
	window  fyne.Window

	pager     *pager[*adminv1.QueuedMessage]
	selected  int   // row in the queue; -1 for none
	keep      int64 // the message to select again once the first page is back
	reloading bool  // a Reload's first page is not shown yet

	table   *widget.Table
	count   *widget.Label
	problem *widget.Label
	actions []*widget.Button // the buttons that need a selected message
	content fyne.CanvasObject
	// loaded, when set, is called after each page fetched has been shown;
	// tests wait on it.
	loaded func()
}

// NewQueuePage builds the page and loads the queue.
func NewQueuePage(s *Session, w fyne.Window) *QueuePage {
	return newQueuePage(s, w, nil)
}

func newQueuePage(s *Session, w fyne.Window, loaded func()) *QueuePage {
	p := &QueuePage{session: s, window: w, selected: -1, loaded: loaded}
	p.ExtendBaseWidget(p)
	p.pager = newPager(func(ctx context.Context, _ string, limit, offset int) ([]*adminv1.QueuedMessage, int, error) {
		resp, err := s.Client.Queue.ListQueue(ctx, connect.NewRequest(&adminv1.ListQueueRequest{Limit: int32(limit), Offset: int32(offset)}))
		if err != nil {
			return nil, 0, err
		}
		return resp.Msg.GetMessages(), int(resp.Msg.GetTotal()), nil
	}, nil)
	// Pages are fetched off the UI goroutine, then shown on it.
	p.pager.run = func(fetch func()) {
		go func() {
			fetch()
			runOnUI(p.showFetched)
		}()
	}

	p.table = widget.NewTableWithHeaders(
		func() (int, int) { return p.pager.Len(), len(queueColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(p.cell(id.Row, id.Col))
		})
	p.table.ShowHeaderColumn = false
	p.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(queueColumns[id.Col].title)
		}
	}
	for i, c := range queueColumns {
		p.table.SetColumnWidth(i, c.width)
	}
	p.table.OnSelected = func(id widget.TableCellID) { p.selectRow(id.Row) }

	p.count = widget.NewLabel("")
	p.problem = widget.NewLabel("")
	p.problem.Importance = widget.DangerImportance
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Hide()

	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), p.Reload)
	show := widget.NewButtonWithIcon("Show message…", theme.VisibilityIcon(), p.showMessage)
	sendNow := widget.NewButtonWithIcon("Send now", theme.MailSendIcon(), p.sendNow)
	remove := widget.NewButtonWithIcon("Remove…", theme.DeleteIcon(), p.confirmRemove)
	clearAll := widget.NewButtonWithIcon("Clear queue…", theme.ContentClearIcon(), p.confirmClear)
	clearAll.Importance = widget.DangerImportance
	p.actions = []*widget.Button{show, sendNow, remove}
	for _, b := range p.actions {
		b.Disable()
	}

	p.content = container.NewBorder(
		container.NewVBox(pageHeading("Delivery queue"),
			container.NewHBox(refresh, show, sendNow, remove, clearAll, p.count), p.problem),
		nil, nil, nil, p.table)
	p.Reload()
	return p
}

// CreateRenderer shows the page's content.
func (p *QueuePage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

// Messages returns the messages of the pages fetched so far, in queue order.
func (p *QueuePage) Messages() []*adminv1.QueuedMessage {
	var ms []*adminv1.QueuedMessage
	for i := range p.pager.Len() {
		if m, ok := p.pager.Cached(i); ok {
			ms = append(ms, m)
		}
	}
	return ms
}

// cell is the text of one table cell; showing a row of a page not yet
// fetched fetches it.
func (p *QueuePage) cell(row, col int) string {
	m, ok := p.pager.Row(row)
	if !ok {
		if col == 0 {
			return "…"
		}
		return ""
	}
	switch col {
	case 0:
		return fmt.Sprint(m.GetId())
	case 1:
		return formatUnix(m.GetCreatedAt())
	case 2:
		if m.GetFrom() == "" {
			return "<>"
		}
		return m.GetFrom()
	case 3:
		to := make([]string, len(m.GetRecipients()))
		for i, r := range m.GetRecipients() {
			to[i] = r.GetAddress()
		}
		return strings.Join(to, ", ")
	case 4:
		return formatUnix(m.GetNextTryAt())
	case 5:
		return fmt.Sprint(m.GetTryCount())
	case 6:
		return formatSize(m.GetSize())
	case 7:
		return queueStatus(m)
	}
	return ""
}

// queueStatus summarises the recipients' states and the last reply.
func queueStatus(m *adminv1.QueuedMessage) string {
	if m.GetLockedBy() != "" {
		return "Being delivered by " + m.GetLockedBy()
	}
	for _, r := range m.GetRecipients() {
		if r.GetLastReply() != "" {
			return r.GetLastReply()
		}
	}
	return "Waiting"
}

func formatUnix(sec int64) string {
	if sec <= 0 {
		return ""
	}
	return time.Unix(sec, 0).Format("2006-01-02 15:04")
}

func formatSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1024)
}

// Reload asks the server for the queue again, from its first page; the
// selected message stays selected if it is still on that page.
func (p *QueuePage) Reload() {
	if m := p.current(); m != nil {
		p.keep = m.GetId()
	}
	p.reloading = true
	p.pager.Reset("")
}

// showFetched shows a page that arrived, on the UI goroutine.
func (p *QueuePage) showFetched() {
	if err := p.pager.Err(); err != nil {
		showProblem(p.problem, "Cannot read the delivery queue: "+serverMessage(err))
	} else {
		showProblem(p.problem, "")
		if _, ok := p.pager.Cached(0); p.reloading && (ok || p.pager.Len() == 0) {
			keep := p.keep
			p.keep, p.reloading = 0, false
			p.selected = -1
			p.table.UnselectAll()
			if keep != 0 {
				p.Select(keep)
			}
			p.selectRow(p.selected)
		}
		p.count.SetText(fmt.Sprintf("%d messages", p.pager.Len()))
	}
	p.table.Refresh()
	if p.loaded != nil {
		p.loaded()
	}
}

// selectRow makes row the selected message (-1: none).
func (p *QueuePage) selectRow(row int) {
	if row >= p.pager.Len() {
		row = -1
	}
	p.selected = row
	for _, b := range p.actions {
		if row < 0 {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// Select selects the message with the given id, as a click on its row does.
func (p *QueuePage) Select(id int64) bool {
	for i := range p.pager.Len() {
		if m, ok := p.pager.Cached(i); ok && m.GetId() == id {
			p.table.Select(widget.TableCellID{Row: i, Col: 0})
			return true
		}
	}
	return false
}

func (p *QueuePage) current() *adminv1.QueuedMessage {
	m, _ := p.pager.Cached(p.selected)
	return m
}

// call runs an RPC off the UI goroutine, then done on it (err shown in the
// page when not nil), and reloads the queue.
func (p *QueuePage) call(what string, rpcCall func(context.Context) error, done func()) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err := rpcCall(ctx)
		runOnUI(func() {
			if err != nil {
				showProblem(p.problem, what+": "+serverMessage(err))
				return
			}
			if done != nil {
				done()
			}
			p.Reload()
		})
	}()
}

// showMessage shows the selected message's headers and recipients.
func (p *QueuePage) showMessage() {
	m := p.current()
	if m == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := p.session.Client.Queue.GetQueuedMessage(ctx, connect.NewRequest(&adminv1.GetQueuedMessageRequest{Id: m.GetId()}))
		runOnUI(func() {
			if err != nil {
				showProblem(p.problem, "Cannot read the message: "+serverMessage(err))
				return
			}
			p.showMessageDialog(resp.Msg)
		})
	}()
}

func (p *QueuePage) showMessageDialog(r *adminv1.GetQueuedMessageResponse) {
	var rcpts []string
	for _, rc := range r.GetMessage().GetRecipients() {
		line := rc.GetAddress() + " — " + rc.GetStatus()
		if rc.GetOriginalAddress() != "" && rc.GetOriginalAddress() != rc.GetAddress() {
			line += " (sent to " + rc.GetOriginalAddress() + ")"
		}
		if rc.GetLastReply() != "" {
			line += ": " + rc.GetLastReply()
		}
		rcpts = append(rcpts, line)
	}
	headers := widget.NewMultiLineEntry()
	headers.SetText(r.GetHeaders())
	headers.TextStyle = fyne.TextStyle{Monospace: true}
	headers.Wrapping = fyne.TextWrapOff
	info := widget.NewLabel(fmt.Sprintf("Message %d, %s of body after the headers.\nRecipients:\n%s",
		r.GetMessage().GetId(), formatSize(r.GetBodySize()), strings.Join(rcpts, "\n")))
	info.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(fmt.Sprintf("Queued message %d", r.GetMessage().GetId()), "Close",
		container.NewBorder(info, nil, nil, nil, headers), p.window)
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// sendNow makes the selected message due at once.
func (p *QueuePage) sendNow() {
	m := p.current()
	if m == nil {
		return
	}
	p.call("Cannot send the message now", func(ctx context.Context) error {
		_, err := p.session.Client.Queue.SendNow(ctx, connect.NewRequest(&adminv1.SendNowRequest{Id: m.GetId()}))
		return err
	}, nil)
}

// confirmRemove removes the selected message after asking.
func (p *QueuePage) confirmRemove() {
	m := p.current()
	if m == nil {
		return
	}
	dialog.ShowConfirm("Remove message",
		fmt.Sprintf("Remove message %d from %s from the delivery queue? It will not be delivered.", m.GetId(), p.cell(p.selected, 2)),
		func(ok bool) {
			if !ok {
				return
			}
			p.call("Cannot remove the message", func(ctx context.Context) error {
				_, err := p.session.Client.Queue.RemoveQueued(ctx, connect.NewRequest(&adminv1.RemoveQueuedRequest{Id: m.GetId()}))
				return err
			}, nil)
		}, p.window)
}

// confirmClear removes every queued message after asking.
func (p *QueuePage) confirmClear() {
	dialog.ShowConfirm("Clear the delivery queue",
		fmt.Sprintf("Remove all %d messages from the delivery queue? None of them will be delivered.", p.pager.Len()),
		func(ok bool) {
			if !ok {
				return
			}
			var removed int32
			p.call("Cannot clear the queue", func(ctx context.Context) error {
				resp, err := p.session.Client.Queue.ClearQueue(ctx, connect.NewRequest(&adminv1.ClearQueueRequest{}))
				if err == nil {
					removed = resp.Msg.GetRemoved()
				}
				return err
			}, func() { showProblem(p.problem, fmt.Sprintf("Removed %d messages.", removed)) })
		}, p.window)
}
