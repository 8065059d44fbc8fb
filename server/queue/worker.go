package queue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// Replies stored for recipients that failed.
const (
	replyRemoteUnavailable = "remote delivery is not configured: the queue has no router"
	replyFileMissing       = "the message file is missing from the queue: the message cannot be delivered"
	replyAccountGone       = "550 5.1.1 the recipient's account no longer exists"
	replyInboxGone         = "550 5.1.1 the recipient's account or its INBOX no longer exists"
	replyInboxFull         = "552 5.2.2 Inbox is full" // manual: Accounts → Maximum size (MB)
)

// work is one delivery worker: it takes a claimed message from its pool
// (claiming a batch for itself and the others when none is waiting),
// delivers it, and when none is due sleeps until it is woken or the poll
// interval passes.
func (q *Queue) work(ctx context.Context, name string) {
	p := q.joinPool()
	defer q.leavePool(p)
	sessions := newSMTPSessions()
	defer sessions.closeAll()
	poll := time.NewTimer(q.opts.PollInterval)
	defer poll.Stop()
	for ctx.Err() == nil {
		if held := p.next(ctx, name); held != nil {
			q.deliver(ctx, p, held, sessions)
			continue
		}
		// Nothing due: the batch is over, and so are its sessions.
		sessions.closeAll()
		poll.Reset(q.opts.PollInterval)
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-poll.C:
		case held := <-p.ready:
			p.taken(ctx, name)
			q.deliver(ctx, p, held, sessions)
		}
	}
}

// deliver settles every pending recipient of a claimed message — the
// local ones first, then those on other servers (deliverRemote) — then
// removes the message from the queue, or releases it for a later try when
// a recipient hit a temporary failure (settle). Its lease is kept from
// the claim on (keepLease). When ctx ends it stops between recipients and
// transactions and releases the message as it is, due at once; the
// database work itself runs to its end, so a shutdown leaves no lease
// behind.
func (q *Queue) deliver(ctx context.Context, p *workerPool, lease *leaseKeeper, sessions *smtpSessions) {
	work := context.WithoutCancel(ctx)
	m := lease.claimed
	log := q.log.With("queue_id", queueID(m.Path), "message_id", m.ID)
	abs, err := q.files.Abs(m.Path)
	if err != nil {
		log.Error("queued message has an invalid path", "err", err)
	}
	if err == nil {
		_, err = os.Lstat(abs)
	}
	if err != nil && (errors.Is(err, fs.ErrNotExist) || abs == "") {
		if m, lost := lease.stop(); !lost {
			q.fileMissing(work, log, m)
		}
		return
	}

	addDeliveredTo, err := q.st.Setting(work, "AddDeliveredToHeader")
	if err != nil {
		log.Error("reading the settings for delivery; will retry", "err", err)
		if m, lost := lease.stop(); !lost {
			q.release(work, log, m, err)
		}
		return
	}

	send := lease.ctx
	var retry error
	var remote []store.QueuedRecipient
	var copies []localCopy
	var returnPath returnPathSkip // read once for all local recipients
	unavailableLogged := false
	for _, r := range m.Recipients {
		if r.Status != store.RecipientPending {
			continue
		}
		if send.Err() != nil {
			break
		}
		if r.AccountID == 0 {
			if q.opts.Router != nil {
				remote = append(remote, r)
				continue
			}
			if !unavailableLogged {
				log.Warn("the queue has no router: external recipients fail", "recipient", r.Address)
				unavailableLogged = true
			}
			if err := q.fail(work, log, m, r, replyRemoteUnavailable); err != nil {
				retry = err
			}
			continue
		}
		c, err := q.deliverLocal(work, log, m, r, addDeliveredTo == "1", &returnPath)
		if err != nil {
			log.Error("local delivery failed; will retry", "recipient", r.Address, "err", err)
			retry = err
		}
		if c != nil {
			copies = append(copies, *c)
		}
	}
	var outcomes []store.RecipientOutcome
	var deferred []deferredRecipient
	if len(remote) > 0 && send.Err() == nil {
		if outcomes, deferred, err = q.deliverRemote(send, work, log, m, remote, sessions); err != nil {
			log.Error("remote delivery stopped; will retry", "err", err)
			retry = err
		}
	}

	m, lost := lease.stop()
	if lost {
		// Another worker holds the message now and finishes it; what this
		// one found is kept all the same, so it is not sent again.
		log.Warn("lost the lease of a message while delivering it")
		q.record(work, log, p, m, outcomes, copies)
		return
	}
	if ctx.Err() != nil {
		if err := q.record(work, log, p, m, outcomes, copies); err != nil && retry == nil {
			retry = err
		}
		q.release(work, log, m, retry)
		return
	}
	q.settle(work, log, p, m, outcomes, copies, deferred, retry)
}

