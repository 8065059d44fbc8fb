package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailwright/mailwright/store/messagefile"
)

// The delivery queue's rows: a queued message is a messages row in state
// MessageQueued (account_id 0, folder_id 0) whose file lies under queue/,
// with one message_recipients row per recipient. Workers lease messages
// with ClaimQueued, settle each recipient (DeliverLocal or FailRecipient,
// or the outcomes of an attempt at other servers) and remove the message
// once none is pending — FinishQueued, or SettleQueued, which records the
// outcomes and removes many messages in one transaction.

// Recipient statuses.
const (
	RecipientPending   = 0 // not yet delivered
	RecipientDelivered = 1 // in the mailbox, or accepted by the next server
	RecipientFailed    = 2 // given up; LastReply says why
)

// QueuedRecipient is one recipient of a queued message.
type QueuedRecipient struct {
	ID              int64
	Address         string // where it goes, after alias and list resolution
	OriginalAddress string // the RCPT TO address it came from
	AccountID       int64  // the local account; 0 for an external address
	Status          int
	LastReply       string
}

// QueuedMessage is a message waiting for delivery.
type QueuedMessage struct {
	ID         int64
	Path       string // the queue file, from messagefile.QueuePath
	Size       int64
	From       string // the envelope sender; "" for the null sender <>
	Recipients []QueuedRecipient
	TryCount   int
	NextTryAt  int64 // Unix seconds
	CreatedAt  int64

	// LockedBy and LockedUntil are the lease ClaimQueued handed out: the
	// worker's name and the Unix second the lease ends. Together they are
	// the token that ReleaseQueued and RenewLease check, so a worker whose
	// lease ran out cannot disturb the next holder.
	LockedBy    string
	LockedUntil int64
}

// ErrLeaseLost is returned by ReleaseQueued and RenewLease when the
// message is no longer leased under the caller's token: the lease expired
// and another worker claimed it, or the message is gone.
var ErrLeaseLost = errors.New("store: the queued message's lease was lost")

// ErrRecipientsPending is returned by FinishQueued while a recipient of
// the message is still pending.
var ErrRecipientsPending = errors.New("store: the queued message still has pending recipients")

// maxRecipientChars is the length of the recipient address columns ({name}), in characters.
const maxRecipientChars = 255

// Enqueue records a message whose file is already durable at m.Path: the
// messages row (state MessageQueued, account_id 0, folder_id 0) and its
// recipients, in one transaction. The message is due at m.NextTryAt, or at
// once when that is 0. It returns m with the ids, the creation time and the
// recipients' pending status filled in.
func (s *Store) Enqueue(ctx context.Context, m QueuedMessage) (QueuedMessage, error) {
	if err := validateQueued(m); err != nil {
		return QueuedMessage{}, err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = s.enqueueTx(ctx, tx, m)
		return err
	})
	if err != nil {
		return QueuedMessage{}, fmt.Errorf("store: enqueue %s: %w", m.Path, err)
	}
	return m, nil
}

// validateQueued checks a message before it is queued.
func validateQueued(m QueuedMessage) error {
	if err := messagefile.ValidateRel(m.Path); err != nil {
		return invalid("path", "%v", err)
	}
	if !strings.HasPrefix(m.Path, messagefile.QueueDir+"/") {
		return invalid("path", "%q is not below the queue directory", m.Path)
	}
	if m.Size < 0 {
		return invalid("size", "must not be negative")
	}
	if len(m.Recipients) == 0 {
		return invalid("recipients", "a message needs at least one recipient")
	}
	for _, r := range m.Recipients {
		if r.Address == "" {
			return invalid("recipients", "empty recipient address")
		}
		if utf8.RuneCountInString(r.Address) > maxRecipientChars || utf8.RuneCountInString(r.OriginalAddress) > maxRecipientChars {
			return invalid("recipients", "the address %.40q... is longer than %d characters", r.Address, maxRecipientChars)
		}
		if r.AccountID < 0 {
			return invalid("recipients", "negative account id for %s", r.Address)
		}
	}
	return nil
}

