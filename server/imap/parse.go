package imap

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
)

// This file reads commands off the connection (ReadCommand, ReadLine) and
// is the entry of the command parser (ParseCommand), which the files
// parse_*.go complete: a pure function over bytes, fuzzed on its own.

// Limits bound what ReadCommand accepts.
//
// Each line of a command is at most MaxLine bytes without its CRLF; each
// literal at most MaxLiteral bytes, APPEND's at most MaxAppend. Besides, a
// whole command, its APPEND message aside, is at most MaxLine + 2 +
// MaxLiteral bytes (lines with their CRLFs and literals), so that a client
// cannot grow one command without bound with many small literals.
type Limits struct {
	MaxLine    int   // longest line without its literals, bytes
	MaxLiteral int64 // largest literal of a command other than APPEND
	MaxAppend  int64 // largest APPEND literal (the max message size); 0: no limit
}

// ErrLineTooLong is returned when a line is longer than Limits.MaxLine; the
// rest of the line has been read and discarded.
var ErrLineTooLong = errors.New("imap: line too long")

// LineTooLongError is what ReadCommand returns for a line too long:
// errors.Is(err, ErrLineTooLong) holds, and Tag is the command's tag ("*"
// when none could be read), so that the session can answer with a tagged
// BAD, which a client waiting for a literal's continuation needs to stop
// waiting (RFC 3501 7.5).
type LineTooLongError struct {
	Tag string
}

func (e *LineTooLongError) Error() string { return ErrLineTooLong.Error() }

// Is makes errors.Is(err, ErrLineTooLong) hold.
func (e *LineTooLongError) Is(target error) bool { return target == ErrLineTooLong }

// LiteralTooLargeError is returned when a literal is larger than its limit.
// For a synchronizing literal nothing of it was read (the client waits for a
// continuation it will not get); for a LITERAL+ one the connection cannot be
// resynchronised.
type LiteralTooLargeError struct {
	Tag  string
	Size int64
	Sync bool
}

func (e *LiteralTooLargeError) Error() string { return "imap: literal too large" }

// ParseError is a command the grammar refuses: the session answers "Tag BAD
// Msg" (Tag is "*" when no tag could be read).
type ParseError struct {
	Tag string
	Msg string
}

func (e *ParseError) Error() string { return e.Msg }

// ReadCommand reads one command: its line and every literal it announces
// ({n} and LITERAL+'s {n+}). Before reading a synchronizing literal it calls
// cont, which sends the continuation request. The result holds the lines
// with their CRLFs and the literals inline, as ParseCommand takes them.
//
// A line may end with a bare LF too. At the end of the input before the
// first byte ReadCommand returns io.EOF, in the middle of a command
// io.ErrUnexpectedEOF.
//
// When a line is too long, ReadCommand discards it and returns a
// *LineTooLongError (ErrLineTooLong for errors.Is). If the line announced a
// LITERAL+ literal, the literal and the rest of the command are discarded
// too, so that the next call starts on the next command (a literal too
// large to discard gives a *LiteralTooLargeError with Sync false).
func ReadCommand(r *bufio.Reader, limits Limits, cont func() error) ([]byte, error) {
	cr := commandReader{r: r, limits: limits, budget: math.MaxInt64}
	if int64(limits.MaxLine) < math.MaxInt64/2 && limits.MaxLiteral < math.MaxInt64/2 {
		cr.budget = int64(limits.MaxLine) + 2 + limits.MaxLiteral
	}
	return cr.read(cont)
}

// ReadLine reads one line (AUTHENTICATE's responses, IDLE's DONE) without
// its CRLF. A line longer than max bytes is read to its end and discarded,
// and ReadLine returns ErrLineTooLong.
func ReadLine(r *bufio.Reader, max int) ([]byte, error) {
	line, tooLong, err := readBoundedLine(r, nil, max, nil)
	if err != nil {
		return nil, err
	}
	if tooLong {
		return nil, ErrLineTooLong
	}
	return withoutLineEnding(line), nil
}

// ParseCommand parses what ReadCommand read. It is pure: bytes in, a command
// or a *ParseError out. APPEND's Literal shares its bytes with raw.
func ParseCommand(raw []byte) (*Command, error) {
	return parseCommandBytes(raw)
}

