package queue

import (
	"bytes"
	"context"
	"io"

	"github.com/mailwright/mailwright/server/recipients"
	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// The mirror address (manual: Settings → Advanced → Mirror: "The email
// address all email should be forwarded to"). Every message Accept takes
// gets a copy for it: a second queued message, from the same envelope
// sender, whose file is the message with a Delivered-To header field for
// each of its original recipients (their RCPT TO addresses) in front.
// The copy is queued in the transaction that queues the message, so the
// two are accepted together or not at all, and is delivered, retried and
// bounced like any message. It is never mirrored itself (it does not pass
// through Accept), nor are bounces, so mirroring cannot loop inside the
// server.
//
// The mirror address is resolved as a RCPT TO address would be, with the
// message's sender: an account, an alias, a distribution list, a
// catch-all, or an address on another server. Following the manual, "Messages
// with the mirror address in the recipient list are not mirrored", and
// "if a local address has been specified but the domain or account is
// inactive or the account does not exist an error is logged" — and the
// message is accepted without a copy.

// mirrorCopy writes the copy of the message just written for queue id for
// the mirror address, if there is one to make, and returns it ready to
// queue, its file registered as being accepted (the caller ends that).
// With no copy to make it returns a message without Path. When the error
// is not nil and Path is set, the caller removes that file (a missing one
// is no error). The copy leaves out the first skip bytes of the original:
// the Return-Path line Accept put before a message only for local accounts.
func (q *Queue) mirrorCopy(ctx context.Context, id, from string, rcpts []Recipient, skip int64) (store.QueuedMessage, error) {
	targets := q.mirrorTargets(ctx, id, from, rcpts)
	if len(targets) == 0 {
		return store.QueuedMessage{}, nil
	}
	rel, err := messagefile.QueuePath(messagefile.NewID())
	if err != nil {
		return store.QueuedMessage{}, err
	}
	original, err := messagefile.QueuePath(id)
	if err != nil {
		return store.QueuedMessage{}, err
	}
	f, err := q.files.Open(original)
	if err != nil {
		return store.QueuedMessage{}, err
	}
	defer f.Close()
	if _, err := f.Seek(skip, io.SeekStart); err != nil {
		return store.QueuedMessage{}, err
	}
	q.startAccepting(rel)
	m := store.QueuedMessage{Path: rel, From: from, Recipients: targets}
	m.Size, err = q.files.Write(rel, io.MultiReader(bytes.NewReader(mirrorHeaders(rcpts)), f))
	return m, err
}

// mirrorTargets resolves the mirror address for a message from from to
// rcpts, and returns nothing when there is no mirror address, the message
// is already for it, or it cannot receive mail (which is logged as an
// error).
func (q *Queue) mirrorTargets(ctx context.Context, id, from string, rcpts []Recipient) []store.QueuedRecipient {
	mirror, err := q.st.Setting(ctx, "MirrorAddress")
	if err != nil {
		q.log.Error("reading the mirror address; the message is not mirrored", "queue_id", id, "err", err)
		return nil
	}
	if mirror == "" {
		return nil
	}
	lower := store.Lower(mirror)
	for _, r := range rcpts {
		if store.Lower(r.Address) == lower || store.Lower(r.OriginalAddress) == lower {
			return nil // manual: not mirrored, to prevent looping
		}
	}
	targets, err := q.recipients.Resolve(ctx, mirror, recipients.Sender{Address: from})
	if err != nil {
		if reply, ok := smtpreply.As(err); ok {
			q.log.Error("the mirror address cannot receive mail; the message is not mirrored",
				"queue_id", id, "mirror", mirror, "reply", reply.String())
		} else {
			q.log.Error("resolving the mirror address; the message is not mirrored", "queue_id", id, "mirror", mirror, "err", err)
		}
		return nil
	}
	out := make([]store.QueuedRecipient, len(targets))
	for i, t := range targets {
		out[i] = store.QueuedRecipient{Address: t.Address, OriginalAddress: mirror, AccountID: t.AccountID}
	}
	return out
}

// mirrorHeaders are the header fields in front of the mirror's copy: a
// Delivered-To field with each original recipient's RCPT TO address, once
// each, in the order given (the "recipient address as given in the SMTP
// envelope", as the manual describes the Delivered-To header).
func mirrorHeaders(rcpts []Recipient) []byte {
	var b bytes.Buffer
	seen := map[string]bool{}
	for _, r := range rcpts {
		address := r.OriginalAddress
		if address == "" {
			address = r.Address
		}
		if key := store.Lower(address); !seen[key] {
			seen[key] = true
			b.WriteString("Delivered-To: " + oneLine(address) + "\r\n")
		}
	}
	return b.Bytes()
}