// settle ends an attempt at m that was not cut short, with the outcomes
// of its external recipients. The external recipients it deferred whose
// tries are used up fail with their last reply (the bounce says "Tried
// N time(s)"); if others remain, or retry is a temporary error of this
// server's, the outcomes are recorded and m is released for the next try
// — its try count one up, due after the shortest wait among them — else
// it leaves the queue with its bounce, the outcomes recorded in the same
// transaction (finishSettled).
func (q *Queue) settle(ctx context.Context, log *slog.Logger, p *workerPool, m store.QueuedMessage, outcomes []store.RecipientOutcome, copies []localCopy, deferred []deferredRecipient, retry error) {
	tries := m.TryCount + 1
	var waiting []deferredRecipient
	for _, d := range deferred {
		if tries <= d.policy.retries {
			waiting = append(waiting, d)
			continue
		}
		for i := range outcomes {
			if outcomes[i].RecipientID == d.r.ID {
				outcomes[i].Status, outcomes[i].Reply = store.RecipientFailed, d.report.String()
			}
		}
	}
	if len(waiting) == 0 && retry == nil {
		q.finishSettled(ctx, log, p, m, outcomes, copies)
		return
	}
	if err := q.record(ctx, log, p, m, outcomes, copies); err != nil && retry == nil {
		retry = err
	}
	delay := time.Duration(-1)
	for _, d := range waiting {
		if wait := time.Duration(d.policy.minutes) * q.opts.RetryUnit; delay < 0 || wait < delay {
			delay = wait
		}
	}
	if retry != nil && (delay < 0 || retryDelay(tries) < delay) {
		delay = retryDelay(tries)
	}
	next := time.Now().Add(delay)
	for _, d := range waiting {
		log.Info("delivery deferred", "recipient", d.r.Address, "reply", d.report.Reply, "host", d.report.Host,
			"tries", tries, "retries", d.policy.retries, "next_try", next.Format(time.RFC3339))
	}
	m.TryCount, m.NextTryAt = tries, next.Unix()
	if err := q.st.ReleaseQueued(ctx, m); err != nil {
		log.Warn("releasing a queued message", "err", err)
		return
	}
	if delay < q.opts.PollInterval {
		// Sooner than idle workers would look by themselves.
		time.AfterFunc(delay, q.Wake)
	}
}

// finishSettled records the outcomes of m's last attempt, puts its local
// copies into their INBOXes and removes m from the queue, in a
// transaction shared with other workers (groupCommitter), then removes
// its file. It does not wait for the commit. When a recipient of m failed
// and there is a sender to tell, the outcomes are committed and m is
// removed by finish, which queues the bounce with the removal.
func (q *Queue) finishSettled(ctx context.Context, log *slog.Logger, p *workerPool, m store.QueuedMessage, outcomes []store.RecipientOutcome, copies []localCopy) {
	g := p.committer
	s := store.Settlement{MessageID: m.ID, Outcomes: outcomes, Deliveries: deliveries(copies), Finish: true, KeepIfFailed: m.From != ""}
	g.submit(s, func(res store.SettleResult, err error) {
		if err != nil {
			// Nothing of the attempt is recorded: the next try sends
			// again (at least once), after the wait for this server's
			// errors.
			log.Error("recording the delivery of a message; will retry", "err", err)
			g.spawn(func() { q.release(ctx, log, m, err) })
			return
		}
		logOutcomes(log, m, outcomes)
		q.afterDeliveries(log, copies, res)
		switch {
		case res.Err == nil:
			if err := q.files.Remove(res.Path); err != nil {
				log.Error("removing a delivered message's queue file", "err", err)
			}
		case errors.Is(res.Err, store.ErrRecipientsFailed):
			g.spawn(func() { q.finish(ctx, log, m, true) })
		case errors.Is(res.Err, store.ErrNotFound):
			// Another worker finished it.
		default:
			log.Error("removing a delivered message from the queue", "err", res.Err)
		}
	})
}

