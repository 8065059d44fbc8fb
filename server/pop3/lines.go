package pop3

import (
	"bufio"
	"bytes"
	"errors"
)

// Limits on what a client may send without a line break.
const (
	// maxCommandLine is well beyond RFC 2449 4's 255 octets for a command
	// line: an AUTH PLAIN initial response (RFC 5034 4) is base64 and may
	// be longer.
	maxCommandLine = 4096
	// maxUnbrokenData is how much a client may send without any line break
	// before the server closes the connection.
	maxUnbrokenData = 1 << 20
)

var (
	errLineTooLong   = errors.New("line too long")
	errExcessiveData = errors.New("excessive data without a line break")
)

// readCommandLine reads one line and returns it without its line ending.
// An over-long line is read to its end and reported as errLineTooLong, so
// the session can answer and go on; one without a break for a megabyte is
// errExcessiveData.
func readCommandLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if err == nil {
		if len(line) > maxCommandLine {
			return "", errLineTooLong
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		return string(bytes.TrimSuffix(line, []byte("\r"))), nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	skipped := len(line)
	for {
		line, err = r.ReadSlice('\n')
		skipped += len(line)
		if skipped > maxUnbrokenData {
			return "", errExcessiveData
		}
		if err == nil {
			return "", errLineTooLong
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
}

// errTopDone stops copying a message once TOP has sent its lines.
var errTopDone = errors.New("top: enough lines")

// dotStuffer writes a message as the body of a multi-line response (RFC
// 1939 3): every line ends with CRLF (a bare LF in the file becomes CRLF),
// a line starting with "." gets another one in front, and end writes the
// final line break, if the message lacks one, and the terminating ".".
//
// With bodyLines >= 0 it is TOP's writer (RFC 1939 7): the header, the
// empty line after it, then at most bodyLines lines of the body; once
// those are written Write returns errTopDone.
type dotStuffer struct {
	w         *bufio.Writer
	bodyLines int // -1: the whole message
	inHeader  bool
	lineStart bool
	lineLen   int  // bytes of the current line so far, without its LF
	lastCR    bool // the last byte written was a CR
	done      bool
}

func newDotStuffer(w *bufio.Writer, bodyLines int) *dotStuffer {
	return &dotStuffer{w: w, bodyLines: bodyLines, inHeader: true, lineStart: true}
}

func (d *dotStuffer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if d.done {
			return n, errTopDone
		}
		if d.lineStart {
			if !d.inHeader && d.bodyLines == 0 {
				d.done = true
				return n, errTopDone
			}
			if p[0] == '.' {
				d.w.WriteByte('.') // RFC 1939 3: byte-stuffing
			}
			d.lineStart = false
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			d.w.Write(p)
			d.lineLen += len(p)
			d.lastCR = p[len(p)-1] == '\r'
			break
		}
		d.w.Write(p[:i])
		d.lineLen += i
		if i > 0 {
			d.lastCR = p[i-1] == '\r'
		}
		if !d.lastCR {
			d.w.WriteByte('\r')
		}
		d.w.WriteByte('\n')
		d.endLine()
		p = p[i+1:]
	}
	// An empty write reports the writer's sticky error, so a copy to a
	// client that has gone stops at once.
	_, err := d.w.Write(nil)
	return n, err
}

// endLine moves past a complete line: the empty line ends the header,
// and a body line counts against TOP's limit.
func (d *dotStuffer) endLine() {
	empty := d.lineLen == 0 || d.lineLen == 1 && d.lastCR
	switch {
	case d.inHeader:
		d.inHeader = !empty
	case d.bodyLines > 0:
		d.bodyLines--
	}
	d.lineStart, d.lineLen, d.lastCR = true, 0, false
}

// end finishes the response.
func (d *dotStuffer) end() error {
	if !d.lineStart && !d.done {
		if d.lastCR {
			d.w.WriteByte('\n')
		} else {
			d.w.WriteString("\r\n")
		}
	}
	_, err := d.w.WriteString(".\r\n")
	return err
}