// enqueueTx inserts a validated message and its recipients in the
// caller's transaction and returns m as Enqueue does.
func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, m QueuedMessage) (QueuedMessage, error) {
	m.CreatedAt = s.unix()
	if m.NextTryAt == 0 {
		m.NextTryAt = m.CreatedAt
	}
	m.TryCount, m.LockedBy, m.LockedUntil = 0, "", 0
	m.Recipients = append([]QueuedRecipient(nil), m.Recipients...)
	var err error
	m.ID, err = s.insertPrepared(ctx, tx, "messages", queuedMessageColumns,
		0, 0, 0, MessageQueued, m.Path, m.Size, 0, m.From, m.CreatedAt, m.CreatedAt, m.NextTryAt, 0, "", 0)
	if err != nil {
		return m, err
	}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		r.Status, r.LastReply = RecipientPending, ""
		r.ID, err = s.insertPrepared(ctx, tx, "message_recipients", queuedRecipientColumns,
			m.ID, r.Address, Lower(r.Address), r.OriginalAddress, r.AccountID, RecipientPending, "")
		if err != nil {
			return m, err
		}
	}
	return m, nil
}

// ClaimQueued leases up to limit due messages (next_try_at has come and
// nobody holds an unexpired lease) to worker until lease from now, and
// returns them with their recipients, oldest due first.
//
// The candidates are read first without locks; then one conditional
// UPDATE over a batch of them takes those nobody holds, which for each
// message succeeds for exactly one of any number of workers or nodes
// racing for it, on every engine. A batch that loses some messages to a
// race goes on with the next candidates. The messages and their
// recipients are then read in two queries, whatever their number.
func (s *Store) ClaimQueued(ctx context.Context, worker string, limit int, lease time.Duration) ([]QueuedMessage, error) {
	if worker == "" {
		return nil, invalid("worker", "a worker needs a name")
	}
	if limit <= 0 {
		return nil, nil
	}
	now := s.unix()
	until := now + max(int64(lease/time.Second), 1)
	// Read more candidates than wanted: concurrent workers see the same
	// first rows and all but one lose each of them.
	candidates, err := s.dueQueuedIDs(ctx, now, 4*limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim queued messages: %w", err)
	}
	var claimed []int64
	for len(candidates) > 0 && len(claimed) < limit {
		batch := candidates[:min(limit-len(claimed), len(candidates))]
		candidates = candidates[len(batch):]
		got, err := s.claimBatch(ctx, worker, batch, now, until)
		if err != nil {
			return nil, fmt.Errorf("store: claim queued messages: %w", err)
		}
		claimed = append(claimed, got...)
	}
	out, err := s.queuedByID(ctx, claimed)
	if err != nil {
		return nil, fmt.Errorf("store: claim queued messages: %w", err)
	}
	return out, nil
}