// EncodeMailboxName turns a UTF-8 mailbox name into modified UTF-7 (RFC 3501
// 5.1.3).
func EncodeMailboxName(s string) string {
	return encodeMailboxName(s)
}

// DecodeMailboxName turns a modified UTF-7 name into UTF-8; it refuses
// invalid encodings.
func DecodeMailboxName(s string) (string, error) {
	return decodeMailboxName(s)
}

// commandReader is the state of one ReadCommand.
type commandReader struct {
	r      *bufio.Reader
	limits Limits
	// budget is what the command may still take, its APPEND message aside.
	budget int64
	// The first line tells the tag (for LiteralTooLargeError) and whether
	// the command is APPEND, whose message has its own limit.
	tag    string
	append bool
	// appendMessageRead says that the one literal APPEND may take beyond
	// the budget has been read.
	appendMessageRead bool
}

// discardedTailSize is how much of a discarded line is kept to see whether
// it ends with a literal's announcement: "{" 20 digits "+}" is 23 bytes.
const discardedTailSize = 32

// discardedHeadSize is how much of a discarded first line is kept to find
// its tag and command name.
const discardedHeadSize = 64

func (cr *commandReader) read(cont func() error) ([]byte, error) {
	var out []byte
	discarding := false // a line was too long: skip the rest of the command
	for first := true; ; first = false {
		lineStart := len(out)
		var kept keptLine
		var tooLong bool
		var err error
		out, tooLong, err = readBoundedLine(cr.r, out, cr.limits.MaxLine, &kept)
		if err != nil {
			if err == io.EOF && !first {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		content := withoutLineEnding(out[lineStart:])
		if first {
			head := content
			if tooLong {
				head = kept.head
			}
			cr.tag, cr.append = commandTagAndAppend(head)
		}
		if !tooLong && !discarding {
			cr.budget -= int64(len(out) - lineStart)
			if cr.budget < 0 {
				tooLong = true
				kept.setTail(content)
			}
		}
		if tooLong {
			content = kept.tail
			discarding = true
		}
		size, sync, ok := literalAnnouncement(content)
		if discarding {
			out = out[:lineStart]
			if !ok || sync {
				// A synchronizing literal's client waits for a
				// continuation, gets the BAD instead and sends nothing.
				return nil, &LineTooLongError{Tag: cr.tag}
			}
			if size > cr.literalLimit() {
				return nil, &LiteralTooLargeError{Tag: cr.tag, Size: size, Sync: false}
			}
			if _, err := io.CopyN(io.Discard, cr.r, size); err != nil {
				return nil, eofInCommand(err)
			}
			continue
		}
		if !ok {
			return out, nil
		}
		if err := cr.chargeLiteral(size, sync); err != nil {
			return nil, err
		}
		if sync {
			if err := cont(); err != nil {
				return nil, err
			}
		}
		if out, err = readLiteralBytes(cr.r, out, size); err != nil {
			return nil, err
		}
	}
}

// literalLimit is the largest literal the command may announce.
func (cr *commandReader) literalLimit() int64 {
	if !cr.append {
		return cr.limits.MaxLiteral
	}
	if cr.limits.MaxAppend <= 0 {
		return math.MaxInt64
	}
	return cr.limits.MaxAppend
}

// chargeLiteral checks a literal of size bytes against the limits and takes
// it from the budget.
func (cr *commandReader) chargeLiteral(size int64, sync bool) error {
	if size > cr.literalLimit() {
		return &LiteralTooLargeError{Tag: cr.tag, Size: size, Sync: sync}
	}
	switch {
	case size <= cr.budget:
		cr.budget -= size
	case cr.append && !cr.appendMessageRead:
		cr.appendMessageRead = true
	default:
		return &LiteralTooLargeError{Tag: cr.tag, Size: size, Sync: sync}
	}
	return nil
}

// keptLine is what readBoundedLine keeps of a line too long to keep whole.
type keptLine struct {
	head []byte // the first discardedHeadSize bytes
	tail []byte // the last discardedTailSize bytes before the line ending
	last []byte // the last discardedTailSize+2 bytes read, line ending included
}

func (k *keptLine) add(b []byte) {
	if len(k.head) < discardedHeadSize {
		k.head = append(k.head, b[:min(len(b), discardedHeadSize-len(k.head))]...)
	}
	k.last = append(k.last, b[max(0, len(b)-(discardedTailSize+2)):]...)
	if len(k.last) > discardedTailSize+2 {
		k.last = append(k.last[:0], k.last[len(k.last)-(discardedTailSize+2):]...)
	}
}

func (k *keptLine) setTail(content []byte) {
	k.tail = append(k.tail[:0], content[max(0, len(content)-discardedTailSize):]...)
}

// readBoundedLine appends one line with its line ending to dst. A line whose
// content is longer than max bytes is read to its end but not kept: dst
// comes back as it was, tooLong is true, and kept (when not nil) holds its
// head and tail.
func readBoundedLine(r *bufio.Reader, dst []byte, max int, kept *keptLine) (out []byte, tooLong bool, err error) {
	if kept == nil {
		kept = &keptLine{}
	}
	start := len(dst)
	read := 0
	for {
		chunk, err := r.ReadSlice('\n')
		read += len(chunk)
		if tooLong {
			kept.add(chunk)
		} else {
			dst = append(dst, chunk...)
			// Content and line ending are at most max+2 bytes.
			if len(dst)-start-2 > max {
				tooLong = true
				kept.add(dst[start:])
				dst = dst[:start]
			}
		}
		switch err {
		case nil:
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if read == 0 {
				return dst[:start], false, io.EOF
			}
			return dst[:start], false, io.ErrUnexpectedEOF
		default:
			return dst[:start], false, err
		}
		break
	}
	if !tooLong && len(withoutLineEnding(dst[start:])) > max {
		tooLong = true
		kept.add(dst[start:])
		dst = dst[:start]
	}
	if tooLong {
		kept.setTail(withoutLineEnding(kept.last))
	}
	return dst, tooLong, nil
}

// withoutLineEnding removes a final LF or CRLF.
func withoutLineEnding(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// literalAnnouncement reads the "{n}" or "{n+}" that ends a line's content.
// A size that does not fit an int64 comes back as math.MaxInt64.
func literalAnnouncement(content []byte) (size int64, sync, ok bool) {
	if len(content) < 3 || content[len(content)-1] != '}' {
		return 0, false, false
	}
	end := len(content) - 1
	sync = true
	if content[end-1] == '+' {
		sync = false
		end--
	}
	begin := end
	for begin > 0 && content[begin-1] >= '0' && content[begin-1] <= '9' {
		begin--
	}
	if begin == end || begin == 0 || content[begin-1] != '{' {
		return 0, false, false
	}
	for _, c := range content[begin:end] {
		d := int64(c - '0')
		if size > (math.MaxInt64-d)/10 {
			return math.MaxInt64, sync, true
		}
		size = size*10 + d
	}
	return size, sync, true
}

// commandTagAndAppend reads the tag and whether the command is APPEND off the
// start of a command's first line. The tag is "*" when it is not one.
func commandTagAndAppend(line []byte) (tag string, isAppend bool) {
	rawTag, rest, _ := bytes.Cut(line, []byte(" "))
	tag = "*"
	if len(rawTag) > 0 && !slices.ContainsFunc(rawTag, func(c byte) bool { return !tagCharacter(c) }) {
		tag = string(rawTag)
	}
	name, _, _ := bytes.Cut(rest, []byte(" "))
	return tag, bytes.EqualFold(name, []byte("APPEND"))
}

// readLiteralBytes appends n bytes of r to dst, growing dst as the bytes come
// rather than trusting the announced size.
func readLiteralBytes(r io.Reader, dst []byte, n int64) ([]byte, error) {
	const chunk = 64 << 10
	for n > 0 {
		size := int(min(n, chunk))
		start := len(dst)
		dst = slices.Grow(dst, size)[:start+size]
		if _, err := io.ReadFull(r, dst[start:]); err != nil {
			return nil, eofInCommand(err)
		}
		n -= int64(size)
	}
	return dst, nil
}

// eofInCommand turns the end of the input in the middle of a command into
// io.ErrUnexpectedEOF.
func eofInCommand(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
