package smtpclient

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mailwright/mailwright/server/smtpreply"
)

// Limits on what a server may send as one reply. RFC 5321 4.5.3.1.5 allows
// 512 octets a reply line; real servers send longer explanations, so the
// reader is generous but bounded.
const (
	maxReplyLine  = 4096
	maxReplyBytes = 64 << 10
)

// ReplySyntaxError is a reply that is not an SMTP reply: the conversation
// cannot go on after one.
type ReplySyntaxError struct {
	Line   string // the offending line, without its line ending
	Reason string
}

func (e *ReplySyntaxError) Error() string {
	return fmt.Sprintf("malformed reply %q: %s", e.Line, e.Reason)
}

// ReadReply reads one reply, which may span several lines ("250-first",
// ..., "250 last"; RFC 5321 4.2.1), from r. It returns the reply and its
// lines as received, without line endings, for the transcript.
//
// The reply's Text holds the lines' texts joined by "\n". When the first
// line starts with an RFC 3463 enhanced status code whose class matches the
// reply code (RFC 2034 3), that code goes to Enhanced and is removed from
// every line that carries a code of the same class.
func ReadReply(r *bufio.Reader) (*smtpreply.Reply, []string, error) {
	var (
		reply smtpreply.Reply
		lines []string
		texts []string
		total int
	)
	for {
		line, err := readReplyLine(r)
		if err == io.EOF && len(lines) > 0 {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, lines, err
		}
		total += len(line)
		if total > maxReplyBytes {
			return nil, lines, &ReplySyntaxError{Line: truncate(line), Reason: "reply too long"}
		}
		lines = append(lines, line)
		code, last, text, err := parseReplyLine(line)
		if err != nil {
			return nil, lines, err
		}
		if reply.Code == 0 {
			reply.Code = code
			if enhanced, rest, ok := cutEnhancedCode(text, code); ok {
				reply.Enhanced = enhanced
				text = rest
			}
		} else {
			if code != reply.Code {
				return nil, lines, &ReplySyntaxError{Line: truncate(line), Reason: fmt.Sprintf("code %d inside a %d reply", code, reply.Code)}
			}
			if reply.Enhanced != "" {
				if _, rest, ok := cutEnhancedCode(text, code); ok {
					text = rest
				}
			}
		}
		texts = append(texts, text)
		if last {
			reply.Text = strings.Join(texts, "\n")
			return &reply, lines, nil
		}
	}
}

// readReplyLine reads one line and returns it without CRLF (or a bare LF).
func readReplyLine(r *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > maxReplyLine+2 {
			return "", &ReplySyntaxError{Line: truncate(string(append(buf, chunk...))), Reason: "line too long"}
		}
		buf = append(buf, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	buf = bytes.TrimSuffix(buf, []byte("\n"))
	buf = bytes.TrimSuffix(buf, []byte("\r"))
	return string(buf), nil
}

// parseReplyLine splits "250-text" or "250 text" (or a bare "250") into the
// code, whether it is the last line, and the text.
func parseReplyLine(line string) (code int, last bool, text string, err error) {
	// RFC 5321 4.2: the first digit is 2 to 5, the second 0 to 5.
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || !isDigit(line[2]) {
		return 0, false, "", &ReplySyntaxError{Line: truncate(line), Reason: "no reply code"}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) == 3 {
		return code, true, "", nil
	}
	switch line[3] {
	case ' ':
		return code, true, line[4:], nil
	case '-':
		return code, false, line[4:], nil
	}
	return 0, false, "", &ReplySyntaxError{Line: truncate(line), Reason: "no space or hyphen after the code"}
}

// cutEnhancedCode removes a leading "class.subject.detail" code (RFC 3463
// 2: class 2, 4 or 5, subject and detail of one to three digits) whose
// class is the reply code's first digit, with the space after it.
func cutEnhancedCode(text string, code int) (enhanced, rest string, ok bool) {
	candidate, rest, _ := strings.Cut(text, " ")
	parts := strings.Split(candidate, ".")
	if len(parts) != 3 || parts[0] != string(rune('0'+code/100)) {
		return "", text, false
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 3 {
			return "", text, false
		}
		for i := range len(p) {
			if !isDigit(p[i]) {
				return "", text, false
			}
		}
	}
	return candidate, rest, true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// capabilities are the service extensions an EHLO reply announces
// (RFC 5321 4.1.1.1), by upper-cased keyword, with their parameters.
type capabilities map[string]string

// parseCapabilities reads an EHLO reply: the first line greets, each
// further line names one extension and its parameters.
func parseCapabilities(reply *smtpreply.Reply) capabilities {
	caps := capabilities{}
	lines := strings.Split(reply.Text, "\n")
	for _, line := range lines[1:] {
		keyword, params, _ := strings.Cut(strings.TrimSpace(line), " ")
		if keyword == "" {
			continue
		}
		caps[strings.ToUpper(keyword)] = strings.TrimSpace(params)
	}
	return caps
}

func (c capabilities) has(keyword string) bool {
	_, ok := c[keyword]
	return ok
}

// authMechanisms lists the SASL mechanisms of the AUTH extension
// (RFC 4954 3), upper-cased.
func (c capabilities) authMechanisms() []string {
	params, ok := c["AUTH"]
	if !ok {
		return nil
	}
	return strings.Fields(strings.ToUpper(params))
}

// sizeLimit is the SIZE extension's fixed maximum (RFC 1870 4); 0 when
// the server announces none, or no limit.
func (c capabilities) sizeLimit() int64 {
	params, ok := c["SIZE"]
	if !ok {
		return 0
	}
	var limit int64
	for i := range len(params) {
		if !isDigit(params[i]) || limit > (1<<62)/10 {
			return 0
		}
		limit = limit*10 + int64(params[i]-'0')
	}
	return limit
}
