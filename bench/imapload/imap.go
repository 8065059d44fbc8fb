//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailwright/mailwright/bench/imapload/throwaway"
)

// The IMAP mix's commands, in the order a round sends them.
var imapCommands = []string{"LOGIN", "SELECT", "FETCH", "STORE", "SEARCH", "APPEND", "EXPUNGE", "LOGOUT"}

// imapSession is one client of the IMAP mix: it owns one user's INBOX
// (one session per user), so the mailbox's size is known at every step.
type imapSession struct {
	addr    string
	user    throwaway.User
	size    int
	relogin int // LOGOUT and log in again every relogin rounds
	rng     *rand.Rand
	rec     *recorder
	c       *imapclient.Client
	next    int // number of the next appended message
}

// run loops rounds until the deadline, then logs out.
func (s *imapSession) run(deadline time.Time) {
	for round := 1; time.Now().Before(deadline); round++ {
		if err := s.round(round); err != nil {
			if s.c != nil {
				s.c.Close()
				s.c = nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if s.c != nil {
		s.c.Logout().Wait()
		s.c.Close()
		s.c = nil
	}
}

// round is the mix: (connect and LOGIN), SELECT INBOX, FETCH envelope,
// flags and the whole body of 3 messages, STORE a flag, SEARCH (unseen,
// or by subject), APPEND a message, mark the oldest \Deleted and
// EXPUNGE, so the INBOX keeps its size; every relogin-th round ends with
// LOGOUT.
func (s *imapSession) round(round int) error {
	r := s.rec
	if s.c == nil {
		err := r.timed("LOGIN", func() error {
			c, err := imapclient.DialInsecure(s.addr, nil)
			if err != nil {
				return err
			}
			if err := c.Login(s.user.Name, s.user.Password).Wait(); err != nil {
				c.Close()
				return err
			}
			s.c = c
			return nil
		})
		if err != nil {
			return err
		}
	}
	c := s.c
	var count uint32
	if err := r.timed("SELECT", func() error {
		data, err := c.Select("INBOX", nil).Wait()
		if err != nil {
			return err
		}
		count = data.NumMessages
		if count < 4 {
			return fmt.Errorf("INBOX of %s has %d messages", s.user.Name, count)
		}
		return nil
	}); err != nil {
		return err
	}
	var set imap.SeqSet
	for range 3 {
		set.AddNum(1 + s.rng.Uint32N(count))
	}
	wantFetched := len(uniqueNums(set))
	body := &imap.FetchItemBodySection{Peek: true}
	if err := r.timed("FETCH", func() error {
		msgs, err := c.Fetch(set, &imap.FetchOptions{Envelope: true, Flags: true, UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
		if err != nil {
			return err
		}
		if len(msgs) != wantFetched {
			return fmt.Errorf("%d messages for %d sequence numbers", len(msgs), wantFetched)
		}
		for _, m := range msgs {
			if m.Envelope == nil || len(m.FindBodySection(body)) != s.size {
				return fmt.Errorf("message %d: envelope %v, body of %d bytes, want %d", m.SeqNum, m.Envelope != nil, len(m.FindBodySection(body)), s.size)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	op := imap.StoreFlagsAdd
	if round%2 == 0 {
		op = imap.StoreFlagsDel
	}
	if err := r.timed("STORE", func() error {
		flags := &imap.StoreFlags{Op: op, Flags: []imap.Flag{imap.FlagSeen, imap.FlagFlagged}}
		_, err := c.Store(imap.SeqSetNum(1+s.rng.Uint32N(count)), flags, nil).Collect()
		return err
	}); err != nil {
		return err
	}
	criteria := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}
	if round%2 == 0 {
		criteria = &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: fmt.Sprintf("message %d", 1+s.rng.IntN(200))}}}
	}
	if err := r.timed("SEARCH", func() error {
		_, err := c.Search(criteria, nil).Wait()
		return err
	}); err != nil {
		return err
	}
	s.next++
	msg := throwaway.Message(s.user.Name, s.next, s.size)
	if err := r.timed("APPEND", func() error {
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		if _, err := cmd.Write(msg); err != nil {
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		_, err := cmd.Wait()
		return err
	}); err != nil {
		return err
	}
	if err := r.timed("STORE", func() error {
		flags := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
		return c.Store(imap.SeqSetNum(1), flags, nil).Close()
	}); err != nil {
		return err
	}
	if err := r.timed("EXPUNGE", func() error {
		expunged, err := c.Expunge().Collect()
		if err != nil {
			return err
		}
		if len(expunged) != 1 {
			return fmt.Errorf("%d messages expunged, want 1", len(expunged))
		}
		return nil
	}); err != nil {
		return err
	}
	if s.relogin > 0 && round%s.relogin == 0 {
		err := r.timed("LOGOUT", func() error {
			err := c.Logout().Wait()
			c.Close()
			return err
		})
		s.c = nil
		if err != nil {
			return err
		}
	}
	return nil
}

// uniqueNums lists the numbers of a set of single numbers.
func uniqueNums(set imap.SeqSet) []uint32 {
	nums, _ := set.Nums()
	return nums
}
