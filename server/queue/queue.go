// Package queue owns accepted messages until they are in their mailboxes
// or with the next server: the durable accept that comes before a 250 (the
// file fsynced, the queue row committed) with the copy for the mirror
// address (mirror.go), the workers that deliver queued messages to local
// accounts — with the Return-Path (and optional Delivered-To) header of
// final delivery and the accounts' maximum sizes — and to other servers
// (remote.go: by route, SMTP relayer or MX, in shared transactions and
// batches, with retries on schedule), the bounces to the senders of
// recipients that failed, and the reconciliation of queue files and rows
// after a crash.
//
// It does not decide who the recipients are (the SMTP session resolves
// them before Accept), where a domain's mail goes (server/routing) or how
// SMTP is spoken (server/smtpclient). A queue without a Router delivers
// locally only: an external recipient fails with replyRemoteUnavailable,
// without a bounce.
//
// Exactly once into a local mailbox, after kill -9 at any point: a
// recipient's mailbox file is its own copy, written atomically under a
// name derived from the queue row and the recipient (localFileID), so a
// retry after a crash between the write and the commit finds the complete
// file already there and uses it; and the settlement of the attempt
// (store.SettleQueued with its LocalDelivery, in the round of the group
// commit, after the fsync of the file's directory) marks the recipient
// delivered in the same transaction that adds the mailbox row, and does
// nothing for a recipient that is no longer pending. A bounce is
// queued in the transaction that removes the bounced message from the
// queue (bouncequeue.go), so it too is sent once.
//
// At least once to another server: a recipient is marked delivered after
// the next server's 250 to the end of data, so a crash in between sends
// it again; while a worker delivers, it renews its lease on the message,
// so no other worker or node sends it at the same time.
package queue

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mailwright/mailwright/server/recipients"
	"github.com/mailwright/mailwright/server/routing"
	"github.com/mailwright/mailwright/server/smtpclient"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// Defaults for Options.
const (
	DefaultWorkers      = 10              // the "DeliveryThreads" setting's default
	DefaultLease        = 5 * time.Minute // how long a worker holds a message
	DefaultPollInterval = 5 * time.Second // how often idle workers look without being woken
	DefaultOrphanGrace  = 10 * time.Minute
)

// reconcileEvery is how often reconciliation runs again after the start,
// for queue files it had to leave because they were too young.
const reconcileEvery = time.Hour

// Recipient is where an accepted message goes, as recipient resolution
// found it.
type Recipient struct {
	Address         string // the final address (after aliases, lists, plus addressing)
	OriginalAddress string // the RCPT TO address it came from
	AccountID       int64  // the local account; 0 for an external address
}

// Options configures a Queue. Zero values mean the defaults.
type Options struct {
	// Workers is the number of messages delivered at once (the
	// "DeliveryThreads" setting).
	Workers int
	// Lease is how long a worker holds a claimed message before another
	// worker or node may take it over. Workers renew it while they work.
	Lease time.Duration
	// Worker names this node in the queue's leases; its workers are
	// "<Worker>/<n>". Nodes sharing a database need different names; the
	// default is the host name. At start the node ends the leases held
	// under its name, which a crash left behind.
	Worker string
	// Log receives the queue's log; the default is slog.Default().
	Log *slog.Logger
	// PollInterval is how often idle workers look for due messages without
	// being woken.
	PollInterval time.Duration
	// OrphanGrace is how old a queue file without a row must be before
	// reconciliation removes it. A file this node is accepting is never
	// removed, but another node sharing the message store may be between
	// writing a file and committing its row; the grace covers that.
	OrphanGrace time.Duration

	// Router decides where mail for other domains goes: a route, the SMTP
	// relayer or the domain's MX hosts. Without one the queue delivers
	// locally only, and external recipients fail with
	// replyRemoteUnavailable, without a bounce.
	Router *routing.Router
	// RetryUnit is how long one of "Minutes between every retry" lasts: a
	// minute by default. Tests shorten it instead of waiting.
	RetryUnit time.Duration
	// SMTPTimeouts bound the steps of outbound SMTP; zero fields take the
	// defaults of RFC 5321 4.5.3.2.
	SMTPTimeouts smtpclient.Timeouts
	// RootCAs are the authorities outbound TLS verifies certificates
	// against when "Verify remote server certificate" is on; nil: the
	// system's.
	RootCAs *x509.CertPool
}