// record stores outcomes and local copies of an attempt at m that does
// not finish it, and logs those that settle a recipient.
func (q *Queue) record(ctx context.Context, log *slog.Logger, p *workerPool, m store.QueuedMessage, outcomes []store.RecipientOutcome, copies []localCopy) error {
	if len(outcomes) == 0 && len(copies) == 0 {
		return nil
	}
	res, err := p.committer.settle(store.Settlement{MessageID: m.ID, Outcomes: outcomes, Deliveries: deliveries(copies)})
	if err != nil {
		log.Error("recording the outcomes of a delivery attempt", "err", err)
		return err
	}
	logOutcomes(log, m, outcomes)
	q.afterDeliveries(log, copies, res)
	return nil
}

// localCopy is a local recipient's mailbox file, written, waiting for the
// settlement that puts it into the INBOX.
type localCopy struct {
	delivery  store.LocalDelivery
	recipient string // address
	account   string // address
}

// deliveries are the copies as the settlement takes them.
func deliveries(copies []localCopy) []store.LocalDelivery {
	if len(copies) == 0 {
		return nil
	}
	out := make([]store.LocalDelivery, len(copies))
	for i, c := range copies {
		out[i] = c.delivery
	}
	return out
}

// afterDeliveries logs what the committed settlement res did with the
// copies and removes the files of those whose account or INBOX was gone.
func (q *Queue) afterDeliveries(log *slog.Logger, copies []localCopy, res store.SettleResult) {
	for _, c := range copies {
		d := c.delivery
		switch {
		case slices.Contains(res.Delivered, d.RecipientID):
			log.Info("message delivered", "recipient", c.recipient, "account", c.account, "size", d.Size, "path", d.Path)
		case slices.Contains(res.Undelivered, d.Path):
			if err := q.files.Remove(d.Path); err != nil {
				log.Error("cannot remove an undelivered mailbox file", "path", d.Path, "err", err)
			}
			log.Info("delivery failed", "recipient", c.recipient, "reason", "the account or its INBOX no longer exists", "reply", d.GoneReply)
		}
	}
}

// release ends a worker's lease on m, for a retry after a delay when
// retry is the temporary error that stopped it, else due at once.
func (q *Queue) release(ctx context.Context, log *slog.Logger, m store.QueuedMessage, retry error) {
	if retry != nil {
		m.TryCount++
		m.NextTryAt = time.Now().Add(retryDelay(m.TryCount)).Unix()
	}
	if err := q.st.ReleaseQueued(ctx, m); err != nil {
		log.Warn("releasing a queued message", "err", err)
	}
}

// leaseKeeper renews a worker's lease on a message while it delivers it,
// a third of the lease before it would run out, so that no other worker
// or node takes the message over however long the delivery lasts.
type leaseKeeper struct {
	// ctx is for the delivery: it ends when the queue stops or the lease
	// is lost.
	ctx     context.Context
	cancel  context.CancelFunc
	quit    chan struct{}
	done    chan struct{}
	claimed store.QueuedMessage // the message as claimed; never changes
	m       store.QueuedMessage // the lease as last renewed
	lost    bool
}

func (q *Queue) keepLease(ctx, work context.Context, log *slog.Logger, m store.QueuedMessage) *leaseKeeper {
	k := &leaseKeeper{claimed: m, m: m, quit: make(chan struct{}), done: make(chan struct{})}
	k.ctx, k.cancel = context.WithCancel(ctx)
	go func() {
		defer close(k.done)
		tick := time.NewTicker(q.opts.Lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-k.quit:
				return
			case <-tick.C:
			}
			err := q.st.RenewLease(work, &k.m, q.opts.Lease)
			if errors.Is(err, store.ErrLeaseLost) {
				k.lost = true
				k.cancel()
				return
			}
			if err != nil {
				log.Warn("renewing the lease of a message; will try again", "err", err)
			}
		}
	}()
	return k
}

// stop ends the renewals and returns the message with its lease as it
// stands, and whether the lease was lost.
func (k *leaseKeeper) stop() (store.QueuedMessage, bool) {
	close(k.quit)
	<-k.done
	k.cancel()
	return k.m, k.lost
}

