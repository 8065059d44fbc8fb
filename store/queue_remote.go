package store

import (
	"context"
	"database/sql"
	"fmt"
)

// What the delivery queue records about recipients on other servers, and
// the copies it queues together with an accepted message (the mirror
// address's). Local recipients are settled by DeliverLocal and
// FailRecipient (queue.go).

// RecipientOutcome is what one delivery attempt found for one recipient.
type RecipientOutcome struct {
	RecipientID int64
	// Status is RecipientDelivered (the next server accepted it),
	// RecipientFailed (given up), or RecipientPending (a temporary failure:
	// only Reply is recorded, and the recipient waits for the next try).
	Status int
	Reply  string
}

// RecordOutcomes stores the outcomes of one attempt for recipients of
// queued message messageID, in one transaction. Only pending recipients
// change: a recipient another worker settled meanwhile (or the
// administrator removed with its message) is left alone, so an outcome is
// never recorded twice.
func (s *Store) RecordOutcomes(ctx context.Context, messageID int64, outcomes []RecipientOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	for _, o := range outcomes {
		if o.Status != RecipientPending && o.Status != RecipientDelivered && o.Status != RecipientFailed {
			return invalid("status", "%d is not a recipient status", o.Status)
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, o := range outcomes {
			_, err := s.exec(ctx, tx, "UPDATE message_recipients SET status = ?, last_reply = ? WHERE id = ? AND message_id = ? AND status = ?",
				o.Status, o.Reply, o.RecipientID, messageID, RecipientPending)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: record the delivery outcomes of queued message %d: %w", messageID, err)
	}
	return nil
}

// EnqueueAll is Enqueue for several messages in one transaction: all are
// queued or none is. The files must already be durable. It returns the
// messages as Enqueue does, in the same order.
func (s *Store) EnqueueAll(ctx context.Context, ms []QueuedMessage) ([]QueuedMessage, error) {
	for _, m := range ms {
		if err := validateQueued(m); err != nil {
			return nil, err
		}
	}
	out := make([]QueuedMessage, len(ms))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i, m := range ms {
			var err error
			if out[i], err = s.enqueueTx(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: enqueue %d messages: %w", len(ms), err)
	}
	return out, nil
}
