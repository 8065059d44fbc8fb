package imap

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// benchMessage is a plain-text message of about size bytes with the
// subject "benchmark message n", like bench/imapload's.
func benchMessage(n, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Bench Sender <sender@source.test>\r\nTo: <user@example.com>\r\nSubject: benchmark message %d\r\n", n)
	fmt.Fprintf(&b, "Date: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <%d.bench@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", n)
	line := "The quick brown fox jumps over the lazy dog, benchmark text line.\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	return b.String()
}

// BenchmarkIMAPMix runs the rounds of bench/imapload's IMAP mix (without
// the LOGIN, whose password hash is not the IMAP server's cost) against a
// real server and SQLite store, on an INBOX of 200 messages: SELECT,
// FETCH of 3 messages, STORE, SEARCH, APPEND, STORE \Deleted, EXPUNGE.
// One op is one round.
func BenchmarkIMAPMix(b *testing.B) {
	ts := startServer(b)
	inbox := ts.inbox("user@example.com")
	const count, size = 200, 4096
	for n := 1; n <= count; n++ {
		ts.appendTo(inbox, benchMessage(n, size), 0)
	}
	c := ts.login("user@example.com")
	rng := rand.New(rand.NewPCG(1, 2))
	next := count
	tag := 0
	run := func(command string) []string {
		tag++
		t := "B" + strconv.Itoa(tag)
		got := c.cmd(t, command)
		if last := got[len(got)-1]; !strings.HasPrefix(last, t+" OK") {
			b.Fatalf("%s: %q", command, got)
		}
		return got
	}
	b.ReportAllocs()
	b.ResetTimer()
	for round := 1; round <= b.N; round++ {
		run("SELECT INBOX")
		seq := []string{}
		for range 3 {
			seq = append(seq, strconv.Itoa(1+rng.IntN(count)))
		}
		run("FETCH " + strings.Join(seq, ",") + " (ENVELOPE FLAGS UID BODY.PEEK[])")
		op := "+FLAGS"
		if round%2 == 0 {
			op = "-FLAGS"
		}
		run("STORE " + strconv.Itoa(1+rng.IntN(count)) + " " + op + ` (\Seen \Flagged)`)
		if round%2 == 0 {
			run(`SEARCH HEADER Subject "message ` + strconv.Itoa(1+rng.IntN(count)) + `"`)
		} else {
			run("SEARCH UNSEEN")
		}
		next++
		msg := benchMessage(next, size)
		tag++
		t := "B" + strconv.Itoa(tag)
		c.write(t + " APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}")
		c.writeRaw(msg + "\r\n")
		if got := c.until(t); !strings.HasPrefix(got[len(got)-1], t+" OK") {
			b.Fatalf("APPEND: %q", got)
		}
		run(`STORE 1 +FLAGS.SILENT (\Deleted)`)
		got := run("EXPUNGE")
		if len(got) != 2 || got[0] != "* 1 EXPUNGE" {
			b.Fatalf("EXPUNGE: %q", got)
		}
	}
	b.StopTimer()
	msgs, err := ts.st.IMAPMessages(b.Context(), inbox.ID, false)
	if err != nil || len(msgs) != count {
		b.Fatalf("%d messages at the end (%v), want %d", len(msgs), err, count)
	}
}

// BenchmarkIMAPStoreParallel has 4 sessions per CPU STORE flags at once
// in the INBOXes (200 messages each) of two accounts, so that writers
// queue for SQLite and sessions of one account see each other's changes.
// One op is one STORE.
func BenchmarkIMAPStoreParallel(b *testing.B) {
	ts := startServer(b)
	users := []string{"user@example.com", "other@example.com"}
	for _, u := range users {
		inbox := ts.inbox(u)
		for n := 1; n <= 200; n++ {
			ts.appendTo(inbox, benchMessage(n, 512), 0)
		}
	}
	var next atomic.Int64
	b.SetParallelism(4) // 4 sessions per CPU
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1)
		c := ts.login(users[i%2])
		c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")
		rng := rand.New(rand.NewPCG(uint64(i), 2))
		for n := 0; pb.Next(); n++ {
			op := "+FLAGS.SILENT"
			if n%2 == 1 {
				op = "-FLAGS.SILENT"
			}
			got := c.cmd("t", "STORE "+strconv.Itoa(1+rng.IntN(200))+" "+op+` (\Flagged)`)
			if !strings.HasPrefix(got[len(got)-1], "t OK") {
				b.Errorf("STORE: %q", got)
				return
			}
		}
	})
}
