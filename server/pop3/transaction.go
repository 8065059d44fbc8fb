package pop3

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/mailwright/mailwright/store"
)

// The TRANSACTION state (RFC 1939 5) and QUIT's UPDATE state (RFC 1939 6).
// Messages are numbered from 1 in INBOX order at login; the numbers hold
// for the whole session, deleted messages included.

// message returns message number n unless it does not exist or is marked
// deleted.
func (s *session) message(n int) (store.StoredMessage, bool) {
	if n < 1 || n > len(s.messages) || s.deleted[n-1] {
		return store.StoredMessage{}, false
	}
	return s.messages[n-1], true
}

// argumentError answers a malformed message-number argument.
func (s *session) argumentError(err error) {
	switch {
	case errors.Is(err, errNoMessageNumber):
		s.reply(replyNoMessageNumber)
	case errors.Is(err, errMessageNumber):
		s.reply(replyInvalidNumber)
	default:
		s.reply(replySyntax)
	}
}

// maildrop counts the messages not marked deleted and their octets.
func (s *session) maildrop() (count int, size int64) {
	for i, m := range s.messages {
		if !s.deleted[i] {
			count++
			size += m.Size
		}
	}
	return count, size
}

// stat handles STAT (RFC 1939 5).
func (s *session) stat() {
	count, size := s.maildrop()
	s.reply("+OK " + strconv.Itoa(count) + " " + strconv.FormatInt(size, 10))
}

// list handles LIST (RFC 1939 5).
func (s *session) list(arg string) {
	n, all, err := ParseOptionalMessage(arg)
	if err != nil {
		s.argumentError(err)
		return
	}
	if !all {
		m, ok := s.message(n)
		if !ok {
			s.reply(replyNoSuchMessage)
			return
		}
		s.reply("+OK " + strconv.Itoa(n) + " " + strconv.FormatInt(m.Size, 10))
		return
	}
	count, size := s.maildrop()
	lines := make([]string, 0, count)
	for i, m := range s.messages {
		if !s.deleted[i] {
			lines = append(lines, strconv.Itoa(i+1)+" "+strconv.FormatInt(m.Size, 10))
		}
	}
	s.replyLines("+OK "+strconv.Itoa(count)+" messages ("+strconv.FormatInt(size, 10)+" octets)", lines)
}

// uidl handles UIDL (RFC 1939 7): the unique id stays the same for a
// message in every session (store.POP3UID).
func (s *session) uidl(arg string) {
	n, all, err := ParseOptionalMessage(arg)
	if err != nil {
		s.argumentError(err)
		return
	}
	if !all {
		m, ok := s.message(n)
		if !ok {
			s.reply(replyNoSuchMessage)
			return
		}
		s.reply("+OK " + strconv.Itoa(n) + " " + store.POP3UID(m))
		return
	}
	var lines []string
	for i, m := range s.messages {
		if !s.deleted[i] {
			lines = append(lines, strconv.Itoa(i+1)+" "+store.POP3UID(m))
		}
	}
	s.replyLines(replyUniqueIDListFollows, lines)
}

// retr handles RETR (RFC 1939 5).
func (s *session) retr(arg string) {
	n, err := ParseMessage(arg)
	if err != nil {
		s.argumentError(err)
		return
	}
	m, ok := s.message(n)
	if !ok {
		s.reply(replyNoSuchMessage)
		return
	}
	s.sendMessage(m, "+OK "+strconv.FormatInt(m.Size, 10)+" octets", -1)
}

// top handles TOP (RFC 1939 7): the header, the empty line and the first
// lines of the body.
func (s *session) top(arg string) {
	n, lines, err := ParseTop(arg)
	if err != nil {
		s.argumentError(err)
		return
	}
	m, ok := s.message(n)
	if !ok {
		s.reply(replyNoSuchMessage)
		return
	}
	s.sendMessage(m, replyTopFollows, lines)
}

// sendMessage writes a message's file as a multi-line response. A file
// that cannot be opened gets an error before the status line; one that
// fails part-way has already had "+OK", so the connection is closed
// rather than ended with a "." over a truncated message.
func (s *session) sendMessage(m store.StoredMessage, status string, bodyLines int) {
	f, err := s.srv.store.Files().Open(m.Path)
	if err != nil {
		s.srv.log.Error("opening a message file", "session", s.id, "path", m.Path, "error", err)
		s.reply(replyMessageUnavailable)
		return
	}
	defer f.Close()
	s.reply(status)
	d := newDotStuffer(s.w, bodyLines)
	if _, err := io.Copy(d, f); err != nil && !errors.Is(err, errTopDone) {
		s.srv.log.Error("sending a message", "session", s.id, "path", m.Path, "error", err)
		s.closeAfter = true
		return
	}
	d.end()
}

// dele handles DELE (RFC 1939 5): the message is only marked; QUIT
// deletes it.
func (s *session) dele(arg string) {
	n, err := ParseMessage(arg)
	if err != nil {
		s.argumentError(err)
		return
	}
	if _, ok := s.message(n); !ok {
		s.reply(replyNoSuchMessage)
		return
	}
	s.deleted[n-1] = true
	s.reply("+OK Message " + strconv.Itoa(n) + " deleted")
}

// rset handles RSET (RFC 1939 5): no message stays marked deleted.
func (s *session) rset() {
	clear(s.deleted)
	count, size := s.maildrop()
	s.reply("+OK Maildrop has " + strconv.Itoa(count) + " messages (" + strconv.FormatInt(size, 10) + " octets)")
}

// quit handles QUIT. After login it is the UPDATE state (RFC 1939 6): the
// messages marked deleted are deleted, rows and files, and the lock is
// released, in one store call.
func (s *session) quit(ctx context.Context) {
	s.closeAfter = true
	if s.state != stateTransaction {
		s.reply(replyGoodbye)
		return
	}
	var ids []int64
	for i, m := range s.messages {
		if s.deleted[i] {
			ids = append(ids, m.ID)
		}
	}
	// The client asked for the commit: a server shutting down meanwhile
	// still carries it out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	n, err := s.srv.store.CommitPOP3(ctx, s.lock, ids)
	switch {
	case err == nil || errors.Is(err, store.ErrMessageFilesLeft):
		s.locked = false
		if err != nil {
			s.srv.log.Warn("POP3 deletion left files behind", "session", s.id, "account", s.account.Address, "error", err)
		}
		s.srv.log.Info("POP3 logout", "session", s.id, "account", s.account.Address, "deleted", n)
		s.reply(replyGoodbye)
	case errors.Is(err, store.ErrPOP3LockLost):
		s.locked = false
		s.srv.log.Warn("POP3 lock lost before QUIT", "session", s.id, "account", s.account.Address)
		s.reply(replyNotRemoved)
	default:
		s.srv.log.Error("committing POP3 deletions", "session", s.id, "account", s.account.Address, "error", err)
		s.reply(replyNotRemoved)
	}
}
