package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// Limits on what a client may send without a line break.
const (
	// maxCommandLine is generous beyond RFC 5321 4.5.3.1.4's 512 octets:
	// AUTH lines carry base64 credentials (RFC 4954 4 allows 12288).
	maxCommandLine = 12288
	// maxUnbrokenData is how much a client may send without any line break
	// before the server gives up on it ("421 Excessive amounts of data").
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
		return string(trimEOL(line)), nil
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

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// dataReader reads a DATA section (RFC 5321 4.1.1.4) up to the line
// holding only ".", removing the dot-stuffing and writing CRLF line
// endings. Only CRLF "." CRLF ends the data: a "." on a line ended by a
// bare LF does not, which keeps SMTP smuggling out.
//
// A line ended by a bare LF is counted; the session decides with the
// "Allow incorrectly formatted line endings" setting whether to refuse the
// message. Past max bytes the reader stops handing out data and reports
// errTooLarge at the end, after it has consumed the whole section, so the
// session can answer and go on.
type dataReader struct {
	r        *bufio.Reader
	max      int64 // 0: no limit
	n        int64 // bytes of message seen (after unstuffing, with CRLF)
	bareLF   int
	received int  // "Received:" lines in the header section (hops)
	inBody   bool // past the empty line ending the header section
	pending  []byte
	done     bool
	err      error // sticky: excessive data, or the connection's error
	tooLarge bool
}

var errTooLarge = errors.New("message too large")

func newDataReader(r *bufio.Reader, max int64) *dataReader {
	return &dataReader{r: r, max: max}
}

func (d *dataReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		if d.done {
			if d.tooLarge {
				return 0, errTooLarge
			}
			return 0, io.EOF
		}
		d.nextLine()
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// nextLine reads one line into pending (or marks the end). A line longer
// than the buffer arrives in pieces; only the first can carry the stuffed
// dot, and a CR ending one piece pairs with an LF starting the next.
func (d *dataReader) nextLine() {
	// split: the line came in several pieces (longer than the buffer); such
	// a line is never the empty line or a Received field worth counting.
	first, unbroken, prevCR, split := true, 0, false, false
	for {
		piece, err := d.r.ReadSlice('\n')
		unbroken += len(piece)
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			d.err = err
			if errors.Is(err, io.EOF) {
				d.err = io.ErrUnexpectedEOF
			}
			return
		}
		complete := err == nil
		if complete && first && string(piece) == ".\r\n" {
			d.done = true
			return
		}
		if first && len(piece) > 0 && piece[0] == '.' {
			piece = piece[1:] // RFC 5321 4.5.2 transparency
		}
		first = false
		if !complete {
			if unbroken > maxUnbrokenData {
				d.err = errExcessiveData
				return
			}
			// Hold back a final CR: it may start this line's CRLF.
			if prevCR {
				d.append([]byte{'\r'})
			}
			prevCR = len(piece) > 0 && piece[len(piece)-1] == '\r'
			if prevCR {
				piece = piece[:len(piece)-1]
			}
			d.append(piece)
			split = true
			continue
		}
		body := piece[:len(piece)-1] // without the LF
		crlf := len(body) > 0 && body[len(body)-1] == '\r' || len(body) == 0 && prevCR
		if prevCR && len(body) > 0 {
			d.append([]byte{'\r'})
		}
		body = bytes.TrimSuffix(body, []byte("\r"))
		if !crlf {
			d.bareLF++
		}
		if !d.inBody && !split {
			switch {
			case len(body) == 0:
				d.inBody = true
			case len(body) >= 9 && strings.EqualFold(string(body[:9]), "received:"):
				d.received++
			}
		}
		d.append(body)
		d.append([]byte("\r\n"))
		return
	}
}

func (d *dataReader) append(b []byte) {
	d.n += int64(len(b))
	if d.max > 0 && d.n > d.max {
		d.tooLarge = true
		d.pending = d.pending[:0]
		return
	}
	if d.tooLarge {
		return
	}
	d.pending = append(d.pending, b...)
}

// drain consumes the rest of the section, so the session can reply to it.
func (d *dataReader) drain() error {
	for !d.done && d.err == nil {
		d.pending = d.pending[:0]
		d.nextLine()
	}
	d.pending = nil
	return d.err
}