// Queue is the delivery queue of one node.
type Queue struct {
	st    *store.Store
	files *messagefile.Store
	opts  Options
	log   *slog.Logger
	wake  chan struct{}

	// recipients resolves the mirror address.
	recipients *recipients.Resolver

	// accepting holds the queue files between Write and the commit of
	// their row, which reconciliation must not take for orphans.
	acceptMu  sync.Mutex
	accepting map[string]struct{}

	// committer commits accepted messages in rounds (acceptcommit.go).
	committer acceptCommitter
}

// Test hooks, called when set: between the write of a queue file and the
// commit of its row, between the write of a mailbox file and the commit of
// its row, and between the write of a bounce and the commit that queues it
// — the moments where a crash tests the reconciliation.
var (
	testHookAfterWrite       func(rel string)
	testHookAfterMailboxFile func(rel string)
	testHookAfterBounceWrite func(rel string)
)

// New returns the queue over st. Start its workers with Run.
func New(st *store.Store, opts Options) *Queue {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Lease < 2*time.Second {
		opts.Lease = 2 * time.Second // leases are kept in whole seconds
	}
	if opts.Worker == "" {
		opts.Worker, _ = os.Hostname()
		if opts.Worker == "" {
			opts.Worker = "mailwrightd"
		}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.OrphanGrace <= 0 {
		opts.OrphanGrace = DefaultOrphanGrace
	}
	if opts.RetryUnit <= 0 {
		opts.RetryUnit = time.Minute
	}
	q := &Queue{
		st:         st,
		files:      st.Files(),
		opts:       opts,
		log:        opts.Log.With("component", "queue"),
		wake:       make(chan struct{}, 1),
		recipients: recipients.New(st),
		accepting:  make(map[string]struct{}),
	}
	q.committer.q = q
	return q
}

// Accept takes responsibility for a message: it reads body to its end
// into a new queue file, which is fsynced and given its final name
// (messagefile.Store.WriteBeforeDirSync), and then, in a round of group
// commit shared with the Accepts of other sessions (acceptcommit.go), the
// file's directory is fsynced and the queue row with the recipients
// committed. Only when both are done does it return nil — the caller may
// then answer 250 — with the queue id (the file's id, for the reply and
// the log) and the size. On failure nothing stays queued: the file is
// removed and the error returned, and the caller answers 4xx. It wakes
// the workers.
//
// When the "MirrorAddress" setting names an address the message is not
// already for, a copy for it is written too and queued in the same
// transaction (mirror.go).
func (q *Queue) Accept(ctx context.Context, from string, rcpts []Recipient, body io.Reader) (id string, size int64, err error) {
	if len(rcpts) == 0 {
		return "", 0, errors.New("queue: a message needs at least one recipient")
	}
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	id = messagefile.NewQueueID()
	rel, err := messagefile.QueuePath(id)
	if err != nil {
		return "", 0, err
	}
	m := store.QueuedMessage{Path: rel, From: from, Recipients: make([]store.QueuedRecipient, len(rcpts))}
	for i, r := range rcpts {
		m.Recipients[i] = store.QueuedRecipient{Address: r.Address, OriginalAddress: r.OriginalAddress, AccountID: r.AccountID}
	}
	// Refuse what the store would refuse before the message joins a round
	// of group commit, where it would fail the others' messages too.
	if err := store.CheckQueued(m); err != nil {
		return "", 0, fmt.Errorf("queue: %w", err)
	}
	q.startAccepting(rel)
	defer q.stopAccepting(rel)

	// A message only for local accounts is queued as final delivery will
	// store it, with its Return-Path line, so that delivery can give each
	// mailbox a link to this file instead of a copy (deliverLocal).
	var returnPath []byte
	if allLocal(rcpts) {
		returnPath = returnPathLine(from)
	}
	size, err = q.files.WriteBeforeDirSync(rel, io.MultiReader(bytes.NewReader(returnPath), body))
	if err != nil {
		return "", 0, fmt.Errorf("queue: storing the message: %w", err)
	}
	if testHookAfterWrite != nil {
		testHookAfterWrite(rel)
	}
	m.Size = size
	size -= int64(len(returnPath)) // what was received
	req := &acceptRequest{files: []string{rel}, messages: []store.QueuedMessage{m}}
	removeWritten := func() {
		for _, rel := range req.files {
			if rerr := q.files.Remove(rel); rerr != nil {
				// Reconciliation removes it later: it has no row.
				q.log.Error("cannot remove the file of a message that was not queued", "path", rel, "err", rerr)
			}
		}
	}
	mirror, err := q.mirrorCopy(ctx, id, from, rcpts, int64(len(returnPath)))
	if mirror.Path != "" {
		defer q.stopAccepting(mirror.Path)
		req.files = append(req.files, mirror.Path)
	}
	if err == nil && len(mirror.Recipients) > 0 {
		if err = store.CheckQueued(mirror); err == nil {
			req.messages = append(req.messages, mirror)
		}
	}
	if err != nil {
		removeWritten()
		return "", 0, fmt.Errorf("queue: storing the copy for the mirror address: %w", err)
	}
	if _, err := q.committer.commit(ctx, req); err != nil {
		removeWritten()
		return "", 0, fmt.Errorf("queue: %w", err)
	}
	q.log.Info("message queued", "queue_id", id, "from", from, "recipients", len(rcpts), "size", size)
	if len(req.messages) > 1 {
		q.log.Info("message mirrored", "queue_id", id, "mirror_queue_id", queueID(mirror.Path),
			"mirror", mirror.Recipients[0].OriginalAddress, "size", mirror.Size)
	}
	q.Wake()
	return id, size, nil
}

// allLocal reports whether every recipient is a local account's.
func allLocal(rcpts []Recipient) bool {
	for _, r := range rcpts {
		if r.AccountID == 0 {
			return false
		}
	}
	return true
}

// Wake nudges the workers: one idle worker looks for due messages at once
// (and wakes the next if it finds one). Accept calls it.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run reconciles the queue with its files, then runs the workers until ctx
// is done, and returns once they have stopped. Reconciliation ends the
// leases this node held when it last stopped, removes queue files that
// have no row (they were never acknowledged) and fails the recipients of
// rows whose file is missing; it logs all it does. Call Run once.
func (q *Queue) Run(ctx context.Context) error {
	if err := q.reconcile(ctx, true); err != nil {
		return fmt.Errorf("queue: reconciling the queue at start: %w", err)
	}
	var wg sync.WaitGroup
	for n := range q.opts.Workers {
		name := fmt.Sprintf("%s/%d", q.opts.Worker, n)
		wg.Go(func() { q.work(ctx, name) })
	}
	wg.Go(func() {
		t := time.NewTicker(reconcileEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := q.reconcile(ctx, false); err != nil && ctx.Err() == nil {
					q.log.Error("reconciling the queue", "err", err)
				}
			}
		}
	})
	q.log.Info("delivery queue started", "workers", q.opts.Workers, "node", q.opts.Worker)
	wg.Wait()
	q.log.Info("delivery queue stopped")
	return nil
}

func (q *Queue) startAccepting(rel string) {
	q.acceptMu.Lock()
	q.accepting[rel] = struct{}{}
	q.acceptMu.Unlock()
}

func (q *Queue) stopAccepting(rel string) {
	q.acceptMu.Lock()
	delete(q.accepting, rel)
	q.acceptMu.Unlock()
}

// acceptingNow returns a copy of the files being accepted.
func (q *Queue) acceptingNow() map[string]struct{} {
	q.acceptMu.Lock()
	defer q.acceptMu.Unlock()
	out := make(map[string]struct{}, len(q.accepting))
	for rel := range q.accepting {
		out[rel] = struct{}{}
	}
	return out
}