// deliverLocal writes recipient r's copy of the message, for the
// settlement of the attempt to put into the INBOX (store.LocalDelivery,
// committed with other workers' settlements by the groupCommitter, which
// fsyncs the copy's directory first). A temporary problem is returned for
// a retry; a permanent one fails the recipient (and the sender hears of
// it from the bounce finish sends), and there is no copy.
//
// The mailbox file holds the delivery headers (deliveryHeaders) and then
// the queue file's bytes, under a name derived from the queue row and the
// recipient (localFileID): a link to the queue file when that begins with
// the Return-Path line already and no Delivered-To is added, else a copy
// written durably. A file already under that name is an earlier
// attempt's, which a crash or a failed commit stopped before its row; a
// link and a Write are atomic, so it is complete, and it is used as it is
// — its quota check was passed when it was made. returnPath keeps, for the
// message's other local recipients, what the queue file begins with.
func (q *Queue) deliverLocal(ctx context.Context, log *slog.Logger, m store.QueuedMessage, r store.QueuedRecipient, addDeliveredTo bool, returnPath *returnPathSkip) (*localCopy, error) {
	account, err := q.st.Account(ctx, r.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, q.fail(ctx, log, m, r, replyAccountGone)
	}
	if err != nil {
		return nil, err
	}
	rel, err := store.AccountMessagePath(account.Address, localFileID(m, r))
	if err != nil {
		return nil, q.fail(ctx, log, m, r, "550 5.1.3 the recipient's address cannot be stored: "+err.Error())
	}
	size, err := q.fileSize(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		headers := deliveryHeaders(m.From, account.Address, addDeliveredTo)
		// A message Accept queued with its Return-Path line (one only for
		// local accounts) needs no more headers unless Delivered-To is
		// added; then the line is read from the headers, not the file.
		skip, err := returnPath.of(q, m)
		if err != nil {
			return nil, err
		}
		full, err := q.overQuota(ctx, account, int64(len(headers))-skip+m.Size)
		if err != nil {
			return nil, err
		}
		if full {
			return nil, q.fail(ctx, log, m, r, replyInboxFull)
		}
		if skip > 0 && !addDeliveredTo {
			size, err = q.linkMailboxFile(m, rel)
		} else {
			size, err = q.writeMailboxFile(m.Path, rel, headers, skip)
		}
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	if testHookAfterMailboxFile != nil {
		testHookAfterMailboxFile(rel)
	}
	return &localCopy{
		delivery:  store.LocalDelivery{RecipientID: r.ID, Path: rel, Size: size, GoneReply: replyInboxGone},
		recipient: r.Address,
		account:   account.Address,
	}, nil
}

// deliveryHeaders are the header fields final delivery puts before the
// message: Return-Path with the envelope sender (RFC 5321 4.4; "<>" for
// the null sender), then, when the AddDeliveredToHeader setting is on,
// Delivered-To with the account's address.
func deliveryHeaders(from, account string, addDeliveredTo bool) []byte {
	h := returnPathLine(from)
	if addDeliveredTo {
		h = append(h, "Delivered-To: "+oneLine(account)+"\r\n"...)
	}
	return h
}

// returnPathLine is the Return-Path header field final delivery adds for
// the envelope sender from.
func returnPathLine(from string) []byte {
	return []byte("Return-Path: <" + oneLine(from) + ">\r\n")
}

// queuedReturnPath is the length of the Return-Path line m's queue file
// begins with (Accept writes one before a message only for local
// accounts), or 0 when it does not begin with m's. A message that came with
// exactly that line of its own is treated the same: it ends up with the
// one Return-Path it needs either way.
func (q *Queue) queuedReturnPath(m store.QueuedMessage) (int64, error) {
	want := returnPathLine(m.From)
	f, err := q.files.Open(m.Path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(f, got); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil
		}
		return 0, err
	}
	if !bytes.Equal(got, want) {
		return 0, nil
	}
	return int64(len(want)), nil
}

// returnPathSkip is queuedReturnPath's answer for one attempt at a
// message, read at the first local recipient that needs it.
type returnPathSkip struct {
	n    int64
	read bool
}

// of returns the length of the Return-Path line m's queue file begins
// with, reading the file the first time only.
func (s *returnPathSkip) of(q *Queue, m store.QueuedMessage) (int64, error) {
	if !s.read {
		n, err := q.queuedReturnPath(m)
		if err != nil {
			return 0, err
		}
		s.n, s.read = n, true
	}
	return s.n, nil
}

