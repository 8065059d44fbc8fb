package store

import (
	"context"
	"sync/atomic"
	"testing"
)

// TestWatchFolderFunc checks the callback watch IMAP's IDLE uses: it is
// called after a change to its folder and not after one to another
// folder, along with the channel watches, and no more once stopped.
func TestWatchFolderFunc(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newIMAPFixture(t, s)
		other, err := s.CreateFolder(ctx, f.user.ID, 0, "Other")
		if err != nil {
			t.Fatal(err)
		}
		var calls atomic.Int32
		stop := s.WatchFolderFunc(f.inbox.ID, func() { calls.Add(1) })
		watch, stopWatch := s.WatchFolder(f.inbox.ID)
		defer stopWatch()

		mustAppend(t, s, other.ID, "Subject: elsewhere\r\n\r\nx\r\n", 0)
		if n := calls.Load(); n != 0 {
			t.Errorf("a change to another folder called the watch %d times", n)
		}
		mustAppend(t, s, f.inbox.ID, "Subject: here\r\n\r\nx\r\n", 0)
		if n := calls.Load(); n != 1 {
			t.Errorf("a change to the folder called the watch %d times, want 1", n)
		}
		if !received(watch) {
			t.Error("the channel watch of the same folder did not fire")
		}
		stop()
		stop() // a second stop does nothing
		mustAppend(t, s, f.inbox.ID, "Subject: after\r\n\r\nx\r\n", 0)
		if n := calls.Load(); n != 1 {
			t.Errorf("the stopped watch was called: %d calls, want 1", n)
		}
		if !received(watch) {
			t.Error("stopping the callback watch stopped the channel watch")
		}
	})
}