// claimBatch leases those of the messages ids that are due at now and not
// leased to worker until until, and returns their ids in the order given.
func (s *Store) claimBatch(ctx context.Context, worker string, ids []int64, now, until int64) ([]int64, error) {
	args := []any{worker, until, MessageQueued, now, now}
	res, err := s.execIn(ctx, len(ids), "UPDATE messages SET locked_by = ?, locked_until = ? WHERE "+byIDState+" AND next_try_at <= ? AND locked_until < ? AND id IN ("+placeholders(len(ids))+")",
		append(args, int64Args(ids)...)...)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err == nil && n == int64(len(ids)) {
		return ids, nil
	}
	// Some went to another worker (or left the queue): see which are ours.
	// The lease token (worker, until) is this claim's: worker claims
	// nothing else while it waits for this one.
	rows, err := s.queryIn(ctx, len(ids), "SELECT id FROM messages WHERE "+byIDState+" AND locked_by = ? AND locked_until = ? AND id IN ("+placeholders(len(ids))+")",
		append([]any{MessageQueued, worker, until}, int64Args(ids)...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ours := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ours[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []int64
	for _, id := range ids {
		if ours[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// byIDState is the condition on the state of messages picked by an id
// list, written so that no engine finds the rows through the queue index
// (state, next_try_at) — SQLite did, and read every due message to find
// a few — rather than by their ids.
const byIDState = "state + 0 = ?"

// queuedByID reads the queued messages ids with their recipients, in the
// order of ids; a message no longer queued is left out.
func (s *Store) queuedByID(ctx context.Context, ids []int64) ([]QueuedMessage, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in := placeholders(len(ids))
	rows, err := s.queryIn(ctx, len(ids), "SELECT "+queuedColumns+" FROM messages WHERE "+byIDState+" AND id IN ("+in+")",
		append([]any{MessageQueued}, int64Args(ids)...)...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*QueuedMessage, len(ids))
	for rows.Next() {
		m, err := scanQueued(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[m.ID] = &m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.queryIn(ctx, len(ids), "SELECT message_id, id, address, original_address, local_account_id, status, last_reply FROM message_recipients WHERE message_id IN ("+in+") ORDER BY message_id, id",
		int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var messageID int64
		var r QueuedRecipient
		if err := rows.Scan(&messageID, &r.ID, &r.Address, &r.OriginalAddress, &r.AccountID, &r.Status, &r.LastReply); err != nil {
			return nil, err
		}
		if m := byID[messageID]; m != nil {
			m.Recipients = append(m.Recipients, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]QueuedMessage, 0, len(byID))
	for _, id := range ids {
		if m := byID[id]; m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

const queuedColumns = "id, path, size, from_address, try_count, next_try_at, created_at, locked_by, locked_until"

func scanQueued(row interface{ Scan(...any) error }) (QueuedMessage, error) {
	var m QueuedMessage
	err := row.Scan(&m.ID, &m.Path, &m.Size, &m.From, &m.TryCount, &m.NextTryAt, &m.CreatedAt, &m.LockedBy, &m.LockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	return m, err
}

// QueuedMessage returns a queued message with its recipients.
func (s *Store) QueuedMessage(ctx context.Context, id int64) (QueuedMessage, error) {
	m, err := scanQueued(s.queryRow(ctx, s.db, "SELECT "+queuedColumns+" FROM messages WHERE id = ? AND state = ?", id, MessageQueued))
	if err != nil {
		return QueuedMessage{}, err
	}
	rows, err := s.query(ctx, s.db, "SELECT id, address, original_address, local_account_id, status, last_reply FROM message_recipients WHERE message_id = ? ORDER BY id", id)
	if err != nil {
		return QueuedMessage{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var r QueuedRecipient
		if err := rows.Scan(&r.ID, &r.Address, &r.OriginalAddress, &r.AccountID, &r.Status, &r.LastReply); err != nil {
			return QueuedMessage{}, err
		}
		m.Recipients = append(m.Recipients, r)
	}
	return m, rows.Err()
}

// QueuedMessages lists every queued message, without recipients, by id:
// what start-up reconciliation compares with the files under queue/.
func (s *Store) QueuedMessages(ctx context.Context) ([]QueuedMessage, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+queuedColumns+" FROM messages WHERE state = ? ORDER BY id", MessageQueued)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QueuedMessage
	for rows.Next() {
		m, err := scanQueued(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeliverLocal puts queued message messageID into the INBOX of recipient
// recipientID's account, as the file rel (already durable: the
// recipient's copy of the queue file) of size bytes, and marks the
// recipient delivered — in one transaction, so the mailbox row and the
// recipient's status change together or not at all.
//
// A recipient that is not pending (delivered already, or failed) is left
// alone and nil returned: a retry after a crash, or a second worker whose
// lease ran out, never delivers twice. The recipient's status is updated
// first, which takes its row lock, so of two concurrent calls the second
// waits and then finds nothing pending. If the account or its INBOX is
// gone the error wraps ErrNotFound and the recipient stays pending.
func (s *Store) DeliverLocal(ctx context.Context, messageID, recipientID int64, rel string, size int64) error {
	if err := messagefile.ValidateRel(rel); err != nil {
		return invalid("path", "%v", err)
	}
	if err := s.prepareSettle(ctx); err != nil {
		return fmt.Errorf("store: deliver queued message %d to recipient %d: %w", messageID, recipientID, err)
	}
	var inbox int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		inbox, err = s.deliverLocalTx(ctx, tx, messageID, recipientID, rel, size)
		return err
	})
	if errors.Is(err, errNothingPending) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: deliver queued message %d to recipient %d: %w", messageID, recipientID, err)
	}
	s.notifyFolders(inbox)
	return nil
}

// deliverLocalTx is DeliverLocal in the caller's transaction, with its
// statements prepared (prepareSettle), and returns the INBOX's id. When
// the recipient is not pending the error is errNothingPending and nothing
// was written; when the account or its INBOX is gone it wraps
// ErrNotFound, and the recipient's status has been set to delivered in tx
// (the caller rolls back or sets it to failed).
func (s *Store) deliverLocalTx(ctx context.Context, tx *sql.Tx, messageID, recipientID int64, rel string, size int64) (int64, error) {
	if err := messagefile.ValidateRel(rel); err != nil {
		return 0, invalid("path", "%v", err)
	}
	res, err := s.execPrepared(ctx, tx, deliverStatusQuery, RecipientDelivered, "", recipientID, messageID, RecipientPending)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if n == 0 {
		return 0, errNothingPending
	}
	var accountID, receivedAt int64
	err = s.queryRowPrepared(ctx, tx, deliverRecipientQuery, recipientID, MessageQueued).Scan(&accountID, &receivedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("queued message %d: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	if accountID == 0 {
		return 0, invalid("recipient", "recipient %d is not a local account", recipientID)
	}
	var inbox int64
	err = s.queryRowPrepared(ctx, tx, deliverInboxQuery, accountID).Scan(&inbox)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("the INBOX of account %d: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	// The internal date of a message that came by SMTP is when it was
	// received (RFC 3501 2.3.3); new mail is \Recent.
	_, err = s.addToFolderTx(ctx, tx, StoredMessage{AccountID: accountID, FolderID: inbox, Path: rel, Size: size,
		Flags: FlagRecent, InternalDate: receivedAt})
	return inbox, err
}

// errNothingPending rolls DeliverLocal's transaction back when the
// recipient is not pending.
var errNothingPending = errors.New("nothing pending")

// addToFolderTx is AddToFolder inside the caller's transaction: it gives m
// the folder's next UID and inserts its row. The UID is taken by UPDATE
// first, which locks the folder row on every engine, so concurrent
// deliveries to one folder queue up there and a UID is never handed out
// twice.
func (s *Store) addToFolderTx(ctx context.Context, tx *sql.Tx, m StoredMessage) (StoredMessage, error) {
	if err := messagefile.ValidateRel(m.Path); err != nil {
		return StoredMessage{}, invalid("path", "%v", err)
	}
	res, err := s.execIfPrepared(ctx, tx, folderNextUIDQuery, m.FolderID, m.AccountID)
	if err != nil {
		return StoredMessage{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return StoredMessage{}, invalid("folder_id", "the account has no folder with id %d", m.FolderID)
	}
	var next int64
	if err := s.queryRowIfPrepared(ctx, tx, folderUIDQuery, m.FolderID).Scan(&next); err != nil {
		return StoredMessage{}, err
	}
	m.UID = uint32(next - 1)
	m.ID, err = s.insertPrepared(ctx, tx, "messages", queuedMessageColumns,
		m.AccountID, m.FolderID, int64(m.UID), MessageStored, m.Path, m.Size, m.Flags, "", m.InternalDate, s.unix(), 0, 0, "", 0)
	if err != nil {
		return StoredMessage{}, err
	}
	return m, nil
}

// FailRecipient marks a pending recipient failed with the reply that says
// why. A recipient that is not pending is left alone.
func (s *Store) FailRecipient(ctx context.Context, messageID, recipientID int64, reply string) error {
	_, err := s.exec(ctx, s.db, "UPDATE message_recipients SET status = ?, last_reply = ? WHERE id = ? AND message_id = ? AND status = ?",
		RecipientFailed, reply, recipientID, messageID, RecipientPending)
	if err != nil {
		return fmt.Errorf("store: fail recipient %d of queued message %d: %w", recipientID, messageID, err)
	}
	return nil
}

// FailPending marks every pending recipient of a message failed with one
// reply and returns how many there were.
func (s *Store) FailPending(ctx context.Context, messageID int64, reply string) (int, error) {
	res, err := s.exec(ctx, s.db, "UPDATE message_recipients SET status = ?, last_reply = ? WHERE message_id = ? AND status = ?",
		RecipientFailed, reply, messageID, RecipientPending)
	if err != nil {
		return 0, fmt.Errorf("store: fail the recipients of queued message %d: %w", messageID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ReleaseQueued ends m's lease and stores m.NextTryAt and m.TryCount, as
// the caller set them, for the next attempt. The lease must still be m's
// (m.LockedBy and m.LockedUntil as ClaimQueued or RenewLease returned
// them), or the error is ErrLeaseLost and nothing changes.
func (s *Store) ReleaseQueued(ctx context.Context, m QueuedMessage) error {
	res, err := s.exec(ctx, s.db, "UPDATE messages SET locked_by = ?, locked_until = ?, next_try_at = ?, try_count = ? WHERE id = ? AND state = ? AND locked_by = ? AND locked_until = ?",
		"", 0, m.NextTryAt, m.TryCount, m.ID, MessageQueued, m.LockedBy, m.LockedUntil)
	if err != nil {
		return fmt.Errorf("store: release queued message %d: %w", m.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, ErrLeaseLost)
	}
	return nil
}

// RenewLease extends m's lease to lease from now, for a worker whose
// delivery takes longer than it expected, and updates m.LockedUntil. The
// lease must still be m's, or the error is ErrLeaseLost.
func (s *Store) RenewLease(ctx context.Context, m *QueuedMessage, lease time.Duration) error {
	until := s.unix() + max(int64(lease/time.Second), 1)
	if until == m.LockedUntil {
		return nil
	}
	res, err := s.exec(ctx, s.db, "UPDATE messages SET locked_until = ? WHERE id = ? AND state = ? AND locked_by = ? AND locked_until = ?",
		until, m.ID, MessageQueued, m.LockedBy, m.LockedUntil)
	if err != nil {
		return fmt.Errorf("store: renew the lease of queued message %d: %w", m.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, ErrLeaseLost)
	}
	m.LockedUntil = until
	return nil
}

// ReleaseLeases ends every lease held by worker or by a name starting with
// worker + "/", and returns how many it ended. A node calls it at start
// for its own name: the leases its workers held when it stopped (or was
// killed) would otherwise keep their messages waiting until they expire.
func (s *Store) ReleaseLeases(ctx context.Context, worker string) (int, error) {
	if worker == "" {
		return 0, invalid("worker", "a worker needs a name")
	}
	res, err := s.exec(ctx, s.db, "UPDATE messages SET locked_by = ?, locked_until = ? WHERE state = ? AND locked_until > ? AND (locked_by = ? OR locked_by LIKE ? ESCAPE '!')",
		"", 0, MessageQueued, 0, worker, likeEscape(worker)+"/%")
	if err != nil {
		return 0, fmt.Errorf("store: release the leases of %s: %w", worker, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// FinishQueued deletes a queued message's row and its recipients once none
// is pending, and returns the path of its queue file, which the caller then
// removes. While a recipient is pending the error is ErrRecipientsPending;
// if the message is gone (another worker finished it) it is ErrNotFound.
func (s *Store) FinishQueued(ctx context.Context, messageID int64) (string, error) {
	var path string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		path, err = s.finishTx(ctx, tx, messageID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: finish queued message %d: %w", messageID, err)
	}
	return path, nil
}

// FinishQueuedAndEnqueue is FinishQueued and Enqueue(next) in one
// transaction: the message a settled one gives rise to (its bounce) is
// queued exactly when the settled one leaves the queue, so a crash or a
// second worker finishing the same message can neither lose it nor queue
// it twice. next's file must already be durable. When the error is not
// nil nothing changed, and the caller removes next's file.
func (s *Store) FinishQueuedAndEnqueue(ctx context.Context, messageID int64, next QueuedMessage) (path string, queued QueuedMessage, err error) {
	if err := validateQueued(next); err != nil {
		return "", QueuedMessage{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if path, err = s.finishTx(ctx, tx, messageID); err != nil {
			return err
		}
		queued, err = s.enqueueTx(ctx, tx, next)
		return err
	})
	if err != nil {
		return "", QueuedMessage{}, fmt.Errorf("store: finish queued message %d and enqueue %s: %w", messageID, next.Path, err)
	}
	return path, queued, nil
}

// Settlement is what a worker decided about a claimed message at the end
// of an attempt, for SettleQueued.
type Settlement struct {
	MessageID int64
	// Outcomes are recorded as RecordOutcomes records them: only pending
	// recipients change.
	Outcomes []RecipientOutcome
	// Finish removes the message once no recipient is pending, as
	// FinishQueued does; else the message stays queued.
	Finish bool
	// KeepIfFailed, with Finish, leaves a message with a failed recipient
	// queued, its outcomes recorded, and its result is
	// ErrRecipientsFailed: the caller queues the bounce with the removal
	// (FinishQueuedAndEnqueue).
	KeepIfFailed bool
	// Deliveries put local recipients' copies into their INBOXes, as
	// DeliverLocal does, before the outcomes are recorded: each mailbox
	// row and its recipient's status commit with the rest of the round.
	Deliveries []LocalDelivery
}

// LocalDelivery is a local recipient's copy of a queued message: the
// mailbox file Path of Size bytes, already durable (its directory's fsync
// included) when SettleQueued is called.
type LocalDelivery struct {
	RecipientID int64
	Path        string
	Size        int64
	// GoneReply is the reply the recipient fails with when its account or
	// its INBOX no longer exists; the file is then listed in the result's
	// Undelivered, for the caller to remove after the commit.
	GoneReply string
}

// SettleResult is what SettleQueued did with one settlement: Path is the
// queue file of a message it removed, for the caller to remove; Err is
// nil, ErrRecipientsPending or ErrRecipientsFailed (the message stays,
// the outcomes are recorded), or ErrNotFound (the message had left the
// queue).
type SettleResult struct {
	Path string
	Err  error
	// Undelivered are the mailbox files of Deliveries whose account or
	// INBOX was gone: nothing refers to them.
	Undelivered []string
	// Delivered are the recipients of Deliveries put into an INBOX by
	// this settlement (not those found settled already).
	Delivered []int64

	// inboxes are the folders the deliveries went to, whose watchers are
	// woken after the commit.
	inboxes []int64
}

// ErrRecipientsFailed is SettleQueued's result for a settlement with
// KeepIfFailed whose message has a failed recipient.
var ErrRecipientsFailed = errors.New("store: the queued message has failed recipients")

// SettleQueued records the outcomes of several attempts and removes the
// messages they finished, all in one transaction: the group commit of
// the delivery queue's workers, one commit (and one fsync) for what many
// of them settled. Each recipient's outcome is durable no later than the
// removal of its message. When the transaction fails as a whole, each
// settlement is tried again in a transaction of its own, so that one
// that cannot be written does not hold back the others; the error is
// then the first of those, and the results say which went through.
func (s *Store) SettleQueued(ctx context.Context, settlements []Settlement) ([]SettleResult, error) {
	for _, st := range settlements {
		for _, o := range st.Outcomes {
			if o.Status != RecipientPending && o.Status != RecipientDelivered && o.Status != RecipientFailed {
				return nil, invalid("status", "%d is not a recipient status", o.Status)
			}
		}
	}
	if err := s.prepareSettle(ctx); err != nil {
		return nil, fmt.Errorf("store: settle queued messages: %w", err)
	}
	results := make([]SettleResult, len(settlements))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i, st := range settlements {
			var err error
			if results[i], err = s.settleTx(ctx, tx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(settlements) == 1 {
		if err != nil {
			return nil, fmt.Errorf("store: settle queued message %d: %w", settlements[0].MessageID, err)
		}
		s.notifyInboxes(results)
		return results, nil
	}
	var first error
	for i, st := range settlements {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var err error
			results[i], err = s.settleTx(ctx, tx, st)
			return err
		})
		if err != nil {
			results[i] = SettleResult{Err: err}
			if first == nil {
				first = fmt.Errorf("store: settle queued message %d: %w", st.MessageID, err)
			}
		}
	}
	s.notifyInboxes(results)
	return results, first
}

// notifyInboxes wakes the watchers of the INBOXes that committed
// settlements delivered to.
func (s *Store) notifyInboxes(results []SettleResult) {
	var inboxes []int64
	for _, r := range results {
		inboxes = append(inboxes, r.inboxes...)
	}
	if len(inboxes) > 0 {
		s.notifyFolders(inboxes...)
	}
}

// The statements of a settlement.
const (
	settleOutcomeQuery          = "UPDATE message_recipients SET status = ?, last_reply = ? WHERE id = ? AND message_id = ? AND status = ?"
	settlePathQuery             = "SELECT path FROM messages WHERE id = ? AND state = ?"
	settleStatusQuery           = "SELECT status FROM message_recipients WHERE message_id = ? AND status <> ?"
	settleDeleteRecipientsQuery = "DELETE FROM message_recipients WHERE message_id = ?"
	settleDeleteMessageQuery    = "DELETE FROM messages WHERE id = ? AND state = ?"
	deliverStatusQuery          = "UPDATE message_recipients SET status = ?, last_reply = ? WHERE id = ? AND message_id = ? AND status = ?"
	deliverRecipientQuery       = "SELECT r.local_account_id, m.created_at FROM message_recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = ? AND m.state = ?"
	deliverInboxQuery           = "SELECT id FROM imap_folders WHERE account_id = ? AND parent_id = 0 AND name = 'INBOX'"
	deliverGoneQuery            = "UPDATE message_recipients SET status = ?, last_reply = ? WHERE id = ? AND message_id = ?"
	folderNextUIDQuery          = "UPDATE imap_folders SET uid_next = uid_next + 1 WHERE id = ? AND account_id = ?"
	folderUIDQuery              = "SELECT uid_next FROM imap_folders WHERE id = ?"
)

// prepareSettle prepares the statements of a settlement before its
// transaction begins: preparing takes a connection of the pool, which
// inside the transaction, holding SQLite's write lock, could wait for
// connections that wait for that lock.
func (s *Store) prepareSettle(ctx context.Context) error {
	for _, q := range []string{settleOutcomeQuery, settlePathQuery, settleStatusQuery, settleDeleteRecipientsQuery, settleDeleteMessageQuery,
		deliverStatusQuery, deliverRecipientQuery, deliverInboxQuery, deliverGoneQuery, folderNextUIDQuery, folderUIDQuery,
		s.dialect.insertQuery("messages", queuedMessageColumns)} {
		if _, err := s.prepared(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// settleTx is one settlement in the caller's transaction. The returned
// error fails the transaction; the result's says what became of the
// message.
func (s *Store) settleTx(ctx context.Context, tx *sql.Tx, st Settlement) (SettleResult, error) {
	var delivered SettleResult
	for _, d := range st.Deliveries {
		inbox, err := s.deliverLocalTx(ctx, tx, st.MessageID, d.RecipientID, d.Path, d.Size)
		switch {
		case errors.Is(err, errNothingPending):
		case errors.Is(err, ErrNotFound):
			if _, err := s.execPrepared(ctx, tx, deliverGoneQuery, RecipientFailed, d.GoneReply, d.RecipientID, st.MessageID); err != nil {
				return SettleResult{}, err
			}
			delivered.Undelivered = append(delivered.Undelivered, d.Path)
		case err != nil:
			return SettleResult{}, err
		default:
			delivered.Delivered = append(delivered.Delivered, d.RecipientID)
			delivered.inboxes = append(delivered.inboxes, inbox)
		}
	}
	res, err := s.settleOutcomesTx(ctx, tx, st)
	res.Undelivered, res.Delivered, res.inboxes = delivered.Undelivered, delivered.Delivered, delivered.inboxes
	return res, err
}

// settleOutcomesTx is settleTx after the deliveries: the outcomes, and the
// removal.
func (s *Store) settleOutcomesTx(ctx context.Context, tx *sql.Tx, st Settlement) (SettleResult, error) {
	for _, o := range st.Outcomes {
		_, err := s.execPrepared(ctx, tx, settleOutcomeQuery,
			o.Status, o.Reply, o.RecipientID, st.MessageID, RecipientPending)
		if err != nil {
			return SettleResult{}, err
		}
	}
	if !st.Finish {
		return SettleResult{}, nil
	}
	var path string
	err := s.queryRowPrepared(ctx, tx, settlePathQuery, st.MessageID, MessageQueued).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return SettleResult{Err: ErrNotFound}, nil
	}
	if err != nil {
		return SettleResult{}, err
	}
	rows, err := s.queryPrepared(ctx, tx, settleStatusQuery, st.MessageID, RecipientDelivered)
	if err != nil {
		return SettleResult{}, err
	}
	pending, failed := false, false
	for rows.Next() {
		var status int
		if err := rows.Scan(&status); err != nil {
			rows.Close()
			return SettleResult{}, err
		}
		pending = pending || status == RecipientPending
		failed = failed || status == RecipientFailed
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SettleResult{}, err
	}
	switch {
	case pending:
		return SettleResult{Err: ErrRecipientsPending}, nil
	case failed && st.KeepIfFailed:
		return SettleResult{Err: ErrRecipientsFailed}, nil
	}
	if _, err := s.execPrepared(ctx, tx, settleDeleteRecipientsQuery, st.MessageID); err != nil {
		return SettleResult{}, err
	}
	res, err := s.execPrepared(ctx, tx, settleDeleteMessageQuery, st.MessageID, MessageQueued)
	if err != nil {
		return SettleResult{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return SettleResult{}, err
	} else if n != 1 {
		return SettleResult{Err: ErrNotFound}, nil
	}
	return SettleResult{Path: path}, nil
}

// finishTx deletes a settled queued message in the caller's transaction.
// The row count of the deletes is what decides, not the first read: of two
// transactions finishing one message, the second waits at the row locks of
// the first, then deletes nothing, returns ErrNotFound and so rolls back
// whatever else it did.
func (s *Store) finishTx(ctx context.Context, tx *sql.Tx, messageID int64) (string, error) {
	var path string
	err := s.queryRow(ctx, tx, "SELECT path FROM messages WHERE id = ? AND state = ?", messageID, MessageQueued).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	pending, err := s.count(ctx, tx, "SELECT COUNT(*) FROM message_recipients WHERE message_id = ? AND status = ?", messageID, RecipientPending)
	if err != nil {
		return "", err
	}
	if pending > 0 {
		return "", ErrRecipientsPending
	}
	if err := s.deleteQueuedRows(ctx, tx, messageID); err != nil {
		return "", err
	}
	return path, nil
}

// deleteQueuedRows deletes a queued message's row and its recipients;
// ErrNotFound when the message is not (or no longer) queued.
func (s *Store) deleteQueuedRows(ctx context.Context, tx *sql.Tx, messageID int64) error {
	if _, err := s.exec(ctx, tx, "DELETE FROM message_recipients WHERE message_id = ?", messageID); err != nil {
		return err
	}
	res, err := s.exec(ctx, tx, "DELETE FROM messages WHERE id = ? AND state = ?", messageID, MessageQueued)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return ErrNotFound
	}
	return nil
}

// dueQueuedIDs returns up to limit ids of queued messages that are due at
// now and not leased, oldest due first.
func (s *Store) dueQueuedIDs(ctx context.Context, now int64, limit int) ([]int64, error) {
	// Prepared: one text per limit, and the queue asks with a few limits
	// only (its number of workers).
	rows, err := s.queryPrepared(ctx, s.db, s.dialect.Page(
		"SELECT id FROM messages WHERE state = ? AND next_try_at <= ? AND locked_until < ? ORDER BY next_try_at, id", limit, 0),
		MessageQueued, now, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// placeholders is n comma-separated "?", for an IN list.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// int64Args turns ids into query arguments.
func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// prepared returns the statement for the portable query, prepared once
// for the pool and reused on each connection it runs on (within a
// transaction, through Tx.StmtContext; prepare it before the transaction
// begins, see prepareSettle): the queue's statements run for
// every message, and parsing them again each time was a seventh of the
// drain's CPU. Only statements whose text comes from a fixed set belong
// here; IN lists have one text per length, at most the largest claim.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.statements.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, s.dialect.Rebind(query))
	if err != nil {
		return nil, err
	}
	if prior, loaded := s.statements.LoadOrStore(query, st); loaded {
		st.Close()
		return prior.(*sql.Stmt), nil
	}
	return st, nil
}

// stmtOn is the prepared statement for query, bound to q's transaction
// when q is one.
func (s *Store) stmtOn(ctx context.Context, q queryer, query string) (*sql.Stmt, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if tx, ok := q.(*sql.Tx); ok {
		return tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

// maxPreparedIn is the longest IN list whose statement is kept prepared.
const maxPreparedIn = 64

// execIn runs a statement with an IN list of n on the pool, prepared when
// the list is short enough to be one of a few texts.
func (s *Store) execIn(ctx context.Context, n int, query string, args ...any) (sql.Result, error) {
	if n > maxPreparedIn {
		return s.exec(ctx, s.db, query, args...)
	}
	return s.execPrepared(ctx, s.db, query, args...)
}

// queryIn is execIn for a query.
func (s *Store) queryIn(ctx context.Context, n int, query string, args ...any) (*sql.Rows, error) {
	if n > maxPreparedIn {
		return s.query(ctx, s.db, query, args...)
	}
	return s.queryPrepared(ctx, s.db, query, args...)
}

// execPrepared is exec with a prepared statement; on the pool it takes the
// write lock as exec does.
func (s *Store) execPrepared(ctx context.Context, q queryer, query string, args ...any) (sql.Result, error) {
	st, err := s.stmtOn(ctx, q, query)
	if err != nil {
		return nil, err
	}
	if _, onPool := q.(*sql.DB); onPool {
		defer s.lockWrites()()
	}
	return st.ExecContext(ctx, args...)
}

// queryPrepared is query with a prepared statement.
func (s *Store) queryPrepared(ctx context.Context, q queryer, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmtOn(ctx, q, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRowPrepared is queryRow with a prepared statement.
func (s *Store) queryRowPrepared(ctx context.Context, q queryer, query string, args ...any) rowScanner {
	st, err := s.stmtOn(ctx, q, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// rowScanner is what *sql.Row offers.
type rowScanner interface{ Scan(...any) error }

// errRow is a row whose Scan reports the error that kept it from being
// read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
