package smtpclient

import (
	"bytes"
	"fmt"
	"io"
)

// dataWriter writes a message as the text of a DATA command (RFC 5321
// 4.1.1.4): every line ends in CRLF — a bare LF or a bare CR becomes CRLF,
// since RFC 5321 2.3.8 allows CR and LF only together — and a line that
// starts with "." gets a second one (4.5.2). Close ends the last line if
// it is open and writes the terminating ".".
type dataWriter struct {
	w           io.Writer
	lineStart   bool  // the next byte starts a line
	pendingCR   bool  // the last byte was a CR; is an LF next?
	size        int64 // bytes of message written, with CRLF, without the stuffing (RFC 1870 4)
	eightBit    bool  // some byte had the high bit set
	scratch     []byte
	writeFailed error
}

func newDataWriter(w io.Writer) *dataWriter {
	return &dataWriter{w: w, lineStart: true}
}

var crlf = []byte("\r\n")

func (d *dataWriter) Write(p []byte) (int, error) {
	if d.writeFailed != nil {
		return 0, d.writeFailed
	}
	out := d.scratch[:0]
	for i := 0; i < len(p); {
		if d.pendingCR {
			d.pendingCR = false
			out = append(out, crlf...)
			d.size += 2
			d.lineStart = true
			if p[i] == '\n' {
				i++
				continue
			}
		}
		if d.lineStart && p[i] == '.' {
			out = append(out, '.')
		}
		// Copy up to the next line break in one piece.
		end := bytes.IndexAny(p[i:], "\r\n")
		if end < 0 {
			end = len(p)
		} else {
			end += i
		}
		if end > i {
			d.eightBit = d.eightBit || hasEightBit(p[i:end])
			out = append(out, p[i:end]...)
			d.size += int64(end - i)
			d.lineStart = false
		}
		if end == len(p) {
			break
		}
		if p[end] == '\r' {
			d.pendingCR = true
		} else {
			out = append(out, crlf...)
			d.size += 2
			d.lineStart = true
		}
		i = end + 1
	}
	d.scratch = out[:0]
	if _, err := d.w.Write(out); err != nil {
		d.writeFailed = err
		return 0, err
	}
	return len(p), nil
}

// Close ends an open last line and writes the terminating "." line.
func (d *dataWriter) Close() error {
	if d.writeFailed != nil {
		return d.writeFailed
	}
	var out []byte
	if d.pendingCR || !d.lineStart {
		out = append(out, crlf...)
		d.size += 2
		d.pendingCR, d.lineStart = false, true
	}
	out = append(out, ".\r\n"...)
	_, err := d.w.Write(out)
	return err
}

func hasEightBit(p []byte) bool {
	for _, b := range p {
		if b >= 0x80 {
			return true
		}
	}
	return false
}

// message is the body to send and what a first pass over it learned.
type message struct {
	body     io.Reader
	rewind   func() error // back to where the message starts, after the scan
	size     int64        // the size announced with SIZE=
	eightBit bool
}

// scanMessage reads the body once to learn whether it holds 8-bit data
// (BODY=8BITMIME is decided before MAIL FROM) and, when size is not
// positive, its size. A body that can seek is read again from where it
// started; any other is held in memory, so callers with large messages pass
// an *os.File.
func scanMessage(body io.Reader, size int64) (*message, error) {
	scan := newDataWriter(io.Discard)
	msg := &message{}
	if seeker, ok := body.(io.ReadSeeker); ok {
		start, err := seeker.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("reading the message: %w", err)
		}
		if _, err := io.Copy(scan, seeker); err != nil {
			return nil, fmt.Errorf("reading the message: %w", err)
		}
		msg.body = seeker
		msg.rewind = func() error {
			_, err := seeker.Seek(start, io.SeekStart)
			return err
		}
	} else {
		var held bytes.Buffer
		if _, err := io.Copy(scan, io.TeeReader(body, &held)); err != nil {
			return nil, fmt.Errorf("reading the message: %w", err)
		}
		reader := bytes.NewReader(held.Bytes())
		msg.body = reader
		msg.rewind = func() error {
			_, err := reader.Seek(0, io.SeekStart)
			return err
		}
	}
	if err := scan.Close(); err != nil {
		return nil, err
	}
	if err := msg.rewind(); err != nil {
		return nil, fmt.Errorf("reading the message: %w", err)
	}
	msg.eightBit = scan.eightBit
	msg.size = size
	if size <= 0 {
		msg.size = scan.size
	}
	return msg, nil
}
