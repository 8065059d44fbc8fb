package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// queueFixture is the delivery queue page in a test window.
type queueFixture struct {
	page   *QueuePage
	window fyne.Window
	loaded chan struct{}
}

func newQueueFixture(t *testing.T, s *Session) *queueFixture {
	t.Helper()
	test.NewTempApp(t)
	f := &queueFixture{loaded: make(chan struct{}, 10)}
	onUI(func() {
		f.page = newQueuePage(s, nil, func() { f.loaded <- struct{}{} })
		f.window = test.NewTempWindow(t, f.page)
		f.page.window = f.window
		f.window.Resize(fyne.NewSize(1100, 700))
	})
	waitFor(t, "the queue is listed", f.loaded)
	return f
}

func (f *queueFixture) ids() []int64 {
	var ids []int64
	for _, m := range f.page.Messages() {
		ids = append(ids, m.GetId())
	}
	return ids
}

func serverQueue(t *testing.T, s *Session) int {
	t.Helper()
	resp, err := s.Client.Queue.ListQueue(context.Background(), connect.NewRequest(&adminv1.ListQueueRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.Msg.GetMessages())
}

func TestQueuePageRemovesAMessageAfterConfirmation(t *testing.T) {
	srv := startShellServer(t)
	s := srv.login(t)
	first := srv.enqueue(t, "sender@example.com", "Subject: first\r\n\r\nbody\r\n", "one@example.org")
	second := srv.enqueue(t, "sender@example.com", "Subject: second\r\n\r\nbody\r\n", "two@example.org")
	f := newQueueFixture(t, s)
	if got := f.ids(); len(got) != 2 {
		t.Fatalf("the page lists %v, want both queued messages", got)
	}
	if f.page.cell(0, 3) == "" || f.page.count.Text != "2 messages" {
		t.Errorf("recipients cell %q, count %q", f.page.cell(0, 3), f.page.count.Text)
	}

	remove := buttonIn(f.page.content, "Remove…")
	if !remove.Disabled() {
		t.Error("Remove is enabled with no message selected")
	}
	var selected bool
	onUI(func() { selected = f.page.Select(first.ID) })
	if !selected {
		t.Fatal("cannot select the first message")
	}

	// Answering No keeps the message.
	onUI(func() { test.Tap(remove) })
	answerDialog(t, f.window, "No", fmt.Sprintf("Remove message %d", first.ID))
	if serverQueue(t, s) != 2 {
		t.Fatal("answering No removed the message")
	}

	onUI(func() { test.Tap(remove) })
	answerDialog(t, f.window, "Yes", fmt.Sprintf("Remove message %d", first.ID), "sender@example.com")
	waitFor(t, "the queue is listed again", f.loaded)
	if got := f.ids(); len(got) != 1 || got[0] != second.ID {
		t.Errorf("after removing %d the page lists %v, want only %d", first.ID, got, second.ID)
	}
	if n := serverQueue(t, s); n != 1 {
		t.Errorf("the server's queue holds %d messages, want 1", n)
	}
}

func TestQueuePageShowsTheHeadersAndClearsAfterConfirmation(t *testing.T) {
	srv := startShellServer(t)
	s := srv.login(t)
	m := srv.enqueue(t, "", "Subject: a bounce\r\nFrom: <>\r\n\r\nbody\r\n", "one@example.org")
	srv.enqueue(t, "x@example.com", "Subject: other\r\n\r\nbody\r\n", "two@example.org")
	f := newQueueFixture(t, s)
	onUI(func() { f.page.Select(m.ID) })
	if got := f.page.cell(f.page.selected, 2); got != "<>" {
		t.Errorf("the null sender shows as %q, want <>", got)
	}

	onUI(func() { test.Tap(buttonIn(f.page.content, "Show message…")) })
	eventually(t, "the message dialog shows the headers", func() bool {
		top := topDialog(f.window)
		if !hasText(top, fmt.Sprintf("Queued message %d", m.ID)) {
			return false
		}
		for _, o := range test.LaidOutObjects(top) {
			if e, ok := o.(*widget.Entry); ok && strings.Contains(e.Text, "Subject: a bounce") {
				return true
			}
		}
		return false
	})
	onUI(func() { test.Tap(buttonIn(topDialog(f.window), "Close")) })

	onUI(func() { test.Tap(buttonIn(f.page.content, "Send now")) })
	waitFor(t, "the queue is listed after Send now", f.loaded)
	if f.page.problem.Text != "" {
		t.Errorf("Send now says %q", f.page.problem.Text)
	}

	onUI(func() { test.Tap(buttonIn(f.page.content, "Clear queue…")) })
	answerDialog(t, f.window, "Yes", "Remove all 2 messages")
	waitFor(t, "the queue is listed after clearing", f.loaded)
	if len(f.page.Messages()) != 0 || serverQueue(t, s) != 0 {
		t.Errorf("after clearing the page lists %v and the server holds %d", f.ids(), serverQueue(t, s))
	}
}