// linkMailboxFile gives the mailbox file rel the queue file of m itself —
// already durable, and never changed once written — as a second name
// (messagefile.LinkBeforeDirSync), and returns its size, m.Size. The name is
// durable once its directory is fsynced (the settlement's round does that).
// Where the file system makes no link, the bytes are copied.
func (q *Queue) linkMailboxFile(m store.QueuedMessage, rel string) (int64, error) {
	err := q.files.LinkBeforeDirSync(m.Path, rel)
	switch {
	case err == nil:
		return m.Size, nil
	case errors.Is(err, fs.ErrExist):
		// Another worker, whose lease on the message ran out, was first.
		return q.fileSize(rel)
	case errors.Is(err, messagefile.ErrLinkUnsupported):
		return q.writeMailboxFile(m.Path, rel, nil, 0)
	}
	return 0, err
}

// overQuota reports whether size more bytes would take the account over
// its maximum size (manual: Accounts → Maximum size (MB): "If the limit
// is reached the account will not be able to receive any more email").
// Concurrent deliveries to one account each check against what is stored
// before them, so together they can pass the limit by the messages in
// flight.
func (q *Queue) overQuota(ctx context.Context, account store.Account, size int64) (bool, error) {
	limit := account.MaxSizeBytes()
	if limit == 0 {
		return false, nil
	}
	used, err := q.st.AccountSize(ctx, account.ID)
	if err != nil {
		return false, err
	}
	return used+size > limit, nil
}

// writeMailboxFile writes headers and then the bytes of the queue file
// queued, from byte skip on, to the new mailbox file rel, its content durable and its name
// durable once its directory is fsynced (the settlement's round does
// that), and returns its size. If rel exists it is left as it is and its
// size returned.
func (q *Queue) writeMailboxFile(queued, rel string, headers []byte, skip int64) (int64, error) {
	f, err := q.files.Open(queued)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(skip, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := q.files.WriteBeforeDirSync(rel, io.MultiReader(bytes.NewReader(headers), f))
	if errors.Is(err, fs.ErrExist) {
		// Another worker, whose lease on the message ran out, was first.
		return q.fileSize(rel)
	}
	return n, err
}

// fileSize is the size of the message file rel; the error wraps
// fs.ErrNotExist when there is none.
func (q *Queue) fileSize(rel string) (int64, error) {
	abs, err := q.files.Abs(rel)
	if err != nil {
		return 0, err
	}
	info, err := os.Lstat(abs)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// localFileID names recipient r's mailbox file: the same on every attempt,
// different for every recipient of every message ever queued (the queue
// file's name is random, the row ids are unique), so a retry finds its own
// earlier copy and nothing else.
func localFileID(m store.QueuedMessage, r store.QueuedRecipient) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", m.Path, m.ID, r.ID))
	return hex.EncodeToString(sum[:16])
}

// fail marks a recipient failed and logs why. reply may be a stored
// report (recipientReport).
func (q *Queue) fail(ctx context.Context, log *slog.Logger, m store.QueuedMessage, r store.QueuedRecipient, reply string) error {
	if err := q.st.FailRecipient(ctx, m.ID, r.ID, reply); err != nil {
		return err
	}
	rep := parseReport(reply)
	_, _, reason := parseReply(rep.Reply)
	attrs := []any{"recipient", r.Address, "reason", reason, "reply", rep.Reply}
	if rep.Tries > 0 {
		attrs = append(attrs, "tries", rep.Tries)
	}
	if rep.Host != "" {
		attrs = append(attrs, "host", rep.Host)
	}
	log.Info("delivery failed", attrs...)
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
	// No bounce: it could not say what the message was.
	q.finish(ctx, log, m, false)
	return true
}

// finish removes a settled message from the queue: the row first, then
// the file, so that a crash in between leaves only a file without a row,
// which reconciliation removes. With notify, and a sender to tell, the
// local recipients that failed get a bounce, queued in the transaction
// that removes the row (queueBounce).
func (q *Queue) finish(ctx context.Context, log *slog.Logger, m store.QueuedMessage, notify bool) {
	var path string
	var err error
	if notify && m.From != "" {
		path, err = q.finishWithBounce(ctx, log, m)
	} else {
		path, err = q.st.FinishQueued(ctx, m.ID)
	}
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
