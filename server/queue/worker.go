package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"strings"
	"time"

	"github.com/mailwright/mailwright/store"
)

// Replies stored for recipients that failed.
const (
	replyRemoteUnavailable = "remote delivery is not available in this version"
	replyFileMissing       = "the message file is missing from the queue: the message cannot be delivered"
)

// work is one delivery worker: it claims a due message, delivers it, and
// when none is due sleeps until it is woken or the poll interval passes.
func (q *Queue) work(ctx context.Context, name string) {
	poll := time.NewTimer(q.opts.PollInterval)
	defer poll.Stop()
	for ctx.Err() == nil {
		claimed, err := q.st.ClaimQueued(ctx, name, 1, q.opts.Lease)
		if err != nil && ctx.Err() == nil {
			q.log.Error("claiming queued messages", "worker", name, "err", err)
		}
		if len(claimed) > 0 {
			// There may be more: let another idle worker look too.
			q.Wake()
			for _, m := range claimed {
				q.deliver(ctx, m)
			}
			continue
		}
		poll.Reset(q.opts.PollInterval)
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-poll.C:
		}
	}
}

// deliver settles every pending recipient of a claimed message, then
// removes the message from the queue, or releases it for a later try if a
// recipient hit a temporary error. When ctx ends it stops between
// recipients and releases the message as it is, due at once; the database
// work itself runs to its end, so a shutdown leaves no lease behind.
func (q *Queue) deliver(ctx context.Context, m store.QueuedMessage) {
	work := context.WithoutCancel(ctx)
	log := q.log.With("queue_id", queueID(m.Path), "message_id", m.ID)
	abs, err := q.files.Abs(m.Path)
	if err != nil {
		log.Error("queued message has an invalid path", "err", err)
		q.fileMissing(work, log, m)
		return
	}
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		q.fileMissing(work, log, m)
		return
	}

	renewAt := time.Now().Add(q.opts.Lease / 2)
	var retry error
	remoteLogged := false
	for _, r := range m.Recipients {
		if r.Status != store.RecipientPending {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		if time.Now().After(renewAt) {
			if err := q.st.RenewLease(work, &m, q.opts.Lease); err != nil {
				// Another worker holds the message now and finishes it.
				log.Warn("lost the lease of a message while delivering it", "err", err)
				return
			}
			renewAt = time.Now().Add(q.opts.Lease / 2)
		}
		if r.AccountID == 0 {
			if !remoteLogged {
				log.Warn("remote delivery is not built yet: external recipients fail", "recipient", r.Address)
				remoteLogged = true
			}
			if err := q.fail(work, log, m, r, replyRemoteUnavailable); err != nil {
				retry = err
			}
			continue
		}
		if err := q.deliverLocal(work, log, m, r); err != nil {
			log.Error("local delivery failed; will retry", "recipient", r.Address, "err", err)
			retry = err
		}
	}

	if retry != nil || ctx.Err() != nil {
		if retry != nil {
			m.TryCount++
			m.NextTryAt = time.Now().Add(retryDelay(m.TryCount)).Unix()
		}
		if err := q.st.ReleaseQueued(work, m); err != nil {
			log.Warn("releasing a queued message", "err", err)
		}
		return
	}
	q.finish(work, log, m.ID)
}

