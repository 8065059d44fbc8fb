//go:build linux

package throwaway

import (
	"fmt"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Message returns a message of exactly size bytes (at least its header)
// to user, numbered n: plain text, CRLF line ends, subject "benchmark
// message n".
func Message(user string, n, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Bench Sender <sender@source.test>\r\nTo: <%s>\r\nSubject: benchmark message %d\r\n", user, n)
	fmt.Fprintf(&b, "Date: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <%d.%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", n, user)
	line := "The quick brown fox jumps over the lazy dog, benchmark text line.\r\n"
	for b.Len()+len(line) <= size-2 {
		b.WriteString(line)
	}
	for b.Len() < size-2 {
		b.WriteByte('x')
	}
	if b.Len() < size {
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// Fill appends messages to every user's INBOX over IMAP until it holds
// count messages, one connection per user, all users at once.
func Fill(addr string, users []User, count, size int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(users))
	for i, u := range users {
		wg.Go(func() { errs[i] = fillOne(addr, u, count, size) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func fillOne(addr string, u User, count, size int) error {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		return fmt.Errorf("%s: LOGIN: %w", u.Name, err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		return fmt.Errorf("%s: SELECT: %w", u.Name, err)
	}
	for n := int(sel.NumMessages); n < count; n++ {
		msg := Message(u.Name, n+1, size)
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		if _, err := cmd.Write(msg); err != nil {
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		if _, err := cmd.Wait(); err != nil {
			return fmt.Errorf("%s: APPEND: %w", u.Name, err)
		}
	}
	return c.Logout().Wait()
}
