package imap

import (
	"bufio"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

var testLimits = Limits{MaxLine: 40, MaxLiteral: 20, MaxAppend: 100}

// readAll reads commands off input until the end, as a session would: a
// too long line or a refused synchronizing literal is answered and the
// session goes on. It gives each result as a string (the command, or
// "error: ..."), and the number of continuations asked.
func readAll(t *testing.T, input string, limits Limits) (results []string, conts int) {
	t.Helper()
	r := bufio.NewReaderSize(strings.NewReader(input), 16)
	for {
		raw, err := ReadCommand(r, limits, func() error { conts++; return nil })
		var tooLarge *LiteralTooLargeError
		switch {
		case err == nil:
			results = append(results, string(raw))
		case err == io.EOF:
			return results, conts
		case errors.As(err, &tooLarge):
			results = append(results, "error: too large "+tooLarge.Tag+" "+strings.Repeat("+", btoi(!tooLarge.Sync)))
			if !tooLarge.Sync {
				return results, conts
			}
		default:
			results = append(results, "error: "+err.Error())
			if !errors.Is(err, ErrLineTooLong) {
				return results, conts
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestReadCommand(t *testing.T) {
	long := "a " + strings.Repeat("x", 39)
	tests := []struct {
		name   string
		input  string
		limits Limits
		want   []string
		conts  int
	}{
		{"one_line", "a NOOP\r\n", testLimits, []string{"a NOOP\r\n"}, 0},
		{"bare_lf", "a NOOP\nb NOOP\n", testLimits, []string{"a NOOP\n", "b NOOP\n"}, 0},
		{"line_at_the_limit", "a " + strings.Repeat("x", 38) + "\r\n", testLimits, []string{"a " + strings.Repeat("x", 38) + "\r\n"}, 0},
		{"sync_literal", "a LOGIN {4}\r\nfred pw\r\nb NOOP\r\n", testLimits, []string{"a LOGIN {4}\r\nfred pw\r\n", "b NOOP\r\n"}, 1},
		{"non_sync_literal", "a LOGIN {4+}\r\nfred {2+}\r\npw\r\n", testLimits, []string{"a LOGIN {4+}\r\nfred {2+}\r\npw\r\n"}, 0},
		{"literal_holding_line_endings_and_braces", "a LOGIN {8}\r\n{2}\r\n\r\n\n {1}\r\nx\r\n", testLimits, []string{"a LOGIN {8}\r\n{2}\r\n\r\n\n {1}\r\nx\r\n"}, 2},
		{"literal_ends_command", "a APPEND x {3}\r\nabc\r\n", testLimits, []string{"a APPEND x {3}\r\nabc\r\n"}, 1},
		{"empty_literal", "a LOGIN {0}\r\n {0+}\r\n\r\n", testLimits, []string{"a LOGIN {0}\r\n {0+}\r\n\r\n"}, 1},
		{"brace_not_at_the_end", "a LOGIN {4} x\r\n", testLimits, []string{"a LOGIN {4} x\r\n"}, 0},
		{"line_too_long", long + "\r\nb NOOP\r\n", testLimits, []string{"error: imap: line too long", "b NOOP\r\n"}, 0},
		{"line_too_long_without_cr", strings.Repeat("x", 41) + "\nb NOOP\r\n", testLimits, []string{"error: imap: line too long", "b NOOP\r\n"}, 0},
		{"line_too_long_with_sync_literal", long + " {5}\r\nb NOOP\r\n", testLimits, []string{"error: imap: line too long", "b NOOP\r\n"}, 0},
		{"line_too_long_skips_non_sync_literal", long + " {5+}\r\nab\r\nc {3+}\r\nxyz\r\nb NOOP\r\n", testLimits, []string{"error: imap: line too long", "b NOOP\r\n"}, 0},
		{"line_too_long_after_literal", "a LOGIN {1}\r\nx " + long + "\r\nb NOOP\r\n", testLimits, []string{"error: imap: line too long", "b NOOP\r\n"}, 1},
		{"line_too_long_with_huge_non_sync_literal", long + " {50+}\r\n" + strings.Repeat("y", 50), testLimits, []string{"error: too large a +"}, 0},
		{"literal_too_large", "t1 LOGIN {21}\r\nb NOOP\r\n", testLimits, []string{"error: too large t1 ", "b NOOP\r\n"}, 0},
		{"non_sync_literal_too_large", "t1 LOGIN {21+}\r\n" + strings.Repeat("y", 21) + "\r\n", testLimits, []string{"error: too large t1 +"}, 0},
		{"literal_size_overflow", "t1 LOGIN {99999999999999999999999}\r\nb NOOP\r\n", testLimits, []string{"error: too large t1 ", "b NOOP\r\n"}, 0},
		{"append_takes_max_append", "t1 append x {100}\r\n" + strings.Repeat("m", 100) + "\r\n", testLimits, []string{"t1 append x {100}\r\n" + strings.Repeat("m", 100) + "\r\n"}, 1},
		{"append_beyond_max_append", "t1 APPEND x {101}\r\nb NOOP\r\n", testLimits, []string{"error: too large t1 ", "b NOOP\r\n"}, 0},
		{"append_unlimited", "t1 APPEND x {300}\r\n" + strings.Repeat("m", 300) + "\r\n", Limits{MaxLine: 40, MaxLiteral: 20}, []string{"t1 APPEND x {300}\r\n" + strings.Repeat("m", 300) + "\r\n"}, 1},
		{"append_mailbox_literal_and_message", "t1 APPEND {2}\r\nab {100+}\r\n" + strings.Repeat("m", 100) + "\r\n", testLimits, []string{"t1 APPEND {2}\r\nab {100+}\r\n" + strings.Repeat("m", 100) + "\r\n"}, 1},
		{"append_literal_beyond_max_literal", "t1 APPEND x {30+}\r\n" + strings.Repeat("m", 30) + "\r\n", testLimits, []string{"t1 APPEND x {30+}\r\n" + strings.Repeat("m", 30) + "\r\n"}, 0},
		{"append_second_large_literal", "t1 APPEND x {60+}\r\n" + strings.Repeat("m", 60) + " {60}\r\nb NOOP\r\n", testLimits, []string{"error: too large t1 ", "b NOOP\r\n"}, 0},
		{"uid_append_is_not_append", "t1 UID APPEND x {30}\r\nb NOOP\r\n", testLimits, []string{"error: too large t1 ", "b NOOP\r\n"}, 0},
		{"many_small_literals_exceed_the_budget", "t1 X" + strings.Repeat(" {9+}\r\n123456789", 7) + "\r\n", testLimits, []string{"error: too large t1 +"}, 0},
		{"empty_input", "", testLimits, nil, 0},
		{"line_cut_short", "a NOO", testLimits, []string{"error: unexpected EOF"}, 0},
		{"literal_cut_short", "a LOGIN {4+}\r\nfr", testLimits, []string{"error: unexpected EOF"}, 0},
		{"end_after_literal", "a LOGIN {4+}\r\nfred", testLimits, []string{"error: unexpected EOF"}, 0},
		{"empty_line", "\r\n", testLimits, []string{"\r\n"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conts := readAll(t, tt.input, tt.limits)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("read %q\nwant %q", got, tt.want)
			}
			if conts != tt.conts {
				t.Errorf("%d continuations, want %d", conts, tt.conts)
			}
		})
	}
}

func TestReadCommandLiteralTooLargeError(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("x17 LOGIN {21}\r\n"))
	_, err := ReadCommand(r, testLimits, func() error { t.Error("continuation asked"); return nil })
	var tooLarge *LiteralTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("error %v, want a LiteralTooLargeError", err)
	}
	if *tooLarge != (LiteralTooLargeError{Tag: "x17", Size: 21, Sync: true}) {
		t.Errorf("error %+v", *tooLarge)
	}
}

func TestReadCommandLineTooLongErrorHasTheTag(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("x18 LOGIN " + strings.Repeat("p", 40) + " {3}\r\n"))
	_, err := ReadCommand(r, testLimits, func() error { t.Error("continuation asked"); return nil })
	var tooLong *LineTooLongError
	if !errors.Is(err, ErrLineTooLong) || !errors.As(err, &tooLong) || tooLong.Tag != "x18" {
		t.Errorf("error %#v, want a LineTooLongError for x18", err)
	}
}

func TestReadCommandContinuationError(t *testing.T) {
	failure := errors.New("write failed")
	r := bufio.NewReader(strings.NewReader("a LOGIN {4}\r\nfred x\r\n"))
	if _, err := ReadCommand(r, testLimits, func() error { return failure }); err != failure {
		t.Errorf("error %v, want the continuation's", err)
	}
}

// TestReadCommandSynchronizingLiteralOverTCP drives a client that sends a
// literal only after the continuation request, as RFC 3501 7.5 asks: the
// command is read whole only if ReadCommand asks at the right moment.
func TestReadCommandSynchronizingLiteralOverTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		raw []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second)) // a hang guard, not a timing assertion
		raw, err := ReadCommand(bufio.NewReader(conn), testLimits, func() error {
			_, err := conn.Write([]byte("+ Ready for literal data\r\n"))
			return err
		})
		done <- result{raw, err}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	replies := bufio.NewReader(conn)
	for _, part := range []string{"a1 LOGIN {4}\r\n", "fred {6}\r\n", "secret\r\n"} {
		if _, err := conn.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(part, "}\r\n") {
			line, err := replies.ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "+ ") {
				t.Fatalf("continuation %q, %v", line, err)
			}
		}
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if string(res.raw) != "a1 LOGIN {4}\r\nfred {6}\r\nsecret\r\n" {
		t.Errorf("read %q", res.raw)
	}
	cmd, err := ParseCommand(res.raw)
	if err != nil || cmd.User != "fred" || cmd.Password != "secret" {
		t.Errorf("parsed %+v, %v", cmd, err)
	}
}

func TestReadLine(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("DONE\r\n"+strings.Repeat("z", 30)+"\r\nAGZyZWQ=\nlast"), 16)
	for _, want := range []string{"DONE", "error: imap: line too long", "AGZyZWQ=", "error: unexpected EOF"} {
		line, err := ReadLine(r, 20)
		got := string(line)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != want {
			t.Errorf("ReadLine = %q, want %q", got, want)
		}
	}
	if _, err := ReadLine(r, 20); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// TestReadCommandDoesNotTrustAnnouncedSize: a literal announced as a
// gigabyte but cut short costs memory for what came, not for what was
// announced.
func TestReadCommandDoesNotTrustAnnouncedSize(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("a APPEND x {1000000000+}\r\nonly a few bytes"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadCommand(r, Limits{MaxLine: 100, MaxLiteral: 100}, func() error { return nil })
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Errorf("error %v, want io.ErrUnexpectedEOF", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 10<<20 {
		t.Errorf("allocated %d bytes for a literal of a few", allocated)
	}
}
