package queue

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailwright/mailwright/store/messagefile"
)

// reconcile makes the queue's files and rows agree after a crash
// ("Nothing accepted is lost": files and rows that disagree are
// reconciled at start and logged).
//
//   - At start, the leases this node held are ended: its workers died with
//     the last run.
//   - A queue file without a row was written but never acknowledged (the
//     row commit is what comes before a 250): it is removed — unless this
//     node is accepting it right now, or it is younger than OrphanGrace
//     (another node may be between its write and its commit).
//   - A row without a file cannot be delivered: its pending recipients
//     fail and it leaves the queue, with an error in the log.
//
// The files are listed before the rows are read, so that a file whose row
// is committed meanwhile is seen with its row.
func (q *Queue) reconcile(ctx context.Context, atStart bool) error {
	if atStart {
		n, err := q.st.ReleaseLeases(ctx, q.opts.Worker)
		if err != nil {
			return err
		}
		if n > 0 {
			q.log.Warn("ended the leases this node held when it stopped", "messages", n)
		}
	}
	files, err := q.queueFiles()
	if err != nil {
		return err
	}
	accepting := q.acceptingNow()
	rows, err := q.st.QueuedMessages(ctx)
	if err != nil {
		return err
	}
	queued := make(map[string]bool, len(rows))
	for _, m := range rows {
		queued[m.Path] = true
	}

	removed, young := 0, 0
	for rel, modified := range files {
		if queued[rel] {
			continue
		}
		if _, ok := accepting[rel]; ok {
			continue
		}
		if age := time.Since(modified); age < q.opts.OrphanGrace {
			young++
			continue
		}
		if abs, err := q.files.Abs(rel); err == nil {
			if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
				continue // finished meanwhile
			}
		}
		if err := q.files.Remove(rel); err != nil {
			q.log.Error("cannot remove a queue file that has no queue row", "path", rel, "err", err)
			continue
		}
		removed++
		q.log.Warn("removed a queue file that has no queue row: the message was never acknowledged", "path", rel, "modified", modified.UTC().Format(time.RFC3339))
	}
	if young > 0 {
		q.log.Info("kept queue files without a queue row that may still be being accepted; a later pass looks again", "files", young, "grace", q.opts.OrphanGrace)
	}

	missing := 0
	for _, m := range rows {
		abs, err := q.files.Abs(m.Path)
		if err == nil {
			_, err = os.Lstat(abs)
			if !errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		log := q.log.With("queue_id", queueID(m.Path), "message_id", m.ID, "path", m.Path)
		if q.fileMissing(ctx, log, m) {
			missing++
		}
	}
	if removed > 0 || missing > 0 || atStart {
		q.log.Info("queue reconciled", "queued", len(rows)-missing, "orphan_files_removed", removed, "rows_without_file", missing)
	}
	return nil
}

// queueFiles lists the message files under the queue directory
// ("queue/<xx>/<id>.eml") with their modification times. Temporary files
// of writes in progress are not listed, and neither is anything that is
// not a queue file's name (it is logged and left alone).
func (q *Queue) queueFiles() (map[string]time.Time, error) {
	root := filepath.Join(q.files.Root(), messagefile.QueueDir)
	shards, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the queue directory: %w", err)
	}
	out := map[string]time.Time{}
	for _, shard := range shards {
		if strings.HasPrefix(shard.Name(), ".") {
			continue
		}
		if !shard.IsDir() {
			q.log.Warn("unexpected file in the queue directory; left alone", "path", path.Join(messagefile.QueueDir, shard.Name()))
			continue
		}
		entries, err := os.ReadDir(filepath.Join(root, shard.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // emptied and removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("listing the queue directory: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue // a write in progress, or its leftover (swept at start)
			}
			rel := path.Join(messagefile.QueueDir, shard.Name(), name)
			if want, err := messagefile.QueuePath(strings.TrimSuffix(name, ".eml")); err != nil || want != rel || !e.Type().IsRegular() {
				q.log.Warn("unexpected file in the queue directory; left alone", "path", rel)
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // delivered and removed meanwhile
			}
			if err != nil {
				return nil, err
			}
			out[rel] = info.ModTime()
		}
	}
	return out, nil
}