// deliverLocal puts the message into recipient r's INBOX. A temporary
// problem is returned for a retry; a permanent one fails the recipient.
func (q *Queue) deliverLocal(ctx context.Context, log *slog.Logger, m store.QueuedMessage, r store.QueuedRecipient) error {
	account, err := q.st.Account(ctx, r.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return q.fail(ctx, log, m, r, "550 5.1.1 the recipient's account no longer exists")
	}
	if err != nil {
		return err
	}
	rel, err := store.AccountMessagePath(account.Address, localFileID(m, r))
	if err != nil {
		return q.fail(ctx, log, m, r, "550 5.1.3 the recipient's address cannot be stored: "+err.Error())
	}
	if err := q.placeFile(m.Path, rel); err != nil {
		return err
	}
	if testHookAfterLink != nil {
		testHookAfterLink(rel)
	}
	err = q.st.DeliverLocal(ctx, m.ID, r.ID, rel, m.Size)
	if errors.Is(err, store.ErrNotFound) {
		// The account or its INBOX went away: nothing refers to the file.
		if rerr := q.files.Remove(rel); rerr != nil {
			log.Error("cannot remove an undelivered mailbox file", "path", rel, "err", rerr)
			return rerr
		}
		return q.fail(ctx, log, m, r, "550 5.1.1 the recipient's account or its INBOX no longer exists")
	}
	if err != nil {
		return err
	}
	log.Info("delivered to local mailbox", "recipient", r.Address, "account", account.Address, "path", rel)
	return nil
}

// placeFile gives the queue file the mailbox name rel, normally as a hard
// link. A name already there is an earlier attempt's, which a crash or a
// failed commit stopped before the row: rel is this recipient's alone, so
// it is reused. Where hard links are not possible (the mailbox on another
// volume, a file system without links) the bytes are copied, as durably.
func (q *Queue) placeFile(queued, rel string) error {
	err := q.files.Link(queued, rel)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, oerr := q.files.Open(queued)
	if oerr != nil {
		return errors.Join(err, oerr)
	}
	defer f.Close()
	if _, werr := q.files.Write(rel, f); werr != nil && !errors.Is(werr, fs.ErrExist) {
		return fmt.Errorf("%w; copying instead: %w", err, werr)
	}
	return nil
}

// localFileID names recipient r's mailbox file: the same on every attempt,
// different for every recipient of every message ever queued (the queue
// file's name is random, the row ids are unique), so a retry finds its own
// earlier link and nothing else.
func localFileID(m store.QueuedMessage, r store.QueuedRecipient) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", m.Path, m.ID, r.ID))
	return hex.EncodeToString(sum[:16])
}

// fail marks a recipient failed and logs why.
func (q *Queue) fail(ctx context.Context, log *slog.Logger, m store.QueuedMessage, r store.QueuedRecipient, reply string) error {
	if err := q.st.FailRecipient(ctx, m.ID, r.ID, reply); err != nil {
		return err
	}
	log.Warn("recipient failed", "recipient", r.Address, "reply", reply)
	return nil
}

// fileMissing fails every pending recipient of a message whose queue file
// is gone, and removes it from the queue. It reports false if the message
// had left the queue meanwhile (its file went with it).
func (q *Queue) fileMissing(ctx context.Context, log *slog.Logger, m store.QueuedMessage) bool {
	if _, err := q.st.QueuedMessage(ctx, m.ID); errors.Is(err, store.ErrNotFound) {
		return false
	}
	n, err := q.st.FailPending(ctx, m.ID, replyFileMissing)
	if err != nil {
		log.Error("failing the recipients of a message whose file is missing", "err", err)
		return true
	}
	log.Error("queued message has no file: its recipients failed", "failed_recipients", n)
	q.finish(ctx, log, m.ID)
	return true
}

// finish removes a settled message from the queue: the row first, then
// the file, so that a crash in between leaves only a file without a row,
// which reconciliation removes.
func (q *Queue) finish(ctx context.Context, log *slog.Logger, id int64) {
	path, err := q.st.FinishQueued(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return // another worker finished it
	}
	if err != nil {
		log.Error("removing a delivered message from the queue", "err", err)
		return
	}
	if err := q.files.Remove(path); err != nil {
		log.Error("removing a delivered message's queue file", "err", err)
	}
}

// queueID is the id Accept returned for the queue file rel.
func queueID(rel string) string {
	return strings.TrimSuffix(path.Base(rel), ".eml")
}

// retryDelay is the wait before try n+1 after a temporary local error:
// one minute, doubling, at most an hour.
func retryDelay(tries int) time.Duration {
	if tries > 6 {
		return time.Hour
	}
	return min(time.Minute<<max(tries-1, 0), time.Hour)
}
