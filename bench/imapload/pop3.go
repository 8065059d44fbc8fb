//go:build linux

package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/bench/imapload/throwaway"
)

// errMailboxLow ends a POP3 slice: a mailbox has too few messages left
// for the rounds to go on deleting.
var errMailboxLow = errors.New("mailbox low")

// pop3Session is one POP3 client; it owns one user's maildrop.
type pop3Session struct {
	addr     string
	user     throwaway.User
	size     int
	lowWater int
	rng      *rand.Rand
	rec      *recorder
}

// runSlice loops rounds until the deadline or until some session's
// mailbox is low (low is then set, which stops the other sessions too).
func (s *pop3Session) runSlice(deadline time.Time, low *atomic.Bool) {
	for time.Now().Before(deadline) && !low.Load() {
		began := time.Now()
		err := s.round()
		if errors.Is(err, errMailboxLow) {
			low.Store(true)
			return
		}
		if err != nil {
			s.rec.fail(err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.rec.add("ROUND", time.Since(began))
	}
}

// round is one POP3 session: connect, USER and PASS, STAT, RETR one
// message, DELE it, QUIT (which commits the deletion, RFC 1939 6).
func (s *pop3Session) round() (err error) {
	r := s.rec
	began := time.Now()
	nc, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c := textproto.NewConn(nc)
	if _, err := okLine(c); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if _, err := command(c, "USER "+s.user.Name); err != nil {
		return fmt.Errorf("USER: %w", err)
	}
	if _, err := command(c, "PASS "+s.user.Password); err != nil {
		return fmt.Errorf("PASS: %w", err)
	}
	r.add("LOGIN", time.Since(began))
	var count int
	if err := r.measure("STAT", func() error {
		line, err := command(c, "STAT")
		if err != nil {
			return err
		}
		fields := strings.Fields(line)
		if len(fields) < 1 {
			return fmt.Errorf("STAT reply %q", line)
		}
		count, err = strconv.Atoi(fields[0])
		return err
	}); err != nil {
		return err
	}
	if count <= s.lowWater {
		command(c, "QUIT")
		return errMailboxLow
	}
	n := 1 + s.rng.IntN(count)
	if err := r.measure("RETR", func() error {
		if _, err := command(c, fmt.Sprintf("RETR %d", n)); err != nil {
			return err
		}
		body, err := c.ReadDotBytes()
		if err != nil {
			return err
		}
		// ReadDotBytes turns CRLF into LF.
		if len(body) < s.size*9/10 {
			return fmt.Errorf("RETR %d: %d bytes, want about %d", n, len(body), s.size)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.measure("DELE", func() error {
		_, err := command(c, fmt.Sprintf("DELE %d", n))
		return err
	}); err != nil {
		return err
	}
	return r.measure("QUIT", func() error {
		_, err := command(c, "QUIT")
		return err
	})
}

func command(c *textproto.Conn, line string) (string, error) {
	if err := c.PrintfLine("%s", line); err != nil {
		return "", err
	}
	return okLine(c)
}

// okLine reads a reply line and returns what follows "+OK ".
func okLine(c *textproto.Conn) (string, error) {
	line, err := c.ReadLine()
	if err != nil {
		return "", err
	}
	rest, ok := strings.CutPrefix(line, "+OK")
	if !ok {
		return "", fmt.Errorf("reply %q", line)
	}
	return strings.TrimSpace(rest), nil
}
