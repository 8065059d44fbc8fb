package store

import (
	"context"
	"slices"
	"sync"
)

// Folder watches: how the IMAP sessions of this process learn at once that
// a folder changed (IDLE, and the updates after each command). Every
// writer of a folder's messages or flags calls notifyFolders after its
// commit. Sessions on other nodes see the change through FolderVersion,
// which lives in the database.

// folderWatchers are one Store's watches: folder id → the channels of the
// sessions watching it. The zero value is ready to use.
type folderWatchers struct {
	mu       sync.Mutex
	byFolder map[int64]map[chan struct{}]struct{}
	// funcs are WatchFolderFunc's watches: folder id → the functions.
	funcs map[int64]map[*folderFunc]struct{}
}

// folderFunc is one WatchFolderFunc watch (a pointer, so that it can be a
// map key).
type folderFunc struct{ wake func() }

// WatchFolderFunc calls wake after every committed change to the folder
// made through this Store, until stop is called; stop waits for a call
// under way. wake runs on the writer's goroutine with the watches' lock
// held: it must be quick and must not call the Store. IMAP's IDLE uses it
// to end a blocked read at once (a read deadline of now), so that an idle
// connection needs no goroutine of its own to wait on a channel.
func (s *Store) WatchFolderFunc(folderID int64, wake func()) (stop func()) {
	w := &s.watches
	f := &folderFunc{wake: wake}
	w.mu.Lock()
	if w.funcs == nil {
		w.funcs = map[int64]map[*folderFunc]struct{}{}
	}
	set := w.funcs[folderID]
	if set == nil {
		set = map[*folderFunc]struct{}{}
		w.funcs[folderID] = set
	}
	set[f] = struct{}{}
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.funcs[folderID], f)
		if len(w.funcs[folderID]) == 0 {
			delete(w.funcs, folderID)
		}
	}
}

// WatchFolder returns a channel that receives after every committed change
// to the folder made through this Store (coalesced, never blocking the
// writer), and a function that stops the watch.
func (s *Store) WatchFolder(folderID int64) (<-chan struct{}, func()) {
	w := &s.watches
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.byFolder == nil {
		w.byFolder = map[int64]map[chan struct{}]struct{}{}
	}
	set := w.byFolder[folderID]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		w.byFolder[folderID] = set
	}
	set[ch] = struct{}{}
	w.mu.Unlock()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			delete(w.byFolder[folderID], ch)
			if len(w.byFolder[folderID]) == 0 {
				delete(w.byFolder, folderID)
			}
		})
	}
	return ch, stop
}

// notifyFolders wakes the watchers of the folders. A watcher that has not
// taken the last signal yet keeps it: one pending signal says "changed".
func (s *Store) notifyFolders(folderIDs ...int64) {
	w := &s.watches
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range folderIDs {
		for ch := range w.byFolder[id] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		for f := range w.funcs[id] {
			f.wake()
		}
	}
}

// touchFoldersOfMessages moves on the version (change_count) of the
// folders holding an account's stored messages with these ids, in the
// caller's transaction, and returns the folders' ids for notifyFolders.
func (s *Store) touchFoldersOfMessages(ctx context.Context, tx queryer, accountID int64, ids []int64) ([]int64, error) {
	var out []int64
	seen := map[int64]bool{}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), deleteBatch)]
		ids = ids[len(batch):]
		args := []any{accountID, MessageStored}
		for _, id := range batch {
			args = append(args, id)
		}
		found, err := s.int64Column(ctx, tx, "SELECT DISTINCT folder_id FROM messages WHERE account_id = ? AND state = ? AND id IN "+inList(len(batch)), args...)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	// In id order, as every writer takes several folders (no deadlock).
	slices.Sort(out)
	for _, f := range out {
		if _, err := s.exec(ctx, tx, "UPDATE imap_folders SET change_count = change_count + 1 WHERE id = ?", f); err != nil {
			return nil, err
		}
	}
	return out, nil
}
