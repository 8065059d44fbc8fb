package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// Bounces for recipients that failed — local ones (the account was
// deleted, its inbox is full, ...) and those on other servers (refused
// with a 5xx, tries exhausted, a loop to this server, a domain that does
// not exist; not those a queue without a Router could not send,
// replyRemoteUnavailable): when a message leaves the queue, its sender
// gets one bounce listing them, from mailer-daemon@<HostName> with the null
// envelope sender, so that a bounce never bounces (RFC 5321 4.5.5). Its
// recipient is resolved simply: the sender's account when the sender is a
// local account, else the external address.
//
// Exactly once, after kill -9 at any point: the bounce's file is written
// first, like an accepted message's, and its queue row is committed in
// the transaction that removes the bounced message's row
// (store.FinishQueuedAndEnqueue). A crash before that commit leaves the
// bounced message queued — its retry makes the bounce again — and the
// first bounce's file without a row, which reconciliation removes.

// finishWithBounce removes the settled message m from the queue and, if
// recipients of it failed, queues the bounce to its sender in the
// same transaction. It returns the path of m's queue file for the caller
// to remove; the error wraps store.ErrNotFound if another worker finished
// m first.
func (q *Queue) finishWithBounce(ctx context.Context, log *slog.Logger, m store.QueuedMessage) (string, error) {
	// The statuses as they are now: recipients may have failed in an
	// earlier attempt, or in this one after the claim.
	current, err := q.st.QueuedMessage(ctx, m.ID)
	if err != nil {
		return "", err
	}
	var failed []failedRecipient
	for _, r := range current.Recipients {
		if r.Status == store.RecipientFailed && (r.AccountID != 0 || r.LastReply != replyRemoteUnavailable) {
			failed = append(failed, failedFromStored(r.Address, r.OriginalAddress, r.LastReply))
		}
	}
	if len(failed) == 0 || current.From == "" {
		return q.st.FinishQueued(ctx, m.ID)
	}
	to, err := q.bounceRecipient(ctx, current.From)
	if err != nil {
		return "", err
	}
	content, err := q.bounceContent(ctx, current, failed)
	if err != nil {
		return "", err
	}

	id := messagefile.NewID()
	rel, err := messagefile.QueuePath(id)
	if err != nil {
		return "", err
	}
	q.startAccepting(rel)
	defer q.stopAccepting(rel)
	size, err := q.files.Write(rel, bytes.NewReader(content))
	if err != nil {
		return "", fmt.Errorf("storing a bounce: %w", err)
	}
	if testHookAfterBounceWrite != nil {
		testHookAfterBounceWrite(rel)
	}
	path, _, err := q.st.FinishQueuedAndEnqueue(ctx, m.ID, store.QueuedMessage{Path: rel, Size: size, From: "", Recipients: []store.QueuedRecipient{to}})
	if err != nil {
		if rerr := q.files.Remove(rel); rerr != nil {
			// Reconciliation removes it later: it has no row.
			log.Error("cannot remove the file of a bounce that was not queued", "path", rel, "err", rerr)
		}
		if _, ok := store.AsValidation(err); ok {
			// The sender's address cannot be queued (too long): nobody can
			// be told, and retrying does not change that.
			log.Error("cannot queue a bounce; the sender is not told", "to", current.From, "err", err)
			return q.st.FinishQueued(ctx, m.ID)
		}
		return "", err
	}
	log.Info("bounce queued", "bounce_queue_id", id, "to", current.From, "failed_recipients", len(failed), "size", size)
	q.Wake()
	return path, nil
}

// bounceRecipient is where a bounce to sender goes: the account, when
// sender is a local account's address, else the external address.
func (q *Queue) bounceRecipient(ctx context.Context, sender string) (store.QueuedRecipient, error) {
	a, err := q.st.AccountByAddress(ctx, sender)
	if errors.Is(err, store.ErrNotFound) {
		return store.QueuedRecipient{Address: sender, OriginalAddress: sender}, nil
	}
	if err != nil {
		return store.QueuedRecipient{}, err
	}
	return store.QueuedRecipient{Address: a.Address, OriginalAddress: sender, AccountID: a.ID}, nil
}

// bounceContent makes the bounce of queued message m for the recipients
// failed, from the server messages and the settings of the moment.
func (q *Queue) bounceContent(ctx context.Context, m store.QueuedMessage, failed []failedRecipient) ([]byte, error) {
	host, err := q.hostName(ctx)
	if err != nil {
		return nil, err
	}
	subject, err := q.serverMessage(ctx, "MESSAGE_UNDELIVERABLE", defaultUndeliverableSubject)
	if err != nil {
		return nil, err
	}
	text, err := q.serverMessage(ctx, "SEND_FAILED_NOTIFICATION", defaultSendFailedText)
	if err != nil {
		return nil, err
	}
	headers, err := q.queuedHeaders(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		// Removed from the queue meanwhile (the administrator's Delete),
		// and then the bounce is dropped; else it says what it can.
		headers = nil
	} else if err != nil {
		return nil, err
	}
	boundary := "=_mw_" + messagefile.NewID()
	for bytes.Contains(headers, []byte(boundary)) {
		boundary = "=_mw_" + messagefile.NewID()
	}
	return buildBounce(bounce{
		Host:      host,
		To:        m.From,
		Subject:   subject,
		Text:      text,
		QueueID:   queueID(m.Path),
		Arrival:   time.Unix(m.CreatedAt, 0),
		Date:      time.Now(),
		MessageID: messagefile.NewID() + "@" + host,
		Boundary:  boundary,
		Failed:    failed,
		Headers:   headers,
	}), nil
}

// queuedHeaders reads the header section of the queue file rel, at most
// maxBounceHeaders bytes of it.
func (q *Queue) queuedHeaders(rel string) ([]byte, error) {
	f, err := q.files.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Two bytes more than the limit, to see the blank line after a header
	// section of exactly the limit.
	b, err := io.ReadAll(io.LimitReader(f, maxBounceHeaders+2))
	if err != nil {
		return nil, err
	}
	return headerSection(b, maxBounceHeaders), nil
}

// hostName is the server's name in the mail it writes: the HostName
// setting (manual: Settings → Protocols → SMTP → Delivery of e-mail →
// Host name), else the machine's name.
func (q *Queue) hostName(ctx context.Context) (string, error) {
	name, err := q.st.Setting(ctx, "HostName")
	if err != nil {
		return "", err
	}
	if name == "" {
		name, _ = os.Hostname()
	}
	if name == "" {
		name = "localhost"
	}
	return name, nil
}

// serverMessage is a server message's text (manual: Settings → Advanced →
// Server messages), or def when the database has none.
func (q *Queue) serverMessage(ctx context.Context, name, def string) (string, error) {
	text, err := q.st.ServerMessageText(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return def, nil
	}
	return text, err
}
